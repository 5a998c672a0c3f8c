import type { Redis } from 'ioredis';

/**
 * Fixed-window attempt counter. With Redis the window is shared by every node, so spreading login
 * attempts across nodes buys nothing; without it each process counts on its own.
 */
export class RateLimiter {
  private local = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private opts: { max: number; windowMs: number; prefix: string },
    private redis: Redis | null = null,
  ) {}

  /** Counts one attempt; returns the seconds to wait when over the limit, else 0. */
  async hit(key: string): Promise<number> {
    const k = `${this.opts.prefix}:${key}`;
    if (this.redis && this.redis.status === 'ready') {
      try {
        const [[, count], [, ttl]] = (await this.redis.multi().incr(k).pttl(k).exec()) as [[null, number], [null, number]];
        if (ttl < 0) await this.redis.pexpire(k, this.opts.windowMs);
        return count > this.opts.max ? Math.ceil(Math.max(ttl, 1000) / 1000) : 0;
      } catch {
        /* Redis trouble: fall back to counting locally rather than failing logins open */
      }
    }
    const now = Date.now();
    let e = this.local.get(k);
    if (!e || e.resetAt <= now) {
      e = { count: 0, resetAt: now + this.opts.windowMs };
      this.local.set(k, e);
    }
    e.count++;
    if (this.local.size > 50_000) for (const [key2, v] of this.local) if (v.resetAt <= now) this.local.delete(key2);
    return e.count > this.opts.max ? Math.ceil((e.resetAt - now) / 1000) : 0;
  }

  async reset(key: string): Promise<void> {
    const k = `${this.opts.prefix}:${key}`;
    this.local.delete(k);
    if (this.redis && this.redis.status === 'ready') await this.redis.del(k).catch(() => {});
  }
}

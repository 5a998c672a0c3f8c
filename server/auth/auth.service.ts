import crypto from 'node:crypto';
import argon2 from 'argon2';
import type { z } from 'zod';
import type { SignupInput, LoginInput, UserRecord } from '../../shared/schemas.js';
import type { Viewer } from './viewer.js';
import type { WritePath } from '../db/write.js';
import { one, rows, run, type Em } from '../db/sql.js';
import { AppError } from '../http/errors.js';
import { USER_COLUMNS, loadUser, toUser } from '../users/user.record.js';
import { createDefaultPipeline } from '../pipelines/pipeline.repository.js';

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
// A fixed hash to verify against when the email is unknown, so timing does not reveal which emails exist.
let dummyHash: Promise<string> | null = null;

export const hashPassword = (p: string) => argon2.hash(p, { type: argon2.argon2id });

export class AuthService {
  constructor(
    private wp: WritePath,
    private sessionTtlMs: number,
  ) {}

  async signup(input: z.output<typeof SignupInput>): Promise<{ token: string; user: UserRecord }> {
    const hash = await hashPassword(input.password);
    const tenantId = crypto.randomUUID();
    const userId = crypto.randomUUID();
    const viewer: Viewer = { id: userId, tenantId, role: 'ADMIN', managerId: null, name: input.name, email: input.email };
    const user = await this.wp.write(viewer, async (tx) => {
      await run(tx.em, 'insert into tenants (id, name) values (?, ?)', [tenantId, input.tenantName]);
      await run(tx.em, `insert into users (id, tenant_id, name, email, password_hash, role) values (?, ?, ?, ?, ?, 'ADMIN')`, [
        userId,
        tenantId,
        input.name,
        input.email,
        hash,
      ]);
      // A new workspace starts with a usable pipeline, as every CRM does.
      await createDefaultPipeline(tx.em, tenantId);
      const u = await loadUser(tx.em, userId);
      tx.emit('user.created', 'user', userId, u, [userId]);
      return u;
    });
    const token = await this.createSession(userId, tenantId);
    return { token, user };
  }

  async login(input: z.output<typeof LoginInput>): Promise<{ token: string; user: UserRecord }> {
    const em = this.wp.read();
    const candidates = await rows(em, `select ${USER_COLUMNS}, u.password_hash from users u where lower(u.email) = ? order by u.created_at`, [
      input.email.toLowerCase(),
    ]);
    let match: any = null;
    for (const c of candidates) {
      if (await argon2.verify(c.password_hash, input.password)) {
        match = c;
        break;
      }
    }
    if (!candidates.length) {
      dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
      await argon2.verify(await dummyHash, input.password).catch(() => false);
    }
    if (!match) throw new AppError(401, 'INVALID_CREDENTIALS', 'Email or password is incorrect');
    const token = await this.createSession(match.id, match.tenant_id);
    return { token, user: toUser(match) };
  }

  private async createSession(userId: string, tenantId: string): Promise<string> {
    const token = crypto.randomBytes(32).toString('base64url');
    await run(this.wp.read(), 'insert into sessions (id, token_hash, user_id, tenant_id, expires_at) values (?, ?, ?, ?, ?)', [
      crypto.randomUUID(),
      sha256(token),
      userId,
      tenantId,
      new Date(Date.now() + this.sessionTtlMs),
    ]);
    return token;
  }

  async logout(token: string): Promise<void> {
    await run(this.wp.read(), 'delete from sessions where token_hash = ?', [sha256(token)]);
  }

  /** Resolves a bearer token or session cookie to the acting user; null when unknown or expired. */
  async authenticate(token: string | undefined | null, em: Em = this.wp.read()): Promise<Viewer | null> {
    if (!token || token.length > 200) return null;
    const r = await one(
      em,
      `select u.id, u.tenant_id, u.role, u.manager_id, u.name, u.email from sessions s join users u on u.id = s.user_id
        where s.token_hash = ? and s.expires_at > now()`,
      [sha256(token)],
    );
    if (!r) return null;
    return { id: r.id, tenantId: r.tenant_id, role: r.role, managerId: r.manager_id ?? null, name: r.name, email: r.email };
  }
}

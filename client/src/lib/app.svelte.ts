import type { UserRecord } from '../../../shared/schemas';
import { api, session, setUnauthenticatedHandler } from './api';
import { live } from './live.svelte';
import { inbox } from './inbox.svelte';
import { router } from './router.svelte';

/** Who is signed in, and the workspace's users (names and avatars everywhere come from here). */
class AppState {
  me = $state<UserRecord | null>(null);
  users = $state<UserRecord[]>([]);
  ready = $state(false);
  private offUsers: (() => void) | null = null;

  userName(id: string | null | undefined): string {
    if (!id) return '—';
    return this.users.find((u) => u.id === id)?.name ?? 'Unknown user';
  }

  /** The ids a "my team" filter covers: me and, for a manager, my direct reports. */
  teamIds(): string[] {
    const me = this.me;
    if (!me) return [];
    return [me.id, ...this.users.filter((u) => u.managerId === me.id).map((u) => u.id)];
  }

  async boot() {
    setUnauthenticatedHandler(() => this.signedOut());
    live.onUnauthenticated = () => this.signedOut();
    try {
      this.me = await api.me();
      await this.afterSignIn();
    } catch {
      this.me = null;
    }
    this.ready = true;
  }

  async signIn(token: string, user: UserRecord) {
    session.token = token;
    this.me = user;
    await this.afterSignIn();
  }

  private async afterSignIn() {
    this.users = await api.users();
    live.start(this.me!.id);
    this.offUsers?.();
    this.offUsers = live.on(['user.created', 'user.updated'], (e) => {
      const u = e.data as UserRecord;
      const i = this.users.findIndex((x) => x.id === u.id);
      if (i >= 0) this.users[i] = u;
      else this.users.push(u);
      if (this.me && u.id === this.me.id) this.me = u;
    });
    inbox.start();
  }

  async signOut() {
    await api.logout().catch(() => {});
    this.signedOut();
  }

  private signedOut() {
    session.token = null;
    this.me = null;
    this.users = [];
    live.stop();
    inbox.stop();
    if (router.route.name !== 'login' && router.route.name !== 'signup') router.go('/login');
  }
}

export const app = new AppState();

/**
 * Who made a change. Every write has one, and the outbox row records it, so audit, webhooks and the
 * activity feed can say "Maya (via API key 'Zapier')" or "the overdue scheduler" instead of guessing.
 *
 *   user    a signed-in person acting for themself.
 *   apiKey  an integration acting for the key's owner (`userId`): the owner's visibility applies.
 *   system  a named job of Pulse itself (overdue scheduler, import, merge): it has no user and no
 *           visibility of its own; the job decides what it touches and says so in `name`.
 */
export type Actor =
  | { kind: 'user'; id: string; name: string }
  | { kind: 'apiKey'; id: string; name: string; userId: string }
  | { kind: 'system'; id: null; name: string };

export type ActorKind = Actor['kind'];

/** The jobs that write as the system; one name each so the outbox and the audit log can tell them apart. */
export const SystemJobs = ['overdue-scheduler', 'notes-projection', 'import', 'merge', 'reindex', 'custom-field-index'] as const;
export type SystemJob = (typeof SystemJobs)[number];

export const systemActor = (job: SystemJob): Actor => ({ kind: 'system', id: null, name: job });
export const userActor = (u: { id: string; name: string }): Actor => ({ kind: 'user', id: u.id, name: u.name });

/** The actor as events carry it: no owner ids of API keys leak into pushed events. */
export interface ActorRef {
  kind: ActorKind;
  id: string | null;
  name: string;
}
export const actorRef = (a: Actor): ActorRef => ({ kind: a.kind, id: a.id, name: a.name });

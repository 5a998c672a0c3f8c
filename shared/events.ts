/** Names of the domain events written to the outbox and pushed to clients. */
export const DomainEvents = [
  'deal.created', 'deal.updated', 'deal.moved', 'deal.deleted',
  'contact.created', 'contact.updated', 'contact.deleted',
  'company.created', 'company.updated', 'company.deleted',
  'activity.created', 'activity.updated', 'activity.deleted',
  'inbox.updated',
  'pipeline.created', 'pipeline.updated',
  'user.created', 'user.updated',
  'share.created', 'share.deleted',
  'customField.created', 'customField.updated',
] as const;
export type DomainEventType = (typeof DomainEvents)[number];

/** The envelope every pushed event has. `seq` is the outbox sequence, monotonic and gap-free per tenant. */
export interface EventEnvelope<T = unknown> {
  seq: number;
  type: DomainEventType;
  at: string;
  data: T;
}

export const PresenceEvents = { join: 'presence.join', leave: 'presence.leave', state: 'presence.state' } as const;
export const ResyncRequired = 'resync.required';

/**
 * The live-event socket (Socket.IO at /socket.io/, server/realtime). Domain events are pushed under their
 * own type name as an EventEnvelope. Connect with `auth: { token?, lastSeq? }` (or the session cookie);
 * `session.ready` says where the stream starts; `events.replay` ({ since }) asks again for missed events.
 */
export const LiveMessages = { ready: 'session.ready', expired: 'session.expired', replay: 'events.replay', error: 'request.error' } as const;
export interface LiveReady { userId: string; tenantId: string; seq: number; node: string }
export interface LiveResync { reason: 'expired' | 'too_far_behind' | 'unknown_seq'; seq: number }
/** presence.join / presence.leave take a PresenceTarget; presence.state is pushed to everyone on the record. */
export interface PresenceTarget { entityType: 'deal' | 'contact' | 'company' | 'pipeline'; entityId: string }
export interface PresenceState extends PresenceTarget { users: { id: string; name: string }[] }

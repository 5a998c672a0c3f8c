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

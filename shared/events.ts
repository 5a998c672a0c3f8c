import type {
  JobRecord,
  ActivityRecord,
  CompanyRecord,
  ContactRecord,
  CustomFieldRecord,
  DealRecord,
  PipelineRecord,
  ShareRecord,
  UserRecord,
} from './schemas.js';

/**
 * Domain facts: what happened to the tenant's data. Each is one outbox row written in the same
 * transaction as the change, with its actor; durable consumers (search, webhooks, audit) read these.
 */
export const FactTypes = [
  'deal.created',
  'deal.updated',
  'deal.moved',
  'deal.deleted',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'company.created',
  'company.updated',
  'company.deleted',
  'activity.created',
  'activity.updated',
  'activity.deleted',
  'pipeline.created',
  'pipeline.updated',
  'user.created',
  'user.updated',
  'share.created',
  'share.deleted',
  'customField.created',
  'customField.updated',
  'settings.updated',
] as const;
export type FactType = (typeof FactTypes)[number];

/**
 * Per-user delivery notices: not facts about the data but about what one user may now see or should
 * be told. They are pushed and replayed like facts (same seq), and durable consumers skip them.
 */
export const NoticeTypes = ['access.lost', 'access.granted', 'inbox.updated', 'job.progress'] as const;
export type NoticeType = (typeof NoticeTypes)[number];

export const DomainEvents = [...FactTypes, ...NoticeTypes] as const;
export type DomainEventType = FactType | NoticeType;
export type EventKind = 'fact' | 'notice';

/** Who made the change: a user, an API key acting for its owner, or one of Pulse's jobs (`id` null). */
export interface ActorRef {
  kind: 'user' | 'apiKey' | 'system';
  id: string | null;
  name: string;
}

/** Why a user gained or lost sight of a record. */
export type AccessReason = 'reassigned' | 'shared' | 'unshared' | 'share_changed' | 'manager_changed';

/** What the record is called in notices; `owner` means "every record owned by entityId" (a manager change). */
export type AccessEntityType = 'deal' | 'contact' | 'company' | 'owner';

export interface AccessLost {
  entityType: AccessEntityType;
  entityId: string;
  reason: AccessReason;
  /** The new owner after a reassignment, where the former viewer may know it (teammates are visible to all). */
  toOwnerId?: string | null;
  /** A deal's place on the board, so the board can drop the card without a refetch. */
  pipelineId?: string;
  stageId?: string;
}
export interface AccessGranted {
  entityType: AccessEntityType;
  entityId: string;
  reason: AccessReason;
  /** The record as the newly allowed viewer may read it (absent for `owner`). */
  record?: DealRecord | ContactRecord | CompanyRecord;
}

export interface DeletedRef {
  id: string;
  pipelineId?: string;
  stageId?: string;
  contactId?: string | null;
  dealId?: string | null;
}
export interface InboxUpdated {
  userId: string;
  reason: string;
  task: ActivityRecord;
  overdueCount: number;
}
export interface TenantSettings {
  timezone: string;
  defaultPhoneRegion: string;
  defaultCurrency: string;
}

/** The `data` of each event type: the REST record after the change for facts. */
export interface EventData {
  'deal.created': DealRecord;
  'deal.updated': DealRecord;
  'deal.moved': DealRecord & { fromStageId: string };
  'deal.deleted': DeletedRef;
  'contact.created': ContactRecord;
  'contact.updated': ContactRecord;
  'contact.deleted': DeletedRef;
  'company.created': CompanyRecord;
  'company.updated': CompanyRecord;
  'company.deleted': DeletedRef;
  'activity.created': ActivityRecord;
  'activity.updated': ActivityRecord;
  'activity.deleted': DeletedRef;
  'pipeline.created': PipelineRecord;
  'pipeline.updated': PipelineRecord;
  'user.created': UserRecord;
  'user.updated': UserRecord;
  'share.created': ShareRecord;
  'share.deleted': { contactId: string; userId: string };
  'customField.created': CustomFieldRecord;
  'customField.updated': CustomFieldRecord;
  'settings.updated': TenantSettings;
  'access.lost': AccessLost;
  'access.granted': AccessGranted;
  'inbox.updated': InboxUpdated;
  /** A background job's public record (GET /api/jobs/:id), to the user who started it: at most ~1/s while it runs, and once at the end. */
  'job.progress': JobRecord;
}

/**
 * The envelope every pushed event has. `seq` is the outbox sequence, monotonic and gap-free per tenant.
 * On updates, `changed` names the fields that changed and `before` holds their previous values.
 */
export interface EventEnvelope<T = unknown> {
  seq: number;
  type: DomainEventType;
  kind: EventKind;
  at: string;
  data: T;
  actor: ActorRef;
  changed?: string[];
  before?: Record<string, unknown>;
}
export type TypedEnvelope<K extends DomainEventType> = EventEnvelope<EventData[K]> & { type: K };

export const PresenceEvents = { join: 'presence.join', leave: 'presence.leave', state: 'presence.state' } as const;
export const ResyncRequired = 'resync.required';

/**
 * The live-event socket (Socket.IO at /socket.io/, server/realtime). Domain events are pushed under their
 * own type name as an EventEnvelope. Connect with `auth: { token?, lastSeq? }` (or the session cookie);
 * `session.ready` says where the stream starts; `events.replay` ({ since }) asks again for missed events.
 */
export const LiveMessages = {
  ready: 'session.ready',
  expired: 'session.expired',
  replay: 'events.replay',
  error: 'request.error',
  jobProgress: 'job.progress',
} as const;
export interface LiveReady {
  userId: string;
  tenantId: string;
  seq: number;
  node: string;
}
export interface LiveResync {
  reason: 'expired' | 'too_far_behind' | 'unknown_seq';
  seq: number;
}
/** presence.join / presence.leave take a PresenceTarget; presence.state is pushed to everyone on the record. */
export interface PresenceTarget {
  entityType: 'deal' | 'contact' | 'company' | 'pipeline';
  entityId: string;
}
export interface PresenceState extends PresenceTarget {
  users: { id: string; name: string }[];
}

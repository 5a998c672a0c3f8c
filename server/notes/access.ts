import type { PulseContext } from '../extension.js';
import type { Viewer } from '../auth/viewer.js';
import type { CommittedEvent } from '../events/outbox.js';
import type { Access } from '../policy/policy.js';
import { one } from '../db/sql.js';
import type { DocName } from './doc-name.js';
import type { NotesRuntime } from './runtime.js';
import { send, type Session } from './note-doc.js';
import { accessModeMessage, CLOSE_ACCESS_LOST, CLOSE_UNAUTHENTICATED } from './protocol.js';

/** What a user may do with a note: the access they have to its record. */
export function accessOf(ctx: PulseContext, viewer: Viewer, name: DocName): Promise<Access> {
  const em = ctx.wp.read();
  return name.kind === 'deal' ? ctx.policy.dealAccess(em, viewer, name.id) : ctx.policy.contactAccess(em, viewer, name.id);
}

/** Whether the note's record still exists (a deleted one takes its note with it). */
export async function recordExists(ctx: PulseContext, name: DocName, tenantId: string): Promise<boolean> {
  const table = name.kind === 'deal' ? 'deals' : 'contacts';
  return !!(await one(ctx.wp.read(), `select 1 as x from ${table} where id = ? and tenant_id = ?`, [name.id, tenantId]));
}

/** What a feed event means for open notes. */
export type FeedAction =
  /** The record is really gone: close its sessions and drop the note. */
  | { kind: 'deleted'; doc: string }
  /** Someone may have lost (or gained) access: re-check these docs' sessions; never touch the note itself. */
  | { kind: 'recheck'; docs: string[] }
  /** Org changes (roles, managers): re-check every session of the tenant. */
  | { kind: 'recheck-tenant'; tenantId: string }
  | { kind: 'none' };

const NOTE_KINDS: Record<string, 'deal' | 'contact'> = { deal: 'deal', contact: 'contact' };

/**
 * Reads a committed event. Only a real deletion (`deal.deleted` / `contact.deleted` without a `reason`)
 * deletes a note. A visibility change is a notice to the users who lost access, never a deletion: the new
 * form is `access.lost` (data `{ entityType, entityId, reason }`), the old form a `*.deleted` whose data
 * says `reason: 'access_lost'`. Both only re-check sessions: reassigning, unsharing or a manager change must
 * never cost the note that everyone else still edits.
 */
export function feedAction(e: Pick<CommittedEvent, 'type' | 'entityId' | 'tenantId' | 'data'>): FeedAction {
  const type = e.type as string;
  const data = (typeof e.data === 'object' && e.data ? e.data : {}) as { reason?: unknown; entityType?: unknown; entityId?: unknown };
  if (type === 'access.lost' || type === 'access.granted') {
    const kind = typeof data.entityType === 'string' ? NOTE_KINDS[data.entityType] : undefined;
    const id = typeof data.entityId === 'string' ? data.entityId : e.entityId;
    return kind && id ? { kind: 'recheck', docs: [`${kind}:${id}`] } : { kind: 'none' };
  }
  if (type === 'deal.deleted' || type === 'contact.deleted') {
    const doc = `${type === 'deal.deleted' ? 'deal' : 'contact'}:${e.entityId}`;
    return data.reason === undefined || data.reason === null ? { kind: 'deleted', doc } : { kind: 'recheck', docs: [doc] };
  }
  if (type === 'deal.updated') return { kind: 'recheck', docs: [`deal:${e.entityId}`] };
  if (type === 'contact.updated' || type === 'share.created' || type === 'share.deleted') return { kind: 'recheck', docs: [`contact:${e.entityId}`] };
  if (type === 'user.updated' || type === 'user.created') return { kind: 'recheck-tenant', tenantId: e.tenantId };
  return { kind: 'none' };
}

/**
 * Re-authenticates the session's token and re-reads its access: gone → closed (4401 / 4403), changed →
 * told (read-only / read-write). Runs on feed events and every `recheckMs` regardless.
 */
export async function recheckSession(rt: NotesRuntime, s: Session): Promise<void> {
  if (s.checking || s.closed) return;
  s.checking = true;
  s.lastCheck = Date.now();
  try {
    const viewer = await rt.ctx.services.auth.authenticate(s.token);
    if (s.closed) return;
    if (!viewer) {
      rt.closeSession(s, CLOSE_UNAUTHENTICATED, 'UNAUTHENTICATED');
      return;
    }
    s.viewer = viewer;
    const access = await accessOf(rt.ctx, viewer, s.doc.name);
    if (s.closed) return;
    if (!access) {
      rt.closeSession(s, CLOSE_ACCESS_LOST, 'ACCESS_LOST');
      return;
    }
    if (access !== s.access) {
      s.access = access;
      send(s, accessModeMessage(access === 'write' ? 'read-write' : 'read-only'));
    }
  } catch (err) {
    rt.ctx.log.warn({ err }, 'notes: access re-check failed');
  } finally {
    s.checking = false;
  }
}

import type { Tx } from '../db/write.js';
import type { AccessEntityType, AccessLost, AccessGranted, AccessReason } from '../../shared/events.js';

/**
 * After a change of who may see a record (reassignment, share, unshare), tells exactly the users whose
 * sight changed: `access.lost` to those who no longer see it (they must drop it from open screens,
 * note sessions and presence; it was not deleted), `access.granted` to those who now do.
 */
export function noticeAccessChange(
  tx: Tx,
  ref: { entityType: AccessEntityType; entityId: string },
  before: string[],
  after: string[],
  reason: AccessReason,
  extra: { lost?: Partial<AccessLost>; record?: AccessGranted['record'] } = {},
): { lost: string[]; gained: string[] } {
  const lost = before.filter((u) => !after.includes(u));
  const gained = after.filter((u) => !before.includes(u));
  tx.notice(
    'access.lost',
    ref.entityType,
    ref.entityId,
    { ...extra.lost, entityType: ref.entityType, entityId: ref.entityId, reason } satisfies AccessLost,
    lost,
  );
  tx.notice(
    'access.granted',
    ref.entityType,
    ref.entityId,
    { entityType: ref.entityType, entityId: ref.entityId, reason, record: extra.record } satisfies AccessGranted,
    gained,
  );
  return { lost, gained };
}

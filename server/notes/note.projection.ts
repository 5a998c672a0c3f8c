import type { WritePath } from '../db/write.js';
import type { Policy } from '../policy/policy.js';
import { run } from '../db/sql.js';
import { dealRepository } from '../deals/deal.repository.js';

/**
 * Writes the plain text of a deal's note to deals.note_text (previews, search) through the write path,
 * as the system actor `notes-projection`, and tells board viewers with one `deal.updated`. The deal's
 * version is left alone: a note edit must not make someone's pending board move fail with 409.
 * Returns false when the text was already current (no event).
 */
export async function projectDealNote(wp: WritePath, policy: Policy, tenantId: string, dealId: string, text: string): Promise<boolean> {
  const value = text.length ? text : null;
  return wp.write({ system: 'notes-projection', tenantId }, async (tx) => {
    const before = await dealRepository.load(tx.em, dealId);
    const n = await run(tx.em, 'update deals set note_text = ?, updated_at = now() where id = ? and tenant_id = ? and note_text is distinct from ?', [
      value,
      dealId,
      tenantId,
      value,
    ]);
    if (!n || !before) return false;
    const rec = (await dealRepository.load(tx.em, dealId))!;
    tx.emitUpdate('deal.updated', 'deal', before, rec, await policy.audience(tx.em, tenantId, { owners: [rec.ownerId] }));
    return true;
  });
}

import type { CustomFieldService } from '../custom-fields/custom-field.service.js';
import { toCustomField } from '../custom-fields/custom-field.service.js';
import type { WritePath } from '../db/write.js';
import { one } from '../db/sql.js';
import type { JobKind } from './job.js';

export interface CustomFieldIndexData {
  tenantId: string;
  fieldId: string;
}

/**
 * Builds a custom field's expression index (CREATE INDEX CONCURRENTLY, which cannot run inside a
 * transaction and can fail on a busy table). Reruns are safe: `if not exists`, and a failed concurrent
 * build's INVALID index is dropped and rebuilt. It reads the field when it runs, so a retry after
 * the field changed builds what the field is now.
 */
export function customFieldIndexJob(wp: WritePath, fields: CustomFieldService): JobKind<CustomFieldIndexData> {
  return {
    kind: 'custom-field-index',
    actor: 'custom-field-index',
    retryLimit: 3,
    retryDelaySeconds: 2,
    // A concurrent build on a big table takes a while; a node that died mid-build is noticed after this.
    expireInSeconds: 30 * 60,
    async run(data, job) {
      job.progress({ total: 1, done: 0 });
      const row = await one(wp.read(), 'select * from custom_fields where id = ? and tenant_id = ?', [data.fieldId, data.tenantId]);
      if (row) await fields.createIndex(data.tenantId, toCustomField(row));
      job.progress({ done: 1 });
    },
  };
}

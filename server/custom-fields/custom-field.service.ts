import crypto from 'node:crypto';
import type { z } from 'zod';
import type { CustomData, CustomFieldCreateInput, CustomFieldPatchInput, CustomFieldRecord } from '../../shared/schemas.js';
import type { Viewer } from '../auth/viewer.js';
import type { WritePath } from '../db/write.js';
import { one, rows, run, iso, type Em } from '../db/sql.js';
import { conflict, forbidden, notFound, validationFailed } from '../http/errors.js';
import type { Logger } from '../log.js';

type EntityType = 'CONTACT' | 'DEAL' | 'COMPANY';
const TABLE: Record<EntityType, string> = { CONTACT: 'contacts', DEAL: 'deals', COMPANY: 'companies' };
const MAX_TEXT = 10_000;

export function toCustomField(r: any): CustomFieldRecord {
  return {
    id: r.id,
    entityType: r.entity_type,
    fieldName: r.field_name,
    fieldType: r.field_type,
    options: r.options ?? null,
    indexed: !!r.indexed,
    createdAt: iso(r.created_at),
  };
}

async function definitions(em: Em, tenantId: string, entityType: EntityType) {
  return (await rows(em, 'select * from custom_fields where tenant_id = ? and entity_type = ?', [tenantId, entityType])).map(toCustomField);
}

function checkValue(f: CustomFieldRecord, v: unknown): string | null {
  switch (f.fieldType) {
    case 'TEXT':
      return typeof v === 'string' && v.length <= MAX_TEXT ? null : `must be text of at most ${MAX_TEXT} characters`;
    case 'NUMBER':
      return typeof v === 'number' && Number.isFinite(v) ? null : 'must be a finite number';
    case 'DATE':
      return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(v + 'T00:00:00Z').toISOString().startsWith(v)
        ? null
        : 'must be an ISO date (YYYY-MM-DD)';
    case 'SELECT':
      return typeof v === 'string' && (f.options ?? []).includes(v) ? null : `must be one of: ${(f.options ?? []).join(', ')}`;
    case 'MULTI_SELECT':
      return Array.isArray(v) && v.every((x) => typeof x === 'string' && (f.options ?? []).includes(x)) && new Set(v).size === v.length
        ? null
        : `must be distinct values from: ${(f.options ?? []).join(', ')}`;
  }
}

/**
 * Validates custom values against the tenant's definitions (the database cannot: it is JSONB) and
 * merges them over the existing values; a null value removes the field.
 */
/** Custom field values as records carry them (checked against their definitions below). */
export type CustomValues = z.output<typeof CustomData>;

export async function validateCustomData(
  em: Em,
  tenantId: string,
  entityType: EntityType,
  input: Record<string, unknown> | undefined,
  existing: CustomValues = {},
): Promise<CustomValues> {
  if (!input) return existing;
  const defs = new Map((await definitions(em, tenantId, entityType)).map((d) => [d.fieldName, d]));
  const errors: { path: string; message: string }[] = [];
  const out: CustomValues = { ...existing };
  for (const [k, v] of Object.entries(input)) {
    const def = defs.get(k);
    if (!def) {
      errors.push({ path: `customData.${k}`, message: 'unknown custom field' });
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const msg = checkValue(def, v);
    if (msg) errors.push({ path: `customData.${k}`, message: msg });
    else out[k] = v as CustomValues[string];
  }
  if (errors.length) throw validationFailed(errors, 'Invalid custom field values');
  return out;
}

/** Parses `cf.<field>=value` query parameters into SQL conditions on custom_data, checked against the definitions. */
export async function customFilters(em: Em, tenantId: string, entityType: EntityType, query: Record<string, unknown>, alias: string) {
  const wanted = Object.entries(query).filter(([k]) => k.startsWith('cf.'));
  if (!wanted.length) return { sql: 'true', params: [] as unknown[] };
  const defs = new Map((await definitions(em, tenantId, entityType)).map((d) => [d.fieldName, d]));
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [k, raw] of wanted) {
    const name = k.slice(3);
    const def = defs.get(name);
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!def || typeof value !== 'string')
      throw validationFailed([{ path: k, message: def ? 'must be a single value' : 'unknown custom field' }], 'Invalid custom field filter');
    if (def.fieldType === 'MULTI_SELECT') {
      parts.push(`${alias}.custom_data -> '${name}' @> to_jsonb(?::text)`);
      params.push(value);
    } else if (def.fieldType === 'NUMBER') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw validationFailed([{ path: k, message: 'must be a number' }], 'Invalid custom field filter');
      parts.push(`(${alias}.custom_data ->> '${name}') = ?`);
      params.push(JSON.stringify(n));
    } else {
      // Plain text equality on ->> so an admin-created expression index on ((custom_data->>'field')) serves it.
      parts.push(`(${alias}.custom_data ->> '${name}') = ?`);
      params.push(value);
    }
  }
  return { sql: parts.join(' and '), params };
}

/** Starts the background job that builds a field's index; returns the job id (see server/jobs). */
export type IndexJobStarter = (v: Viewer, f: CustomFieldRecord) => Promise<string>;

export class CustomFieldService {
  private indexJobs: IndexJobStarter | null = null;
  constructor(
    private wp: WritePath,
    private log: Logger,
    private embedded = false,
  ) {}

  /** With a job runner (the jobs extension), index builds run as retried jobs; without one they run inline. */
  useJobs(start: IndexJobStarter): void {
    this.indexJobs = start;
  }

  async list(v: Viewer, entityType?: EntityType): Promise<CustomFieldRecord[]> {
    const em = this.wp.read();
    const r = entityType
      ? await rows(em, 'select * from custom_fields where tenant_id = ? and entity_type = ? order by created_at, id', [v.tenantId, entityType])
      : await rows(em, 'select * from custom_fields where tenant_id = ? order by entity_type, created_at, id', [v.tenantId]);
    return r.map(toCustomField);
  }

  async create(v: Viewer, input: z.output<typeof CustomFieldCreateInput>): Promise<CustomFieldRecord & { jobId: string | null }> {
    if (v.role !== 'ADMIN') throw forbidden('Only an admin can define custom fields');
    const id = crypto.randomUUID();
    const rec = await this.wp.write(v, async (tx) => {
      const dup = await one(tx.em, 'select 1 from custom_fields where tenant_id = ? and entity_type = ? and field_name = ?', [
        v.tenantId,
        input.entityType,
        input.fieldName,
      ]);
      if (dup) throw conflict('DUPLICATE_FIELD', `A ${input.entityType} field named ${input.fieldName} already exists`);
      await run(
        tx.em,
        'insert into custom_fields (id, tenant_id, entity_type, field_name, field_type, options, indexed) values (?, ?, ?, ?, ?, ?::jsonb, ?)',
        [id, v.tenantId, input.entityType, input.fieldName, input.fieldType, input.options ? JSON.stringify(input.options) : null, !!input.indexed],
      );
      const rec = toCustomField(await one(tx.em, 'select * from custom_fields where id = ?', [id]));
      tx.emit('customField.created', 'customField', id, rec, await adminsAndAll(tx.em, v.tenantId));
      return rec;
    });
    return { ...rec, jobId: rec.indexed ? await this.index(v, rec) : null };
  }

  async patch(v: Viewer, id: string, input: z.output<typeof CustomFieldPatchInput>): Promise<CustomFieldRecord & { jobId: string | null }> {
    if (v.role !== 'ADMIN') throw forbidden('Only an admin can change custom fields');
    const rec = await this.wp.write(v, async (tx) => {
      const cur = await one(tx.em, 'select * from custom_fields where id = ? and tenant_id = ? for update', [id, v.tenantId]);
      if (!cur) throw notFound('Custom field');
      const f = toCustomField(cur);
      if (input.options && f.fieldType !== 'SELECT' && f.fieldType !== 'MULTI_SELECT')
        throw validationFailed([{ path: 'options', message: 'only SELECT and MULTI_SELECT fields have options' }]);
      await run(tx.em, 'update custom_fields set options = coalesce(?::jsonb, options), indexed = coalesce(?, indexed) where id = ?', [
        input.options ? JSON.stringify(input.options) : null,
        input.indexed ?? null,
        id,
      ]);
      const rec = toCustomField(await one(tx.em, 'select * from custom_fields where id = ?', [id]));
      tx.emit('customField.updated', 'customField', id, rec, await adminsAndAll(tx.em, v.tenantId));
      return rec;
    });
    return { ...rec, jobId: input.indexed ? await this.index(v, rec) : null };
  }

  private async index(v: Viewer, f: CustomFieldRecord): Promise<string | null> {
    if (this.indexJobs) return this.indexJobs(v, f);
    await this.createIndex(v.tenantId, f);
    return null;
  }

  /**
   * The expression index an admin asks for, built CONCURRENTLY so writes to the table go on while it
   * builds (which is why it cannot run inside the write transaction). Partial per tenant: each
   * tenant's fields are its own.
   */
  async createIndex(tenantId: string, f: CustomFieldRecord): Promise<void> {
    const table = TABLE[f.entityType];
    const name = `cf_${tenantId.replace(/-/g, '').slice(0, 12)}_${table}_${f.fieldName}`.slice(0, 63);
    const ddl = (mode: string) =>
      `create index ${mode} if not exists "${name}" on "${table}" ((custom_data ->> '${f.fieldName}')) where tenant_id = '${tenantId}'`;
    const em = this.wp.read();
    // PGlite has a single connection, so nothing could write while the index builds anyway.
    if (this.embedded) {
      await em.execute(ddl(''));
      return;
    }
    try {
      await em.execute(ddl('concurrently'));
    } catch (err) {
      // A failed concurrent build leaves an INVALID index behind; drop it and build in place.
      this.log.warn({ err, name }, 'concurrent index build failed, building in place');
      await em.execute(`drop index if exists "${name}"`);
      await em.execute(ddl(''));
    }
  }
}

/** Field definitions are tenant metadata: everyone in the tenant is told. */
async function adminsAndAll(em: Em, tenantId: string): Promise<string[]> {
  return (await rows<{ id: string }>(em, 'select id from users where tenant_id = ?', [tenantId])).map((r) => r.id);
}

import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeWithOrg } from '../helpers/server.js';
import { Api } from '../helpers/api.js';

/**
 * Generated bad requests against every operation the OpenAPI document lists: NUL bytes in every string
 * (body leaves, keys, query values, cursors, tags, custom field names and values, path ids), broken
 * percent-encodings, corrupt or unknown Content-Encoding, huge and deeply nested JSON. None may answer
 * 5xx, and every error has the stable { error: { code, message, details } } shape.
 */
const ctx = useNodeWithOrg('fuzz');

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  pattern?: string;
  minimum?: number;
  minItems?: number;
  default?: unknown;
};
interface Op {
  method: string;
  path: string;
  op: any;
}
interface Probe {
  label: string;
  method: string;
  path: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  expect?: number[];
  code?: string;
}

const ids: Record<string, string> = {};
let ops: Op[] = [];
let counter = 0;

/** A value the schema accepts, so a mutation of one leaf is the only thing wrong with the request. */
function sample(s: Schema | undefined, key = ''): unknown {
  if (!s) return 'x';
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.anyOf || s.oneOf) return sample((s.anyOf ?? s.oneOf)!.find((x) => x.type !== 'null') ?? (s.anyOf ?? s.oneOf)![0], key);
  if (s.allOf) return sample(s.allOf[0], key);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (key === 'customData') return { fz_text: 'ok' };
  if (type === 'object' || s.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      if (!(s.required ?? []).includes(k) && !['customData', 'tags', 'stageId', 'contactId', 'dealId', 'subject'].includes(k)) continue;
      out[k] = sample(v, k);
    }
    return out;
  }
  if (type === 'array') return Array.from({ length: Math.max(1, s.minItems ?? 0) }, () => sample(s.items, key));
  if (type === 'integer' || type === 'number') return Math.max(1, s.minimum ?? 1);
  if (type === 'boolean') return false;
  if (type === 'string' || !type) {
    if (s.format === 'uuid' || /Id$/.test(key) || key === 'id') return ids[key] ?? ids.contactId;
    if (s.format === 'email' || key === 'email') return `fz${++counter}@fuzz.test`;
    if (s.format === 'date-time') return '2027-01-01T10:00:00Z';
    if (key === 'closeDate') return '2027-01-01';
    if (key === 'amount') return '10.00';
    if (key === 'currency') return 'EUR';
    if (key === 'password') return 'correct horse battery';
    if (key === 'fieldName') return `fz_f${++counter}`;
    return 'fuzz';
  }
  return null;
}

/** Every string leaf of a value, by path, so each can be poisoned in turn. */
function stringPaths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof v === 'string') return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...at, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...at, k]));
  return [];
}
function setAt(v: unknown, at: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(v) as any;
  let o = copy;
  for (const k of at.slice(0, -1)) o = o[k];
  o[at[at.length - 1]!] = value;
  return copy;
}

/** The documented path with its parameters filled from real records (or with `bad` in one of them). */
function fill(path: string, bad?: { name: string; value: string }): string {
  const first = path.replace(/^\/api/, '').split('/')[1] ?? '';
  const resource: Record<string, string> = {
    contacts: 'contactId',
    deals: 'dealId',
    companies: 'companyId',
    activities: 'activityId',
    pipelines: 'pipelineId',
    users: 'userId',
    'custom-fields': 'fieldId',
  };
  return path.replace(/^\/api/, '').replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (bad?.name === name) return bad.value;
    return name === 'id' ? ids[resource[first] ?? 'contactId']! : (ids[name] ?? ids.contactId!);
  });
}

function probesFor(o: Op): Probe[] {
  const out: Probe[] = [];
  const params: any[] = o.op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name as string);
  const queryParams = params.filter((p) => p.in === 'query').map((p) => p.name as string);
  const bodySchema: Schema | undefined = o.op.requestBody?.content?.['application/json']?.schema;
  const m = o.method.toUpperCase();
  const good = bodySchema ? sample(bodySchema) : undefined;
  const json = (v: unknown) => JSON.stringify(v);

  for (const name of pathParams) {
    out.push({
      label: 'broken percent-encoding in a path id',
      method: m,
      path: fill(o.path, { name, value: '%E0%A4%A' }),
      body: good === undefined ? undefined : json(good),
      expect: [400, 404],
    });
    out.push({
      label: 'NUL as a path id',
      method: m,
      path: fill(o.path, { name, value: '%00' }),
      body: good === undefined ? undefined : json(good),
      expect: [400, 404],
    });
    out.push({
      label: 'real id with a trailing NUL',
      method: m,
      path: fill(o.path, { name, value: `${fill(`{${name}}`).slice(1)}%00` }),
      body: good === undefined ? undefined : json(good),
      expect: [400, 404],
    });
    out.push({ label: 'overlong id', method: m, path: fill(o.path, { name, value: 'a'.repeat(4000) }), expect: [400, 404] });
  }
  const path = fill(o.path);
  for (const q of queryParams) {
    out.push({ label: `NUL in query ${q}`, method: m, path: `${path}?${q}=%00`, code: 'VALIDATION_FAILED', expect: [400] });
    out.push({ label: `NUL inside query ${q}`, method: m, path: `${path}?${q}=ab%00cd`, code: 'VALIDATION_FAILED', expect: [400] });
    out.push({ label: `broken percent-encoding in query ${q}`, method: m, path: `${path}?${q}=%E0%A4%A`, expect: [200, 400] });
  }
  if (queryParams.includes('cursor')) {
    const uuid = '00000000-0000-4000-8000-000000000000';
    for (const sortText of ['\u0000', '2026-01-01\u0000', 'x'.repeat(399), '1e999999', '']) {
      out.push({
        label: 'cursor carrying a bad sort value',
        method: m,
        path: `${path}?cursor=${Buffer.from(JSON.stringify([sortText, uuid])).toString('base64url')}`,
        expect: [400],
      });
    }
    out.push({
      label: 'cursor of the wrong shape',
      method: m,
      path: `${path}?cursor=${Buffer.from('{"a":1}').toString('base64url')}`,
      expect: [400],
    });
  }
  if (m === 'GET') {
    out.push({ label: 'NUL in an undocumented query key', method: m, path: `${path}?%00=1`, code: 'VALIDATION_FAILED', expect: [400] });
    out.push({ label: 'NUL in a custom field filter', method: m, path: `${path}?cf.fz_text=a%00`, code: 'VALIDATION_FAILED', expect: [400] });
  }
  if (!bodySchema) return out;

  for (const at of stringPaths(good)) {
    out.push({
      label: `NUL in body ${at.join('.')}`,
      method: m,
      path,
      body: json(setAt(good, at, `${String(at)}\u0000x`)),
      code: 'VALIDATION_FAILED',
      expect: [400],
    });
  }
  const withProps = (extra: Record<string, unknown>) => json({ ...(good as object), ...extra });
  out.push({ label: 'NUL in a body key', method: m, path, body: withProps({ 'a\u0000': 1 }), code: 'VALIDATION_FAILED', expect: [400] });
  if (bodySchema.properties?.customData) {
    out.push({
      label: 'NUL in a custom field value',
      method: m,
      path,
      body: withProps({ customData: { fz_text: 'a\u0000b' } }),
      code: 'VALIDATION_FAILED',
      expect: [400],
    });
    out.push({
      label: 'NUL in a custom field key',
      method: m,
      path,
      body: withProps({ customData: { 'fz_text\u0000': 'a' } }),
      code: 'VALIDATION_FAILED',
      expect: [400],
    });
    out.push({
      label: 'deeply nested custom field value',
      method: m,
      path,
      body: `{"customData":{"fz_text":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
      expect: [400],
    });
  }
  if (bodySchema.properties?.tags)
    out.push({ label: 'NUL in a tag', method: m, path, body: withProps({ tags: ['ok', 'b\u0000d'] }), code: 'VALIDATION_FAILED', expect: [400] });
  const raw = Buffer.from(json(good));
  out.push({
    label: 'gzip header, garbage body',
    method: m,
    path,
    body: Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), Buffer.from('not really gzip')]),
    headers: { 'content-encoding': 'gzip' },
    expect: [400],
  });
  out.push({ label: 'Content-Encoding gzip, plain body', method: m, path, body: raw, headers: { 'content-encoding': 'gzip' }, expect: [400] });
  out.push({ label: 'deflate garbage', method: m, path, body: Buffer.from('garbage!'), headers: { 'content-encoding': 'deflate' }, expect: [400] });
  out.push({
    label: 'brotli garbage',
    method: m,
    path,
    body: Buffer.from([0xff, 0xff, 0xff, 0xff]),
    headers: { 'content-encoding': 'br' },
    expect: [400],
  });
  out.push({
    label: 'truncated gzip',
    method: m,
    path,
    body: zlib.gzipSync(raw).subarray(0, 12),
    headers: { 'content-encoding': 'gzip' },
    expect: [400],
  });
  out.push({
    label: 'unknown Content-Encoding',
    method: m,
    path,
    body: raw,
    headers: { 'content-encoding': 'x-compress-9000' },
    code: 'UNSUPPORTED_MEDIA_TYPE',
    expect: [415],
  });
  out.push({
    label: 'gzip of a body with NUL',
    method: m,
    path,
    body: zlib.gzipSync(Buffer.from(json(setAt(good, stringPaths(good)[0] ?? ['x'], 'a\u0000')))),
    headers: { 'content-encoding': 'gzip' },
    code: 'VALIDATION_FAILED',
    expect: [400],
  });
  out.push({
    label: 'gzip bomb',
    method: m,
    path,
    body: zlib.gzipSync(Buffer.from(`{"x":"${'a'.repeat(5_000_000)}"}`)),
    headers: { 'content-encoding': 'gzip' },
    expect: [413],
  });
  out.push({ label: 'unknown charset', method: m, path, body: raw, headers: { 'content-type': 'application/json; charset=klingon' }, expect: [415] });
  out.push({
    label: 'invalid UTF-8 bytes',
    method: m,
    path,
    body: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0x28]), Buffer.from('"}')]),
    expect: [200, 201, 204, 400, 401, 404, 409, 422],
  });
  out.push({ label: 'malformed JSON', method: m, path, body: '{"a":', code: 'VALIDATION_FAILED', expect: [400] });
  out.push({
    label: 'raw NUL byte inside a JSON string',
    method: m,
    path,
    body: Buffer.from('{"name":"a\u0000b"}'),
    code: 'VALIDATION_FAILED',
    expect: [400],
  });
  out.push({ label: 'deeply nested JSON', method: m, path, body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, expect: [400] });
  out.push({ label: 'deeply nested objects', method: m, path, body: `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`, expect: [400] });
  out.push({ label: 'huge JSON', method: m, path, body: json({ ...(good as object), junk: 'x'.repeat(400_000) }), expect: [413] });
  out.push({
    label: 'lone surrogates',
    method: m,
    path,
    body: raw.toString().replace(/"fuzz"/, '"\\ud800\\udc00\\udfff"'),
    expect: [200, 201, 204, 400, 401, 404, 409, 422],
  });
  return out;
}

beforeAll(async () => {
  const { org, node } = ctx;
  const admin = org.admin.api;
  const f = await admin.post('/custom-fields', { entityType: 'CONTACT', fieldName: 'fz_text', fieldType: 'TEXT' });
  await admin.post('/custom-fields', { entityType: 'DEAL', fieldName: 'fz_text', fieldType: 'TEXT' });
  await admin.post('/custom-fields', { entityType: 'COMPANY', fieldName: 'fz_text', fieldType: 'TEXT' });
  const company = await admin.post('/companies', { name: 'Fuzz Co' });
  const contact = await admin.post('/contacts', { firstName: 'Fuzz', companyId: company.body.id });
  const deal = await admin.post('/deals', { name: 'Fuzz deal', pipelineId: org.pipelineId, contactId: contact.body.id });
  const activity = await admin.post('/activities', { type: 'NOTE', contactId: contact.body.id, subject: 'x' });
  Object.assign(ids, {
    fieldId: f.body.id,
    companyId: company.body.id,
    contactId: contact.body.id,
    dealId: deal.body.id,
    activityId: activity.body.id,
    pipelineId: org.pipelineId,
    stageId: org.stages[1]!.id,
    userId: org.rep2.id,
    managerId: org.manager.id,
    ownerId: org.admin.id,
  });
  const doc = (await new Api(node.url).get('/openapi.json')).body;
  ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method, path, op })),
  );
});

async function send(base: string, token: string, p: Probe) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...p.headers };
  if (p.body !== undefined) headers['content-type'] ??= 'application/json';
  const body0 = typeof p.body === 'string' || p.body === undefined ? p.body : new Uint8Array(p.body);
  const r = await fetch(`${base}/api${p.path}`, { method: p.method, headers, body: body0 });
  const text = await r.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* stays text */
  }
  return { status: r.status, body };
}

describe('fuzzed bad input over every documented route', () => {
  it('never answers 5xx, always with the error shape, and the expected status per kind of damage', async () => {
    expect(ops.length).toBeGreaterThan(40);
    const probes = ops.flatMap(probesFor);
    expect(probes.length).toBeGreaterThan(300);
    const failures: string[] = [];
    const queue = [...probes];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        // Logging out would end the session the other probes ride on: those carry a dead token.
        const token = p.path.startsWith('/auth/logout') ? 'not-a-session' : ctx.org.admin.token;
        const r = await send(ctx.node.url, token, p);
        const where = `${p.method} ${p.path.slice(0, 90)} [${p.label}] → ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`;
        if (r.status >= 500) {
          failures.push(`5xx: ${where}`);
          continue;
        }
        if (r.status >= 400) {
          const shapeOk =
            r.body &&
            typeof r.body === 'object' &&
            Object.keys(r.body).join() === 'error' &&
            Object.keys(r.body.error).sort().join() === 'code,details,message' &&
            typeof r.body.error.code === 'string' &&
            typeof r.body.error.message === 'string';
          if (!shapeOk) {
            failures.push(`shape: ${where}`);
            continue;
          }
        }
        // Auth is checked before the body, so a logout probe with a dead session is a 401, which is the truth.
        if (p.path.startsWith('/auth/logout') && r.status === 401) continue;
        if (p.expect && !p.expect.includes(r.status)) failures.push(`status: ${where} (wanted ${p.expect.join('/')})`);
        else if (p.code && r.status >= 400 && r.body.error.code !== p.code) failures.push(`code: ${where} (wanted ${p.code})`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(failures, `${failures.length} of ${probes.length} probes failed:\n${failures.slice(0, 60).join('\n')}`).toEqual([]);
  }, 240_000);

  it('leaves the node healthy: no stuck transaction or connection after the barrage', async () => {
    expect((await new Api(ctx.node.url).get('/health')).body.database).toBe('ok');
    const c = await ctx.org.rep1.api.post('/contacts', { firstName: 'After', tags: ['fine'], customData: { fz_text: 'still ok' } });
    expect(c.status).toBe(201);
  });
});

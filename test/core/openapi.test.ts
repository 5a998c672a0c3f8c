import { validate, compileErrors } from '@readme/openapi-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeWithOrg } from '../helpers/server.js';
import { Api } from '../helpers/api.js';

/**
 * GET /api/openapi.json is a valid OpenAPI 3.1 document, and a client generated from it calls the
 * URLs the server really routes: server url + documented path reaches a route for every operation.
 */
const ctx = useNodeWithOrg('openapi');
let doc: any;

beforeAll(async () => {
  doc = (await new Api(ctx.node.url).get('/openapi.json')).body;
});

/** What a generated client does: resolve the first server url against the document's own URL, append the path. */
function operationUrl(path: string): string {
  const docUrl = new URL('/api/openapi.json', ctx.node.url);
  const server = new URL(doc.servers?.[0]?.url ?? '/', docUrl);
  return server.href.replace(/\/$/, '') + path;
}

describe('the OpenAPI document', () => {
  it('passes a real OpenAPI validator', async () => {
    const result = await validate(structuredClone(doc));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(result.specification).toBe('OpenAPI');
    // The validator is not a rubber stamp: a path parameter with no declaration is refused.
    const broken = structuredClone(doc);
    broken.paths['/api/contacts/{id}'].get.parameters = [];
    expect((await validate(broken)).valid).toBe(false);
  });

  it('has a server entry and full paths, with unique operation ids', () => {
    expect(doc.servers).toEqual([{ url: '/' }]);
    const paths = Object.keys(doc.paths);
    expect(paths.length).toBeGreaterThan(20);
    for (const p of paths) expect(p).toMatch(/^\/api\//);
    const ids = Object.values(doc.paths).flatMap((m: any) => Object.values(m).map((op: any) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((x) => typeof x === 'string' && x.length > 0)).toBe(true);
  });

  it('every documented operation is routed at the URL a generated client calls', async () => {
    const unrouted: string[] = [];
    const fake = '00000000-0000-4000-8000-000000000000';
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const method of Object.keys(methods)) {
        // Unknown ids only: the request reaches the route and is refused there, nothing is changed or
        // deleted; logout gets a dead token so the admin's session survives.
        const url = operationUrl(path.replace(/\{\w+\}/g, fake));
        const token = path.endsWith('/auth/logout') ? 'dead' : ctx.org.admin.token;
        const r = await fetch(url, {
          method: method.toUpperCase(),
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: method === 'get' ? undefined : '{}',
        });
        const type = r.headers.get('content-type') ?? '';
        const text = await r.text();
        const body = type.includes('json') && text ? JSON.parse(text) : null;
        const routed = r.status === 204 || (type.includes('application/json') && !(r.status === 404 && body?.error?.message === 'No such route'));
        if (!routed) unrouted.push(`${method.toUpperCase()} ${path} → ${url} ${r.status} ${type} ${text.slice(0, 80)}`);
      }
    }
    expect(unrouted).toEqual([]);
  });

  it('an undocumented path under the same server is not routed (the check above can fail)', async () => {
    const r = await fetch(operationUrl('/api/no-such-thing'), { headers: { authorization: `Bearer ${ctx.org.admin.token}` } });
    expect(r.status).toBe(404);
    expect((await r.json()).error.message).toBe('No such route');
  });
});

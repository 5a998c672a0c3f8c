import { z } from 'zod';
import { registry } from './route.js';
import { ErrorBody } from '../../shared/schemas.js';

const schema = (s: z.ZodTypeAny, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;

/** Where app.ts mounts the routers every registered route hangs off. */
export const API_PREFIX = '/api';

/** A stable, unique operation id for generated clients: `get_contacts_id_timeline`. */
const operationId = (method: string, path: string) => `${method}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`;

/**
 * OpenAPI 3.1 generated from the very schemas the routes validate with. Paths are the full URL paths
 * (`/api/contacts`) under one server at the site root, so a generated client calls what is routed;
 * a relative server url resolves against wherever the document was fetched from.
 */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of registry) {
    const p = API_PREFIX + r.path.replace(/:(\w+)/g, '{$1}');
    const params: unknown[] = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (r.query) {
      const qs = schema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(qs.properties ?? {}))
        params.push({ name, in: 'query', required: qs.required?.includes(name) ?? false, schema: s });
    }
    const op: Record<string, unknown> = {
      operationId: operationId(r.method, r.path),
      summary: r.summary,
      tags: [r.tag],
      parameters: params,
      responses: {
        [String(r.status ?? (r.response ? 200 : 204))]: r.response
          ? { description: 'OK', content: { 'application/json': { schema: schema(r.response, 'output') } } }
          : { description: 'No content' },
        default: { description: 'Error', content: { 'application/json': { schema: schema(ErrorBody, 'output') } } },
      },
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } };
    if (r.auth !== false) op.security = [{ bearer: [] }, { cookie: [] }];
    paths[p] = { ...paths[p], [r.method]: op };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Pulse API', version: '0.1.0', description: 'Real-time collaborative CRM. Errors are { error: { code, message, details } }.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'pulse_session' },
      },
    },
    paths,
  };
}

import type { Request, Response, Router, RequestHandler } from 'express';
import { z } from 'zod';
import { validationFailed, zodDetails } from './errors.js';
import type { Viewer } from '../auth/viewer.js';

/**
 * A route is declared once: the same zod schemas validate the request here and describe it in the
 * generated OpenAPI document, so the docs cannot drift from what the server accepts.
 */
export interface RouteSpec<B extends z.ZodTypeAny | undefined, Q extends z.ZodTypeAny | undefined> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  response?: z.ZodTypeAny;
  status?: number;
  /** false for the few public routes (signup, login, health, docs). */
  auth?: boolean;
}

export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
  viewer: Viewer;
  req: Request;
  res: Response;
}

export const registry: RouteSpec<any, any>[] = [];

type Out<S> = S extends z.ZodTypeAny ? z.output<S> : undefined;

export function route<B extends z.ZodTypeAny | undefined = undefined, Q extends z.ZodTypeAny | undefined = undefined>(
  router: Router,
  spec: RouteSpec<B, Q>,
  handler: (input: RouteInput<Out<B>, Out<Q>>) => Promise<unknown>,
  middleware: RequestHandler[] = [],
): void {
  registry.push(spec);
  router[spec.method](spec.path, ...middleware, async (req, res, next) => {
    try {
      let body: any = undefined;
      if (spec.body) {
        const r = spec.body.safeParse(req.body ?? {});
        if (!r.success) throw validationFailed(zodDetails(r.error));
        body = r.data;
      }
      let query: any = undefined;
      if (spec.query) {
        const r = spec.query.safeParse(req.query ?? {});
        if (!r.success) throw validationFailed(zodDetails(r.error), 'Query validation failed');
        query = r.data;
      }
      for (const [k, v] of Object.entries(req.params)) {
        // Every path id is a uuid; anything else can only be a 404.
        if (k.endsWith('id') || k.endsWith('Id')) {
          if (!z.string().uuid().safeParse(v).success) {
            res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Resource not found', details: null } });
            return;
          }
        }
      }
      const out = await handler({ body, query, params: req.params as any, viewer: (req as any).viewer, req, res });
      if (res.headersSent) return;
      if (out === undefined) res.status(204).end();
      else res.status(spec.status ?? 200).json(out);
    } catch (err) {
      next(err);
    }
  });
}

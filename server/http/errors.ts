import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';

/** An error that maps to a stable JSON body: { error: { code, message, details } }. */
export class AppError extends Error {
  constructor(public status: number, public code: string, message: string, public details: unknown = null) {
    super(message);
  }
}

export const notFound = (what = 'Resource') => new AppError(404, 'NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'Not allowed') => new AppError(403, 'FORBIDDEN', message);
export const validationFailed = (details: unknown, message = 'Request validation failed') => new AppError(400, 'VALIDATION_FAILED', message, details);
export const conflict = (code: string, message: string, details: unknown = null) => new AppError(409, code, message, details);

export function zodDetails(err: ZodError) {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
}

/** PostgreSQL errors that are the caller's fault become 4xx; anything else is a 500 with no internals leaked. */
export function fromDbError(err: any): AppError | null {
  const code = err?.code ?? err?.cause?.code;
  if (code === '23505') return conflict('CONFLICT', 'A record with the same unique value already exists');
  if (code === '23503') return new AppError(422, 'INVALID_REFERENCE', 'A referenced record does not exist');
  if (code === '22P02' || code === '22003' || code === '22007' || code === '22008') return validationFailed(null, 'A value has an invalid format');
  return null;
}

export function errorBody(e: AppError) {
  return { error: { code: e.code, message: e.message, details: e.details ?? null } };
}

export function errorHandler(log: { error: (...a: any[]) => void }): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (res.headersSent) return;
    let e: AppError;
    if (err instanceof AppError) e = err;
    else if (err instanceof ZodError) e = validationFailed(zodDetails(err));
    else if (err?.type === 'entity.too.large') e = new AppError(413, 'PAYLOAD_TOO_LARGE', 'Request body is too large', { limit: err.limit });
    else if (err?.type === 'entity.parse.failed') e = validationFailed(null, 'Malformed JSON body');
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') e = new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding');
    else {
      const db = fromDbError(err);
      if (db) e = db;
      else {
        log.error({ err }, 'unhandled error');
        e = new AppError(500, 'INTERNAL', 'Internal server error');
      }
    }
    res.status(e.status).json(errorBody(e));
  };
}

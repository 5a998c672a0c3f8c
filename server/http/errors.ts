import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';

/** An error that maps to a stable JSON body: { error: { code, message, details } }. */
export class AppError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details: unknown = null,
  ) {
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
  // NUL and other characters text cannot hold (the input guard refuses NUL first; this is the backstop).
  if (code === '22021' || code === '22P05') return validationFailed(null, 'A value holds a character that cannot be stored');
  return null;
}

/**
 * Errors raised by the HTTP layer before a route runs (body-parser, the router) carry an http-errors
 * status: a malformed JSON body, a body whose Content-Encoding does not decode (garbage under gzip,
 * deflate or br), an unknown encoding or charset, an oversized body, a path whose percent-encoding
 * does not decode. They are the caller's fault and get the usual body with a 4xx.
 */
interface HttpLayerError {
  status?: unknown;
  statusCode?: unknown;
  type?: string;
  limit?: number;
  encoding?: string;
  charset?: string;
  code?: unknown;
}

export function fromHttpError(raw: unknown): AppError | null {
  if (!raw || typeof raw !== 'object') return null;
  const err = raw as HttpLayerError;
  const status = Number(err.status ?? err.statusCode);
  if (!Number.isInteger(status) || status < 400 || status > 499) return null;
  const type = err.type;
  if (type === 'entity.too.large' || status === 413)
    return new AppError(413, 'PAYLOAD_TOO_LARGE', 'Request body is too large', { limit: err.limit ?? null });
  if (type === 'entity.parse.failed') return validationFailed(null, 'Malformed JSON body');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported' || status === 415) {
    return new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', type === 'charset.unsupported' ? 'Unsupported body charset' : 'Unsupported body encoding', {
      encoding: err.encoding ?? err.charset ?? null,
    });
  }
  if (raw instanceof URIError) return validationFailed(null, 'Malformed percent-encoding in the URL');
  // zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR) and brotli's (ERR__ERROR_FORMAT_...), passed on by body-parser as a 400.
  if (typeof err.code === 'string' && /^(Z_|ERR__)/.test(err.code)) {
    return validationFailed(null, 'Request body does not decode with its Content-Encoding');
  }
  if (status === 400) return validationFailed(null, 'Malformed request');
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
    else {
      const known = fromHttpError(err) ?? fromDbError(err);
      if (known) e = known;
      else {
        log.error({ err }, 'unhandled error');
        e = new AppError(500, 'INTERNAL', 'Internal server error');
      }
    }
    res.status(e.status).json(errorBody(e));
  };
}

import type { z } from 'zod';

/**
 * Validates a form with the same zod schema the server uses; returns the parsed value or a map of
 * field path -> first message, so inputs can show their error next to them.
 */
export function validate<S extends z.ZodTypeAny>(
  schema: S,
  value: unknown,
): { ok: true; data: z.output<S> } | { ok: false; errors: Record<string, string> } {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, data: r.data };
  const errors: Record<string, string> = {};
  for (const i of r.error.issues) {
    const k = i.path.join('.') || '_';
    errors[k] ??= i.message;
  }
  return { ok: false, errors };
}

/** Empty inputs mean "no value" for optional text fields. */
export function blankToNull<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'string' && v.trim() === '' ? null : v;
  return out as T;
}

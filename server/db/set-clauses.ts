/** A patchable column: its name, and the cast its placeholder needs (`::numeric`, `::date`), if any. */
export type PatchColumn = string | readonly [column: string, cast: string];

/**
 * The SET list of an update: one `column = ?` per field the patch carries (undefined means "leave it",
 * null means "clear it"), with custom data merged by the caller and written as jsonb. Every repository's
 * update shares it, so a patch reads the same way for every record type.
 */
export function setClauses<K extends string>(
  columns: Record<K, PatchColumn>,
  patch: NoInfer<Partial<Record<K, unknown>>> & { customData?: unknown },
) {
  const sets: string[] = [];
  const vals: unknown[] = [];
  for (const [k, c] of Object.entries(columns) as [K, PatchColumn][]) {
    if (patch[k] === undefined) continue;
    const [column, cast] = typeof c === 'string' ? [c, ''] : c;
    sets.push(`${column} = ?${cast}`);
    vals.push(patch[k]);
  }
  if (patch.customData) {
    sets.push('custom_data = ?::jsonb');
    vals.push(JSON.stringify(patch.customData));
  }
  return { sets, vals };
}

/** Note documents are named after the record they belong to: `deal:<uuid>` or `contact:<uuid>`. */
export type NoteKind = 'deal' | 'contact';
export interface DocName {
  name: string;
  kind: NoteKind;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function parseDocName(raw: string): DocName | null {
  const i = raw.indexOf(':');
  if (i < 0) return null;
  const kind = raw.slice(0, i);
  const id = raw.slice(i + 1).toLowerCase();
  if ((kind !== 'deal' && kind !== 'contact') || !UUID.test(id)) return null;
  return { name: `${kind}:${id}`, kind, id };
}

import { PGliteKnexDialect } from 'mikro-orm-pglite';

/**
 * The PGlite knex dialect decides whether raw SQL holds several statements by splitting it on every `;`,
 * and runs what it takes for several through `exec`, which returns one result per statement. MikroORM
 * inlines parameters into raw SQL, so a single INSERT of a text containing a semicolon ("Call back; send
 * the quote") came back shaped as a list of results and broke the caller. Count statements outside
 * string literals, quoted identifiers and comments instead; what truly holds several (migrations) still
 * goes through `exec`. Our own rows/one/run now bind their parameters (db/sql.ts), so a value can no
 * longer add a `;` to the text; `em.execute()` and MikroORM's own raw queries still inline theirs.
 */
export function statementCount(sql: string): number {
  const bare = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, "''")
    .replace(/[Ee]'(?:[^'\\]|\\.|'')*'/g, "''")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""');
  return bare.split(';').filter((x) => x.trim().length > 0).length;
}

type Obj = { sql?: string; method?: string; bindings?: unknown[]; response?: unknown };
type Conn = { query(sql: string, params: unknown[]): Promise<unknown> };

let installed = false;
/** Makes the PGlite dialect run single statements through `query` (called once, by createOrm). */
export function countPgliteStatementsProperly(): void {
  if (installed) return;
  installed = true;
  const proto = PGliteKnexDialect.prototype as unknown as { _query(c: Conn, obj: Obj): Promise<Obj> };
  const original = proto._query;
  proto._query = async function (connection: Conn, obj: Obj) {
    if (obj.sql && obj.method === 'raw' && statementCount(obj.sql) <= 1) {
      obj.response = await connection.query(obj.sql, obj.bindings ?? []);
      return obj;
    }
    return original.call(this, connection, obj);
  };
}

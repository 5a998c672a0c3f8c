import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { createOrm } from '../../server/db/orm.js';
import { WritePath } from '../../server/db/write.js';
import { one, rows, run, pgArray, type Em } from '../../server/db/sql.js';
import type { Viewer } from '../../server/auth/viewer.js';

/**
 * rows/one/run send their parameters as bind parameters next to the statement (the driver's $1, $2),
 * never spliced into the SQL text, and they stay inside the entity manager's transaction. On both
 * backends: PostgreSQL through pg, and the embedded PGlite.
 */
const viewer: Viewer = {
  id: '00000000-0000-4000-8000-000000000001',
  tenantId: '00000000-0000-4000-8000-000000000002',
  role: 'ADMIN',
  managerId: null,
  name: 't',
  email: 't@t.test',
};

const backends: { name: string; open: () => Promise<{ orm: MikroORM; close: () => Promise<void> }> }[] = [
  {
    name: 'PostgreSQL (pg)',
    open: async () => {
      const db = await createTestDatabase();
      const orm = await createOrm({ databaseUrl: db.url, poolMax: 3 });
      return {
        orm,
        close: async () => {
          await orm.close(true);
          await db.drop();
        },
      };
    },
  },
  {
    name: 'PGlite',
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-bind-'));
      const orm = await createOrm({ databaseUrl: null, dataDir: dir });
      return {
        orm,
        close: async () => {
          await orm.close(true);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

describe.each(backends)('SQL parameters on $name', ({ open }) => {
  let orm: MikroORM;
  let close: () => Promise<void>;
  let wp: WritePath;
  const read = (): Em => orm.em.fork() as Em;

  beforeAll(async () => {
    ({ orm, close } = await open());
    wp = new WritePath(orm);
    await run(read(), 'create table bind_probe (id serial primary key, v text not null)');
  }, 120_000);
  afterAll(async () => {
    await close?.();
  });

  it('reach the server as bind parameters, not as literals in the statement text', async () => {
    const secret = 'inline-me-not-42';
    const r = await one<{ q: string; v: string }>(read(), 'select current_query() as q, ?::text as v', [secret]);
    expect(r!.v).toBe(secret);
    expect(r!.q).not.toContain(secret);
    expect(r!.q).toMatch(/\$1/);
  });

  it('round-trip text that would break or change a spliced statement', async () => {
    const nasty = ["it's", 'a ? b ?? c', '$1 $2', 'x; drop table bind_probe; --', 'back\\slash', '/* c */', "E'\\x41'", 'ü 😀 \u2028'];
    for (const v of nasty) expect((await one(read(), 'select ?::text as v', [v]))!.v).toBe(v);
    const many = await rows(read(), `select unnest(?::text[]) as v`, [pgArray(nasty)]);
    expect(many.map((x) => x.v)).toEqual(nasty);
  });

  it('bind null, undefined, numbers, booleans, bigints and dates', async () => {
    const at = new Date('2026-03-04T05:06:07.089Z');
    const r = await one(
      read(),
      'select ?::text as a, ?::text as b, ?::int as c, ?::boolean as d, ?::bigint::text as e, ?::timestamptz as f, ?::numeric::text as g',
      [null, undefined, 7, true, 9007199254740993n, at, '12.50'],
    );
    expect(r).toMatchObject({ a: null, b: null, c: 7, d: true, e: '9007199254740993', g: '12.50' });
    expect(new Date(r.f).toISOString()).toBe(at.toISOString());
    await expect(one(read(), 'select ? as x', [['a', 'b']])).rejects.toThrow(/pgArray/);
  });

  it('bind bytes (Buffer and bare Uint8Array) and take a bare connection as the target', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const conn = orm.em.getConnection();
    const r = await one(conn, 'select ?::bytea as a, ?::bytea as b, encode(?::bytea, ?) as hex', [
      bytes,
      Buffer.from(bytes),
      bytes.subarray(3),
      'hex',
    ]);
    expect(new Uint8Array(r.a)).toEqual(bytes);
    expect(new Uint8Array(r.b)).toEqual(bytes);
    expect(r.hex).toBe('faff');
  });

  it('count rows touched', async () => {
    expect(await run(read(), 'insert into bind_probe (v) values (?), (?)', ['a', 'b'])).toBe(2);
    expect(await run(read(), 'update bind_probe set v = ? where v in (?, ?)', ['c', 'a', 'b'])).toBe(2);
    expect(await run(read(), 'delete from bind_probe where v = ?', ['c'])).toBe(2);
  });

  it('run inside the write transaction: same transaction for every statement, rolled back together', async () => {
    const txids = await wp.write(viewer, async (tx) => {
      const a = await one(tx.em, 'select txid_current()::text as t, now()::text as n');
      await run(tx.em, 'insert into bind_probe (v) values (?)', ['kept']);
      const seen = await one(tx.em, 'select count(*)::int as n from bind_probe where v = ?', ['kept']);
      const b = await one(tx.em, 'select txid_current()::text as t, now()::text as n');
      return { a, b, seen: seen!.n };
    });
    expect(txids.a).toEqual(txids.b);
    expect(txids.seen).toBe(1);
    await expect(
      wp.write(viewer, async (tx) => {
        await run(tx.em, 'insert into bind_probe (v) values (?)', ['rolled back']);
        await run(tx.em, 'insert into bind_probe (id, v) values (?, ?)', [1_000_000, 'dup']);
        await run(tx.em, 'insert into bind_probe (id, v) values (?, ?)', [1_000_000, 'dup']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    const left = await rows(read(), 'select v from bind_probe order by id');
    expect(left.map((x) => x.v)).toEqual(['kept']);
    // Outside a transaction every statement is its own.
    const [x, y] = [await one(read(), 'select txid_current()::text as t'), await one(read(), 'select txid_current()::text as t')];
    expect(x!.t).not.toBe(y!.t);
  });
});

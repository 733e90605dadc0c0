/**
 * What a view costs per node, on DuckDB and on PostgreSQL: one `create or replace view`
 * (atomic by itself: no transaction, temporary relation or rename), and on PostgreSQL three
 * round trips in all with the build lock (the relation's type rides with the lock). A view that fails to build leaves the old one in
 * place; on PostgreSQL, a view whose columns changed (which `create or replace view`
 * refuses) is swapped in instead, and the views that read it are kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { registerAdapter, run } from '../src/index.js';
import { DuckDBAdapter, type DuckDBProfile } from '../src/adapters/duckdb/index.js';
import { PostgresAdapter, type PostgresProfile } from '../src/adapters/postgres/index.js';
import type { Adapter } from '../src/adapters/types.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { recordingStatements } from './helpers/statement-log.js';
import { describeEngines } from './incremental-engines.js';

/** Every statement kiln sends through the adapter, in order; BEGIN and COMMIT stand for a transaction. */
const sent: string[] = [];

const counting = (adapter: Adapter) => recordingStatements(adapter, sent);
registerAdapter('duckdb', async (target, projectDir) =>
  counting(
    new DuckDBAdapter({ ...(target.settings as unknown as DuckDBProfile), threads: target.threads }, projectDir),
  ),
);
registerAdapter('postgres', async (target) =>
  counting(new PostgresAdapter({ ...(target.settings as unknown as PostgresProfile), threads: target.threads })),
);

/** Round trips to the PostgreSQL server: every query of every pg client in this process. */
let roundTrips = 0;
// Patched on the prototype and always called with the client as `this`.
// eslint-disable-next-line @typescript-eslint/unbound-method
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  roundTrips++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const nodeStatements = () =>
  sent.filter((s) => !/^create schema/i.test(s)).map((s) => s.split('\n')[0]!.replace(/"[^"]*"\."[^"]*"\./, ''));

describeEngines((engine, name) => {
  test(`${name}: a view is one create or replace view, the first time and the next; a failed view leaves the old one`, async () => {
    const dir = writeProject(
      minimalProject({
        'models/a.sql': 'select 1 as id, 2 as extra',
        'models/b.sql': "select id, extra from {{ ref('a') }}",
        'models/c.sql': "select id * 10 as id from {{ ref('b') }}",
        'models/d.sql': "select id + 1 as id from {{ ref('c') }}",
        ...engine.profileFiles(),
      }),
    );
    try {
      for (const attempt of [1, 2]) {
        sent.length = 0;
        assert.ok((await run({ projectDir: dir, threads: 1 })).success);
        assert.deepEqual(
          nodeStatements(),
          [
            'create or replace view "a" as (',
            'create or replace view "b" as (',
            'create or replace view "c" as (',
            'create or replace view "d" as (',
          ],
          `run ${attempt}`,
        );
      }
      if (name === 'postgres') {
        // Round trips per view: the build lock with the relation's current type, the view, the unlock.
        const tripsOf = async (select: string[]) => {
          roundTrips = 0;
          assert.ok((await run({ projectDir: dir, threads: 1, select })).success);
          return roundTrips;
        };
        const two = await tripsOf(['a', 'b']);
        const four = await tripsOf(['a', 'b', 'c', 'd']);
        assert.equal((four - two) / 2, 3, `round trips: ${two} for two views, ${four} for four`);
      }

      writeFileSync(join(dir, 'models', 'b.sql'), "select id, no_such_column from {{ ref('a') }}");
      sent.length = 0;
      const failed = await run({ projectDir: dir, threads: 1, select: ['b'] });
      assert.equal(failed.results[0]?.status, 'error');
      assert.deepEqual(
        await engine.query(dir, 'select id, extra from b'),
        [{ id: 1, extra: 2 }],
        'the old view stands',
      );
      assert.deepEqual(await engine.query(dir, 'select id from d'), [{ id: 11 }], 'and so do the views on it');
    } finally {
      removeDir(dir);
    }
  });

  if (name === 'postgres') {
    test('postgres: a view whose columns changed is swapped in, keeping the views that read it', async () => {
      const dir = writeProject(
        minimalProject({
          'models/a.sql': 'select 1 as id, 2 as extra',
          'models/b.sql': "select id from {{ ref('a') }}",
          ...engine.profileFiles(),
        }),
      );
      try {
        assert.ok((await run({ projectDir: dir, threads: 1 })).success);
        // a loses a column: PostgreSQL's create or replace view refuses, the swap replaces it.
        writeFileSync(join(dir, 'models', 'a.sql'), 'select 5 as id');
        sent.length = 0;
        const r = await run({ projectDir: dir, threads: 1, select: ['a'] });
        assert.ok(r.success, r.results[0]?.message);
        const statements = nodeStatements();
        assert.match(statements[0]!, /^create or replace view "a" as \($/, 'tried in place first');
        assert.ok(
          statements.includes('BEGIN') && statements.some((s) => /^create or replace view "a__kiln_tmp_/.test(s)),
          statements.join('\n'),
        );
        assert.deepEqual(await engine.query(dir, 'select * from a'), [{ id: 5 }]);
        assert.deepEqual(await engine.query(dir, 'select id from b'), [{ id: 5 }], 'b, not rebuilt, still reads a');
      } finally {
        removeDir(dir);
      }
    });
  }
});

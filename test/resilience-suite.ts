/**
 * The resilience suite: what production data asks of a cloud warehouse, written once and run
 * against each warehouse's stand-in through its real SDK (as test/conformance/suite.ts does
 * for behaviour). Incremental loads are all-or-nothing, a failed seed leaves the old table,
 * an answer lost after a statement ran never runs it twice, cancelling and --fail-fast stop
 * the warehouse's work within a second, and a large result arriving in parts is read whole.
 * An engine file supplies the stand-in, the relation names it sees, the faults it injects and
 * what its protocol shows of them; the cases are the same. Its own cases follow the suite's.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { build, run, seed, type RunResult } from '../src/index.js';
import { createAdapter } from '../src/adapters/factory.js';
import type { Adapter } from '../src/adapters/types.js';

/** A statement as a stand-in logged it; the object changes as the statement ends. */
export interface LoggedStatement {
  sql: string;
  endedAt?: number;
}

export interface ResilienceEngine<S extends LoggedStatement> {
  /** The warehouse as test titles name it: `Snowflake`. */
  name: string;
  /** What runs a statement there, in test titles: `query`, `job`. */
  unit: string;
  /** The profile's target name. */
  target: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** profiles.yml of profile `tiny` (two threads) pointing at the stand-in. */
  profile(): string;
  /** The target's settings, for an adapter of the tests' own. */
  settings(): Record<string, unknown>;
  /** A model's relation as kiln writes it in SQL on this warehouse. */
  relation(model: string): string;
  /** How a table model starts its statement: `create or replace table`. */
  createTable: string;
  /** Runs SQL on the stand-in's own database, behind the protocol. */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Every statement the warehouse ran, in order. */
  statements(): S[];
  /** How a statement stands, lower case: `running`, `cancelled`, ... */
  status(statement: S): string;
  /** How many requests the stand-in has answered. */
  requestCount(): number;
  /** The next statement matching fails with a SQL error carrying `message`, where it stands. */
  failStatement(match: RegExp, message: string): void;
  /** The next statement matching runs `delayMs` first (unless cancelled), then fails with `message` if given. */
  slowStatement(match: RegExp, delayMs: number, message?: string): void;
  /** This warehouse's incremental models beyond the shared ones, with their rows after each load. */
  more?: { models: Record<string, string>; incrementals: string[]; loadOne: Rows; loadTwo: Rows };
  /** Models of this warehouse's own cases (no rows checked by the suite). */
  models?: Record<string, string>;
  /** The default strategy for a unique_key: `merge`, sent as this statement (or script) matches. */
  merge: { statement: RegExp; how?: string };
  /** After a load whose last statements all failed: that the delete of delete+insert ran and was rolled back. */
  assertRolledBack(ran: S[]): void;
  /** Answers lost after their statement ran: the last statements of the loads, `how` they are asked for again. */
  lostAnswers: {
    how: string;
    inject(last: (model: string) => RegExp): void;
    timesSent(s: S, fromRequest: number): number;
  };
  /** That cancelling a statement asked the warehouse to stop it, where the protocol shows it. */
  assertCancelRequested?(statement: S): void;
  /** A large result in parts: `how`, the part size, and the parts fetched since a request. */
  parts: { how: string; setSize(rows: number): void; assertFetched(fromRequest: number): void };
}

type Rows = Record<string, string[]>;

/** `text` as a regular expression matching it literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function waitFor<T>(probe: () => T | undefined, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the engine's own cases share with the suite's (function properties: they are destructured). */
export interface ResilienceContext {
  dir: () => string;
  /** An open adapter on the target, closed after the suite. */
  adapter: () => Adapter;
  /** A table's rows, each as its values joined by `:` (timestamps to the second), sorted. */
  table: (model: string) => Promise<string[]>;
  /** A run's results that did not succeed, with their messages. */
  failures: (r: RunResult) => string[];
}

/** Two loads of the same keys: the second changes 2 and 3 and adds 4. */
const rowsSql = `{% if var('load', 1) == 1 %}
select 1 as id, 'a' as v union all select 2, 'b' union all select 3, 'c'
{% else %}
select 2 as id, 'B' as v union all select 3, 'C' union all select 4, 'd'
{% endif %}`;
const incremental = (config: string) => `{{ config(materialized='incremental', ${config}) }}\n${rowsSql}`;

export function resilienceSuite<S extends LoggedStatement>(engine: ResilienceEngine<S>): ResilienceContext {
  let dir: string;
  let adapter: Adapter;
  const rel = (model: string) => engine.relation(model);

  before(async () => {
    await engine.start();
    dir = writeProject(
      minimalProject({
        'profiles.yml': engine.profile(),
        'models/inc_append.sql': incremental("incremental_strategy='append'"),
        'models/inc_delete_insert.sql': incremental("incremental_strategy='delete+insert', unique_key='id'"),
        'models/inc_merge.sql': incremental("incremental_strategy='merge', unique_key='id'"),
        'models/inc_default.sql': incremental("unique_key='id'"),
        'models/events.sql': `{{ config(materialized='table', event_time='ts') }}
{% if var('load', 1) == 1 %}
select 1 as id, cast('2024-01-01 10:00:00' as timestamp) as ts, 'a' as v union all select 2, cast('2024-01-02 10:00:00' as timestamp), 'b'
{% else %}
select 1 as id, cast('2024-01-01 10:00:00' as timestamp) as ts, 'A' as v union all select 2, cast('2024-01-02 10:00:00' as timestamp), 'B' union all select 3, cast('2024-01-02 11:00:00' as timestamp), 'c'
{% endif %}`,
        'models/inc_micro.sql':
          "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01') }}\nselect id, ts, v from {{ ref('events') }}",
        'models/slow.sql': "{{ config(materialized='table') }}select 1 as id",
        'models/quick_fail.sql': "{{ config(materialized='table') }}select 1 as id",
        ...engine.more?.models,
        ...engine.models,
      }),
    );
    const settings = engine.settings();
    adapter = await createAdapter(
      { profileName: 'tiny', targetName: engine.target, type: String(settings.type), threads: 1, settings },
      dir,
    );
    await adapter.open();
  });

  after(async () => {
    await adapter?.close();
    await engine.stop();
    removeDir(dir);
  });

  const table = async (model: string) =>
    (await engine.query(`select * from ${rel(model)} order by all`)).map((r) =>
      Object.values(r)
        .map((v) => (v instanceof Date ? v.toISOString().slice(0, 19) : String(v)))
        .join(':'),
    );
  const incrementals = ['inc_append', 'inc_delete_insert', 'inc_merge', 'inc_default', 'inc_micro'].concat(
    engine.more?.incrementals ?? [],
  );
  const span = { eventTimeStart: '2024-01-01', eventTimeEnd: '2024-01-03' };
  const failures = (r: RunResult) =>
    r.results.filter((x) => x.status !== 'success').map((x) => `${x.uniqueId}: ${x.message}`);
  const loadOne: Rows = {
    inc_append: ['1:a', '2:b', '3:c'],
    inc_delete_insert: ['1:a', '2:b', '3:c'],
    inc_merge: ['1:a', '2:b', '3:c'],
    inc_default: ['1:a', '2:b', '3:c'],
    inc_micro: ['1:2024-01-01T10:00:00:a', '2:2024-01-02T10:00:00:b'],
    ...engine.more?.loadOne,
  };
  /** The statement that changes a load's target last: for delete+insert the insert after the delete. */
  const last = (model: string) =>
    ['inc_merge', 'inc_default'].includes(model)
      ? new RegExp(`^merge into ${literal(rel(model))} `)
      : new RegExp(`^insert into ${literal(rel(model))} \\(`);
  /** SQL with `words` right before the model's relation (not one whose name only starts the same). */
  const naming = (words: string, model: string) => new RegExp(`${words}${literal(rel(model))}(?!\\w)`);
  const mentions = (sql: string, model: string) => naming('', model).test(sql);
  const createTable = (model: string) => naming(`^${engine.createTable} `, model);
  const noScratchTable = async () =>
    assert.deepEqual(
      await engine.query(`select table_name from information_schema.tables where table_name ilike '%kiln_tmp%'`),
      [],
      'no scratch table is left',
    );

  test('the first load builds every incremental model', async () => {
    const r = await run({ projectDir: dir, select: ['events', ...incrementals], ...span });
    assert.deepEqual(failures(r), []);
    for (const [name, rows] of Object.entries(loadOne)) assert.deepEqual(await table(name), rows, name);
  });

  test(`with a unique_key and no strategy, ${engine.name} merges (as dbt-${engine.name.toLowerCase()} does)${engine.merge.how ?? ''}`, async () => {
    const before = engine.statements().length;
    await run({ projectDir: dir, select: ['inc_default'], vars: { load: 1 } });
    const sent = engine
      .statements()
      .slice(before)
      .map((s) => s.sql);
    const merge = sent.find((s) => naming('merge into ', 'inc_default').test(s));
    assert.match(merge ?? '', engine.merge.statement, sent.join('\n'));
    assert.ok(!sent.some((s) => naming('delete from ', 'inc_default').test(s)));
  });

  test('a failure in the last statement of every incremental load leaves every table as it was', async () => {
    for (const name of incrementals) engine.failStatement(last(name), `injected failure in ${name}`);
    const before = engine.statements().length;
    const r = await run({ projectDir: dir, select: incrementals, vars: { load: 2 }, ...span });
    for (const id of incrementals)
      assert.equal(r.results.find((x) => x.uniqueId === `model.tiny.${id}`)?.status, 'error', id);
    for (const [name, rows] of Object.entries(loadOne))
      assert.deepEqual(await table(name), rows, `${name} is unchanged`);
    engine.assertRolledBack(engine.statements().slice(before));
    await noScratchTable();
  });

  test('a seed whose rows fail to load leaves the old seed table as it was and no scratch table', async () => {
    mkdirSync(join(dir, 'seeds'), { recursive: true });
    writeFileSync(join(dir, 'seeds', 'people.csv'), 'id,name\n1,ann\n2,bob\n');
    assert.deepEqual(failures(await seed({ projectDir: dir })), []);
    writeFileSync(join(dir, 'seeds', 'people.csv'), 'id,name\n1,ann\n2,bob\n3,cy\n');
    engine.failStatement(naming('^insert into ', 'people__kiln_tmp'), 'injected failure loading people');
    const r = await seed({ projectDir: dir });
    assert.equal(r.results[0]?.status, 'error');
    assert.match(r.results[0]?.message ?? '', /injected failure loading people/);
    assert.deepEqual(await table('people'), ['1:ann', '2:bob']);
    await noScratchTable();
  });

  test(`an answer lost after the statement ran is asked for again ${engine.lostAnswers.how}, never run twice`, async () => {
    engine.lostAnswers.inject(last);
    const before = engine.statements().length;
    const beforeRequests = engine.requestCount();
    const r = await run({ projectDir: dir, select: ['events', ...incrementals], vars: { load: 2 }, ...span });
    assert.deepEqual(failures(r), []);
    assert.deepEqual(await table('inc_append'), ['1:a', '2:B', '2:b', '3:C', '3:c', '4:d']);
    for (const name of ['inc_delete_insert', 'inc_merge', 'inc_default'])
      assert.deepEqual(await table(name), ['1:a', '2:B', '3:C', '4:d'], name);
    assert.deepEqual(await table('inc_micro'), [
      '1:2024-01-01T10:00:00:A',
      '2:2024-01-02T10:00:00:B',
      '3:2024-01-02T11:00:00:c',
    ]);
    for (const [name, rows] of Object.entries(engine.more?.loadTwo ?? {}))
      assert.deepEqual(await table(name), rows, name);
    // The append ran once, though it was asked for more than once.
    const appends = engine
      .statements()
      .slice(before)
      .filter((s) => s.sql.includes(`insert into ${rel('inc_append')} (`));
    assert.equal(appends.length, 1, 'one statement');
    const asked = engine.lostAnswers.timesSent(appends[0]!, beforeRequests);
    assert.ok(asked >= 2, `the request was sent again (${asked})`);
  });

  test(`cancelling a run stops the running ${engine.unit} on the warehouse within a second`, async (t) => {
    engine.slowStatement(createTable('slow'), 60_000);
    const controller = new AbortController();
    const done = build({ projectDir: dir, select: ['slow'], signal: controller.signal });
    const running = await waitFor(() =>
      engine.statements().find((s) => mentions(s.sql, 'slow') && engine.status(s) === 'running'),
    );
    await new Promise((r) => setTimeout(r, 300));
    const abortedAt = Date.now();
    controller.abort();
    const r = await done;
    assert.equal(engine.status(running), 'cancelled', `the stand-in cancelled the ${engine.unit}`);
    assert.ok(running.endedAt! - abortedAt < 1000, `stopped ${running.endedAt! - abortedAt} ms after the abort`);
    t.diagnostic(`the warehouse stopped the ${engine.unit} ${running.endedAt! - abortedAt} ms after the abort`);
    assert.ok(Date.now() - abortedAt < 2000);
    engine.assertCancelRequested?.(running);
    assert.equal(r.results.find((x) => x.uniqueId === 'model.tiny.slow')?.status, 'cancelled');
  });

  test(`--fail-fast stops the other running ${engine.unit} within a second`, async () => {
    engine.slowStatement(createTable('slow'), 60_000);
    engine.slowStatement(createTable('quick_fail'), 500, 'injected conversion error');
    const started = Date.now();
    const r = await build({ projectDir: dir, select: ['slow', 'quick_fail'], failFast: true, threads: 2 });
    const slow = engine
      .statements()
      .filter((s) => mentions(s.sql, 'slow'))
      .at(-1)!;
    assert.equal(engine.status(slow), 'cancelled');
    assert.ok(Date.now() - started < 3000, `the build ended after ${Date.now() - started} ms`);
    assert.equal(r.success, false);
  });

  test(`a large result comes in parts (${engine.parts.how}) and is read whole`, async () => {
    engine.parts.setSize(100);
    try {
      const before = engine.requestCount();
      const out = await adapter.execute('select i as n from range(250) t(i) order by i');
      assert.equal(out.rows.length, 250);
      assert.deepEqual(
        out.rows.slice(98, 102).map((r) => r.n),
        [98, 99, 100, 101],
      );
      assert.equal(out.rows[249]!.n, 249);
      engine.parts.assertFetched(before);
    } finally {
      engine.parts.setSize(10_000);
    }
  });

  return { dir: () => dir, adapter: () => adapter, table, failures };
}

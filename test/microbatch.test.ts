/**
 * The microbatch strategy end to end through the CLI on every engine: batches over event
 * time, inputs with an `event_time` filtered to each batch, `begin` and `lookback`,
 * --event-time-start/--event-time-end, a failing batch, and the table's rows after each round.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { describeEngines } from './incremental-engines.js';

const daily = `{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01') }}
select e.id, e.ts, r.name as region,
  {% if model.batch.event_time_start == var('fail_batch', '') %}cast('boom' as integer){% else %}e.amount{% endif %} as amount,
  '{{ model.batch.event_time_start }}' as batch_start
from {{ ref('events') }} e join {{ ref('regions') }} r on r.code = e.region
`;

const yearly = `{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='year', begin=var('begin'), lookback=1,
  pre_hook='create table if not exists {{ target.schema }}.mb_log (n integer)', post_hook='insert into {{ target.schema }}.mb_log select count(*) from {{ this }}') }}
select id, ts, amount from {{ ref('events') }}
`;

const header = 'id,ts,region,amount\n';

describeEngines((engine, engineName) => {
  const rows = async (dir: string, table: string, extra = ''): Promise<string[]> =>
    (
      await engine.query(
        dir,
        `select cast(id as integer) as id, cast(amount as integer) as amount${extra} from ${table}`,
      )
    )
      .map((r) =>
        [r.id, r.amount ?? 'null', ...(extra ? [r.region, String(r.batch_start).slice(0, 10)] : [])].join('|'),
      )
      .sort();

  test(`${engineName}: daily batches over flags' spans, filtered inputs and a failing batch`, async () => {
    const dir = writeProject({
      ...minimalProject({
        'seeds/events.csv':
          header +
          '1,2024-01-01 08:00:00,eu,10\n2,2024-01-01 23:59:59,us,20\n3,2024-01-02 12:00:00,eu,30\n4,2024-01-03 00:00:00,us,40\n5,2024-01-05 09:00:00,eu,50\n',
        'seeds/regions.csv': 'code,name\neu,Europe\nus,Americas\n',
        'seeds/props.yml': 'version: 2\nseeds:\n  - name: events\n    config:\n      event_time: ts\n',
        'models/daily.sql': daily,
      }),
      ...engine.profileFiles(),
    });
    const run = (...args: string[]) => kiln(['run', '--project-dir', dir, '-s', 'daily', ...args]);
    const extra = ', region, batch_start';
    try {
      assert.equal(kiln(['seed', '--project-dir', dir]).code, 0);
      // Round 1: three days; each row is computed in its own day's batch, day 5 is outside.
      let r = run('--event-time-start', '2024-01-01', '--event-time-end', '2024-01-04');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /MICROBATCH 3 batches, 4 rows/);
      const round1 = [
        '1|10|Europe|2024-01-01',
        '2|20|Americas|2024-01-01',
        '3|30|Europe|2024-01-02',
        '4|40|Americas|2024-01-03',
      ];
      assert.deepEqual(await rows(dir, 'daily', extra), round1);

      // Round 2: 1 updated (day 1), 3 deleted and 6 new (day 2); only day 2 is rebuilt.
      writeFileSync(
        join(dir, 'seeds/events.csv'),
        header +
          '1,2024-01-01 08:00:00,eu,11\n2,2024-01-01 23:59:59,us,20\n6,2024-01-02 01:00:00,us,60\n4,2024-01-03 00:00:00,us,40\n5,2024-01-05 09:00:00,eu,50\n',
      );
      assert.equal(kiln(['seed', '--project-dir', dir]).code, 0);
      r = run('--event-time-start', '2024-01-02', '--event-time-end', '2024-01-03');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /MICROBATCH 1 batch, 1 rows/);
      const round2 = [
        '1|10|Europe|2024-01-01',
        '2|20|Americas|2024-01-01',
        '4|40|Americas|2024-01-03',
        '6|60|Americas|2024-01-02',
      ];
      assert.deepEqual(await rows(dir, 'daily', extra), round2);
      // The same span again changes nothing.
      r = run('--event-time-start', '2024-01-02', '--event-time-end', '2024-01-03');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await rows(dir, 'daily', extra), round2);

      // Round 3: the batch of day 3 fails; days 1 and 2 are applied, day 3 keeps its rows.
      writeFileSync(
        join(dir, 'seeds/events.csv'),
        header +
          '1,2024-01-01 08:00:00,eu,12\n2,2024-01-01 23:59:59,us,20\n6,2024-01-02 01:00:00,us,61\n4,2024-01-03 00:00:00,us,41\n',
      );
      assert.equal(kiln(['seed', '--project-dir', dir]).code, 0);
      r = run(
        '--event-time-start',
        '2024-01-01',
        '--event-time-end',
        '2024-01-04',
        '--vars',
        "{fail_batch: '2024-01-03 00:00:00'}",
      );
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /1 of 3 batches failed \(the others were applied\): batch 3\/3 \[2024-01-03 00:00:00, 2024-01-04 00:00:00\)/,
      );
      assert.deepEqual(await rows(dir, 'daily', extra), [
        '1|12|Europe|2024-01-01',
        '2|20|Americas|2024-01-01',
        '4|40|Americas|2024-01-03',
        '6|61|Americas|2024-01-02',
      ]);
      // Redoing that window alone, once fixed.
      r = run('--event-time-start', '2024-01-03', '--event-time-end', '2024-01-04');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await rows(dir, 'daily', extra), [
        '1|12|Europe|2024-01-01',
        '2|20|Americas|2024-01-01',
        '4|41|Americas|2024-01-03',
        '6|61|Americas|2024-01-02',
      ]);
      const tables = await engine.query(
        dir,
        `select table_name from information_schema.tables where table_name like '%kiln%'`,
      );
      assert.deepEqual(tables, [], 'no staging relation left behind');

      // Bad input: an end before the start.
      r = run('--event-time-start', '2024-01-05', '--event-time-end', '2024-01-04');
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr + r.stdout, /--event-time-start .* must be before --event-time-end/);
    } finally {
      removeDir(dir);
    }
  });

  test(`${engineName}: an audited microbatch model publishes only batches whose result passes the tests`, async () => {
    const dir = writeProject({
      ...minimalProject({
        'seeds/events.csv': header + '1,2024-01-01 08:00:00,eu,10\n2,2024-01-02 08:00:00,eu,20\n',
        'seeds/props.yml': 'version: 2\nseeds:\n  - name: events\n    config:\n      event_time: ts\n',
        'models/audited.sql':
          "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01', audit=true) }}\nselect id, ts, amount from {{ ref('events') }}\n",
        'models/schema.yml':
          'version: 2\nmodels:\n  - name: audited\n    columns:\n      - name: amount\n        data_tests: [not_null]\n',
      }),
      ...engine.profileFiles(),
    });
    const span = ['--event-time-start', '2024-01-01', '--event-time-end', '2024-01-03'];
    try {
      let r = kiln(['build', '--project-dir', dir, ...span]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /MICROBATCH 2 batches, 2 rows \(audited: 1 test passed\)/);
      assert.deepEqual(await rows(dir, 'audited'), ['1|10', '2|20']);
      // Day 2 now brings a row without an amount: the batches go to the copy, which fails.
      writeFileSync(
        join(dir, 'seeds/events.csv'),
        header + '1,2024-01-01 08:00:00,eu,11\n2,2024-01-02 08:00:00,eu,20\n3,2024-01-02 09:00:00,eu,\n',
      );
      r = kiln(['build', '--project-dir', dir, ...span]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout + r.stderr, /audit failed: not_null_audited_amount/);
      assert.deepEqual(await rows(dir, 'audited'), ['1|10', '2|20'], 'production keeps its rows');
      assert.deepEqual(await rows(dir, 'audited__kiln_quarantine'), ['1|11', '2|20', '3|null']);
    } finally {
      removeDir(dir);
    }
  });

  test(`${engineName}: the first run starts at begin; later runs redo the current batch and the lookback`, async () => {
    const year = new Date().getUTCFullYear();
    const events = (older: number, last: number, current: number) =>
      header +
      `1,${year - 2}-03-01 00:00:00,eu,${older}\n2,${year - 1}-06-01 00:00:00,eu,${last}\n3,${year}-01-01 00:00:00,eu,${current}\n`;
    const dir = writeProject({
      ...minimalProject({
        'seeds/events.csv': events(1, 2, 3),
        'seeds/props.yml': 'version: 2\nseeds:\n  - name: events\n    config:\n      event_time: ts\n',
        'models/yearly.sql': yearly,
      }),
      ...engine.profileFiles(),
    });
    const vars = ['--vars', `{begin: '${year - 2}-01-01'}`];
    try {
      let r = kiln(['build', '--project-dir', dir, ...vars]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /MICROBATCH 3 batches, 3 rows/);
      assert.deepEqual(await rows(dir, 'yearly'), ['1|1', '2|2', '3|3']);
      // Every row changes at the source; only last year (lookback 1) and this year are redone.
      writeFileSync(join(dir, 'seeds/events.csv'), events(10, 20, 30));
      r = kiln(['build', '--project-dir', dir, ...vars]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /MICROBATCH 2 batches, 2 rows/);
      assert.deepEqual(await rows(dir, 'yearly'), ['1|1', '2|20', '3|30']);
      // The post-hook ran once per build: with the first batch when it created the table,
      // after the last batch on an incremental run.
      assert.deepEqual(
        (await engine.query(dir, 'select cast(n as integer) as n from mb_log')).map((x) => x.n).sort(),
        [1, 3],
      );
      // A full refresh starts again at begin.
      r = kiln(['build', '--project-dir', dir, ...vars, '--full-refresh', '-s', 'yearly']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await rows(dir, 'yearly'), ['1|10', '2|20', '3|30']);
    } finally {
      removeDir(dir);
    }
  });
});

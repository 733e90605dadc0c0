/**
 * Snapshots end to end through the CLI, on every engine: rounds of changing source data
 * (updated, deleted, reappearing rows, a new column), checking every history row after each
 * round and after re-running a round unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, minimalProject, removeDir } from './helpers/cli.js';
import { describeEngines } from './incremental-engines.js';

const rounds: Record<number, string> = {
  1: 'id,status,updated_at\n1,new,2024-01-01 00:00:00\n2,new,2024-01-01 00:00:00\n',
  // 1 updated, 2 deleted, 3 new
  2: 'id,status,updated_at\n1,shipped,2024-01-02 00:00:00\n3,new,2024-01-02 00:00:00\n',
  // 2 comes back; a new column
  3: 'id,status,updated_at,priority\n1,shipped,2024-01-02 00:00:00,\n2,back,2024-01-03 00:00:00,high\n3,new,2024-01-02 00:00:00,\n',
};

describeEngines((engine, engineName) => {
  /** History rows as 'id|status|valid_from|valid_to[|is_deleted]': 2024 dates as MM-DD, the snapshot's own clock as 'now'. */
  const history = async (dir: string, table: string, deleted = false): Promise<string[]> => {
    const when = (v: unknown) =>
      v === null || v === undefined
        ? 'null'
        : String(v).startsWith('2024')
          ? String(v).slice(5, 10)
          : String(v).startsWith('9999')
            ? '9999'
            : 'now';
    const rows = await engine.query(
      dir,
      `select cast(id as integer) as id, status, cast(dbt_valid_from as varchar) as f, cast(dbt_valid_to as varchar) as t${deleted ? ', dbt_is_deleted' : ''} from ${table}`,
    );
    return rows
      .map((r) => [r.id, r.status, when(r.f), when(r.t), ...(deleted ? [r.dbt_is_deleted] : [])].join('|'))
      .sort();
  };

  test(`${engineName}: timestamp and check strategies, hard deletes, dbt_valid_to_current, YAML snapshots over rounds`, async () => {
    const dir = writeProject({
      ...minimalProject({
        'seeds/raw.csv': rounds[1]!,
        'snapshots/orders.sql': `{% snapshot snap_ts %}
{{ config(target_schema=target.schema ~ '_hist', unique_key='id', strategy='timestamp', updated_at='updated_at', invalidate_hard_deletes=true) }}
select * from {{ ref('raw') }}
{% endsnapshot %}

{% snapshot snap_check %}
{{ config(unique_key='id', strategy='check', check_cols=['status']) }}
select * from {{ ref('raw') }}
{% endsnapshot %}
`,
        'snapshots/all.sql': `{% snapshot snap_all %}
{{ config(unique_key=['id'], strategy='check', check_cols='all', hard_deletes='new_record', dbt_valid_to_current="cast('9999-12-31' as timestamp)") }}
select * from {{ ref('raw') }}
{% endsnapshot %}
`,
        'snapshots/props.yml': `version: 2
snapshots:
  - name: snap_yaml
    relation: ref('raw')
    config:
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
      hard_deletes: new_record
`,
        // A model reading a snapshot waits for it in build.
        'models/current_orders.sql': "select id, status from {{ ref('snap_ts') }} where dbt_valid_to is null",
      }),
      ...engine.profileFiles(),
    });
    const hist = `${engine.schema}_hist.snap_ts`;
    const all = async () => ({
      ts: await history(dir, hist),
      check: await history(dir, 'snap_check'),
      all: await history(dir, 'snap_all', true),
      yaml: await history(dir, 'snap_yaml', true),
    });
    try {
      let r = kiln(['build', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /snapshot \S*snap_ts/);
      const round1 = {
        ts: ['1|new|01-01|null', '2|new|01-01|null'],
        check: ['1|new|now|null', '2|new|now|null'],
        all: ['1|new|now|9999|False', '2|new|now|9999|False'],
        yaml: ['1|new|01-01|null|False', '2|new|01-01|null|False'],
      };
      assert.deepEqual(await all(), round1);
      // dbt's column names, and dbt_scd_id as dbt computes it.
      const cols = await engine.query(
        dir,
        `select column_name from information_schema.columns where table_name = 'snap_check' and table_schema = '${engine.schema}' order by ordinal_position`,
      );
      assert.deepEqual(
        cols.map((c) => c.column_name),
        ['id', 'status', 'updated_at', 'dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to'],
      );
      const scd = await engine.query(
        dir,
        `select count(*) as n from ${hist} where dbt_scd_id = md5(cast(id as varchar) || '|' || cast(updated_at as varchar))`,
      );
      assert.equal(Number(scd[0]!.n), 2);
      // `kiln snapshot` with nothing changed adds nothing.
      r = kiln(['snapshot', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /SNAPSHOT 0 inserted, 0 closed/);
      assert.deepEqual(await all(), round1);

      // Round 2: 1 updated, 2 deleted at the source, 3 new.
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[2]!);
      r = kiln(['build', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const round2 = {
        ts: ['1|new|01-01|01-02', '1|shipped|01-02|null', '2|new|01-01|now', '3|new|01-02|null'],
        // hard_deletes ignore (the default): 2 stays current.
        check: ['1|new|now|now', '1|shipped|now|null', '2|new|now|null', '3|new|now|null'],
        all: [
          '1|new|now|now|False',
          '1|shipped|now|9999|False',
          '2|new|now|9999|True',
          '2|new|now|now|False',
          '3|new|now|9999|False',
        ],
        yaml: [
          '1|new|01-01|01-02|False',
          '1|shipped|01-02|null|False',
          '2|new|01-01|now|False',
          '2|new|now|null|True',
          '3|new|01-02|null|False',
        ],
      };
      assert.deepEqual(await all(), round2);
      assert.deepEqual(
        (await engine.query(dir, 'select cast(id as integer) as id, status from current_orders order by id')).map(
          (x) => `${x.id}|${x.status}`,
        ),
        ['1|shipped', '3|new'],
      );
      r = kiln(['snapshot', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await all(), round2, 'idempotent re-run');

      // Round 3: 2 comes back, and the source has a new column.
      writeFileSync(join(dir, 'seeds/raw.csv'), rounds[3]!);
      r = kiln(['build', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(await all(), {
        ts: ['1|new|01-01|01-02', '1|shipped|01-02|null', '2|back|01-03|null', '2|new|01-01|now', '3|new|01-02|null'],
        check: ['1|new|now|now', '1|shipped|now|null', '2|back|now|null', '2|new|now|now', '3|new|now|null'],
        all: [
          '1|new|now|now|False',
          '1|shipped|now|9999|False',
          '2|back|now|9999|False',
          '2|new|now|now|False',
          '2|new|now|now|True',
          '3|new|now|9999|False',
        ],
        yaml: [
          '1|new|01-01|01-02|False',
          '1|shipped|01-02|null|False',
          '2|back|01-03|null|False',
          '2|new|01-01|now|False',
          '2|new|now|01-03|True',
          '3|new|01-02|null|False',
        ],
      });
      const prio = await engine.query(
        dir,
        `select cast(id as integer) as id, priority from ${hist} where dbt_valid_to is null order by id`,
      );
      assert.deepEqual(
        prio.map((p) => `${p.id}|${p.priority}`),
        ['1|null', '2|high', '3|null'],
      );
      // --full-refresh never rebuilds a snapshot: history is kept.
      r = kiln(['snapshot', '--project-dir', dir, '--full-refresh', '-s', 'snap_ts']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal((await history(dir, hist)).length, 5);
    } finally {
      removeDir(dir);
    }
  });

  test(`${engineName}: snapshot config mistakes are input errors naming the file`, async () => {
    const dir = writeProject({
      ...minimalProject({
        'seeds/raw.csv': rounds[1]!,
        'snapshots/bad.sql':
          "{% snapshot s %}\n{{ config(unique_key='id', strategy='timestamp') }}\nselect * from {{ ref('raw') }}\n{% endsnapshot %}\n",
      }),
      ...engine.profileFiles(),
    });
    try {
      let r = kiln(['snapshot', '--project-dir', dir]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /snapshots\/bad\.sql/);
      assert.match(r.stderr, /the timestamp strategy needs updated_at/);
      writeFileSync(
        join(dir, 'snapshots/bad.sql'),
        "{% snapshot s %}\n{{ config(unique_key='id', strategy='check', check_cols=['status'], hard_deletes='purge') }}\nselect * from {{ ref('raw') }}\n{% endsnapshot %}\n",
      );
      r = kiln(['snapshot', '--project-dir', dir]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /hard_deletes 'purge' is not valid/);
      writeFileSync(join(dir, 'snapshots/bad.sql'), '{% snapshot s %}\nselect 1 as id\n');
      r = kiln(['snapshot', '--project-dir', dir]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /snapshots\/bad\.sql:1/);
      assert.match(r.stderr, /not closed/);
    } finally {
      removeDir(dir);
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, type NodeEvent } from '../src/index.js';
import { writeProject, removeDir } from './helpers/cli.js';

test('on_error: continue lets children run after their parent fails; the default skips them', async () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: ctl\n',
    'models/flaky_parent.sql': "{{ config(on_error='continue') }}select * from missing_relation",
    'models/strict_parent.sql': 'select * from missing_relation',
    'models/child_of_flaky.sql': "-- depends_on: {{ ref('flaky_parent') }}\nselect 1 as id",
    'models/child_of_strict.sql': "-- depends_on: {{ ref('strict_parent') }}\nselect 1 as id",
  });
  try {
    const r = await run({ projectDir: dir });
    const by = new Map(r.results.map((x) => [x.uniqueId.split('.').pop(), x.status]));
    assert.equal(by.get('flaky_parent'), 'error');
    assert.equal(by.get('child_of_flaky'), 'success');
    assert.equal(by.get('strict_parent'), 'error');
    assert.equal(by.get('child_of_strict'), 'skipped');
    assert.equal(r.success, false);
  } finally {
    removeDir(dir);
  }
});

test('a concurrency_group caps how many of its models run at once', async () => {
  const slow =
    "{{ config(materialized='table', concurrency_group='fragile_source') }}select sum(i) as s from range(20000000) t(i)";
  const dir = writeProject({
    'dbt_project.yml': 'name: ctl\nconcurrency_groups:\n  fragile_source: 1\n',
    ...Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`models/g_${i}.sql`, slow])),
    ...Object.fromEntries(
      Array.from({ length: 4 }, (_, i) => [
        `models/free_${i}.sql`,
        "{{ config(materialized='table') }}select sum(i) as s from range(20000000) t(i)",
      ]),
    ),
  });
  try {
    let inGroup = 0;
    let peakGroup = 0;
    let running = 0;
    let peak = 0;
    const onEvent = (e: NodeEvent) => {
      const grouped = e.node.config.concurrency_group === 'fragile_source';
      const d = e.type === 'started' ? 1 : -1;
      running += d;
      if (grouped) inGroup += d;
      peak = Math.max(peak, running);
      peakGroup = Math.max(peakGroup, inGroup);
    };
    const r = await run({ projectDir: dir, threads: 4, onEvent });
    assert.equal(r.success, true);
    assert.equal(peakGroup, 1, 'never more than the group limit');
    assert.ok(peak >= 2, 'other models still use the free threads');
  } finally {
    removeDir(dir);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seed, build, sourceFreshness } from '../src/index.js';
import { kiln, writeProject, removeDir } from './helpers/cli.js';

const ago = (hours: number) => new Date(Date.now() - hours * 3600_000).toISOString().replace('T', ' ').slice(0, 19);

function project() {
  return writeProject({
    'dbt_project.yml': 'name: fresh\n',
    // Seeds stand in for tables an external loader fills.
    'seeds/orders_feed.csv': `id,loaded_at\n1,${ago(30)}\n2,${ago(1)}\n`,
    'seeds/events_feed.csv': `id,loaded_at,kind\n1,${ago(50)},real\n2,${ago(0.1)},test\n`,
    'seeds/refunds_feed.csv': `id,loaded_at\n1,${ago(80)}\n`,
    'models/sources.yml': [
      'version: 2',
      'sources:',
      '  - name: feed',
      '    schema: main',
      '    loaded_at_field: loaded_at',
      '    freshness:',
      '      warn_after: {count: 12, period: hour}',
      '      error_after: {count: 2, period: day}',
      '    tables:',
      '      - name: orders_feed',
      '      - name: events_feed',
      '        freshness:',
      '          warn_after: {count: 1, period: day}',
      '          error_after: {count: 36, period: hour}',
      '          filter: "kind = \'real\'"',
      '      - name: refunds_feed',
      '      - name: unchecked',
      '        identifier: orders_feed',
      '        freshness: null',
    ].join('\n'),
    'models/from_refunds.sql': "select * from {{ source('feed', 'refunds_feed') }}",
    'models/from_orders.sql': "select * from {{ source('feed', 'orders_feed') }}",
  });
}

test('source freshness judges each source by its rules and writes sources.json', async () => {
  const dir = project();
  try {
    assert.equal((await seed({ projectDir: dir })).success, true);
    const r = await sourceFreshness({ projectDir: dir });
    const by = new Map(r.results.map((x) => [x.uniqueId, x.status]));
    assert.equal(by.get('source.fresh.feed.orders_feed'), 'pass', 'newest row 1 hour old');
    assert.equal(
      by.get('source.fresh.feed.events_feed'),
      'error',
      'the filter hides the fresh test row: 50 hours > 36',
    );
    assert.equal(by.get('source.fresh.feed.refunds_feed'), 'error', '80 hours > 2 days');
    assert.equal(by.has('source.fresh.feed.unchecked'), false, 'freshness: null switches it off');
    assert.equal(r.success, false);
    const saved = JSON.parse(readFileSync(join(dir, 'target', 'sources.json'), 'utf8'));
    const orders = saved.results.find((x: { unique_id: string }) => x.unique_id === 'source.fresh.feed.orders_feed');
    assert.ok(orders.max_loaded_at_time_ago_in_s > 3000 && orders.max_loaded_at_time_ago_in_s < 4000);
    const cli = kiln(['source', 'freshness', '--project-dir', dir, '-s', 'source:feed.orders_feed']);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /PASS.*orders_feed/);
    assert.equal(kiln(['source', 'freshness', '--project-dir', dir]).code, 1);
  } finally {
    removeDir(dir);
  }
});

test('build --fail-on-stale-sources skips what reads a stale source', async () => {
  const dir = project();
  try {
    await seed({ projectDir: dir });
    const r = await build({ projectDir: dir, select: ['from_refunds', 'from_orders'], failOnStaleSources: true });
    const by = new Map(r.results.map((x) => [x.uniqueId, x]));
    assert.equal(by.get('model.fresh.from_orders')!.status, 'success');
    assert.equal(by.get('model.fresh.from_refunds')!.status, 'skipped');
    assert.match(by.get('model.fresh.from_refunds')!.message, /source source\.fresh\.feed\.refunds_feed is stale/);
    const plain = await build({ projectDir: dir, select: ['from_refunds'] });
    assert.equal(plain.results[0]!.status, 'success', 'without the flag freshness does not gate');
  } finally {
    removeDir(dir);
  }
});

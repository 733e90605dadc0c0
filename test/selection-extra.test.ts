/**
 * The selector methods `group:`, `access:`, `version:` and `source_status:` through the CLI:
 * a table of (selector, expected nodes) on one project, a run of a group, and
 * `source_status:fresher` between two real `kiln source freshness` runs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, writeProject, minimalProject, removeDir, tempDir } from './helpers/cli.js';

const ago = (hours: number) => new Date(Date.now() - hours * 3600_000).toISOString().replace('T', ' ').slice(0, 19);

const files = minimalProject({
  'seeds/events_feed.csv': `id,loaded_at\n1,${ago(30)}\n2,${ago(20)}\n`,
  'seeds/orders_feed.csv': `id,loaded_at\n1,${ago(10)}\n`,
  'models/sources.yml': [
    'version: 2',
    'sources:',
    '  - name: feed',
    '    schema: main',
    '    loaded_at_field: loaded_at',
    '    freshness:',
    '      warn_after: {count: 100, period: day}',
    '    tables:',
    '      - name: events_feed',
    '      - name: orders_feed',
  ].join('\n'),
  'models/finance_revenue.sql':
    "{{ config(group='finance', access='public') }}\nselect count(*) as n from {{ source('feed', 'orders_feed') }}",
  'models/finance_costs.sql': "select count(*) as n from {{ source('feed', 'events_feed') }}",
  'models/campaigns.sql': 'select 1 as campaign_id',
  'models/plain.sql': "select * from {{ ref('campaigns') }}",
  'models/schema.yml': [
    'version: 2',
    'groups:',
    '  - name: finance',
    '    owner: {name: Finance, email: finance@example.com}',
    '  - name: marketing',
    '    owner: {name: Marketing}',
    'models:',
    '  - name: finance_costs',
    '    config: {group: finance, access: private}',
    '  - name: campaigns',
    '    group: marketing',
    '    access: protected',
    '    columns:',
    '      - name: campaign_id',
    '        tests: [unique]',
  ].join('\n'),
});

const dir = writeProject(files);
after(() => removeDir(dir));

const ls = (selector: string, extra: string[] = []) => {
  const r = kiln(['ls', '--project-dir', dir, '-s', selector, '--output', 'name', ...extra]);
  return { ...r, names: r.stdout.trim().split('\n').filter(Boolean).sort() };
};

const cases: Array<[string, string[]]> = [
  ['group:finance', ['finance_costs', 'finance_revenue']],
  ['group:fin*', ['finance_costs', 'finance_revenue']],
  ['group:marketing', ['campaigns', 'unique_campaigns_campaign_id']],
  ['group:marketing+', ['campaigns', 'plain', 'unique_campaigns_campaign_id']],
  ['access:public', ['finance_revenue']],
  ['access:private', ['finance_costs']],
  ['access:protected', ['campaigns', 'plain', 'unique_campaigns_campaign_id']],
  ['access:protected,group:marketing', ['campaigns', 'unique_campaigns_campaign_id']],
  ['version:none', ['campaigns', 'finance_costs', 'finance_revenue', 'plain', 'unique_campaigns_campaign_id']],
];

for (const [selector, expected] of cases) {
  test(`ls -s ${selector}`, () => {
    const r = ls(selector);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.names, expected);
  });
}

test('version:latest matches nothing (no model versions) and says so; bad values are exit 2', () => {
  const latest = ls('version:latest');
  assert.equal(latest.code, 0);
  assert.deepEqual(latest.names, []);
  assert.match(latest.stderr, /the selector 'version:latest' matched no nodes/);
  const badAccess = ls('access:secret');
  assert.equal(badAccess.code, 2);
  assert.match(badAccess.stderr, /'secret' is not a model access; expected one of: private, protected, public/);
  const badVersion = ls('version:2');
  assert.equal(badVersion.code, 2);
  const badStatus = ls('source_status:older');
  assert.equal(badStatus.code, 2);
  assert.match(badStatus.stderr, /expected one of: fresher/);
});

test('a group that is not defined, or an unknown access, is bad input (exit 2)', () => {
  for (const [file, text, expect] of [
    [
      'models/x.sql',
      "{{ config(group='sales') }}\nselect 1 as id",
      /model 'x' is in group 'sales', which is not defined[\s\S]*defined groups: finance, marketing/,
    ],
    // Checked where it is written, with the line of the config() call.
    [
      'models/x.sql',
      "{{ config(access='open') }}\nselect 1 as id",
      /models\/x\.sql:1: 'access' must be one of: private, protected, public, not "open"/,
    ],
  ] as Array<[string, string, RegExp]>) {
    const bad = writeProject({ ...files, [file]: text });
    try {
      const r = kiln(['parse', '--project-dir', bad]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expect);
      assert.match(r.stderr, /models\/x\.sql/);
    } finally {
      removeDir(bad);
    }
  }
  const noOwner = writeProject({ ...files, 'models/groups.yml': 'version: 2\ngroups:\n  - name: ops\n' });
  try {
    const r = kiln(['parse', '--project-dir', noOwner]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /models\/groups\.yml:3[\s\S]*missing the required key 'owner'/);
  } finally {
    removeDir(noOwner);
  }
});

test('run -s group:finance builds the group only; the manifest lists the groups', () => {
  assert.equal(kiln(['seed', '--project-dir', dir]).code, 0);
  const r = kiln(['run', '--project-dir', dir, '-s', 'group:finance']);
  assert.equal(r.code, 0, r.stderr);
  const ran = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'))
    .results.map((x: { unique_id: string }) => x.unique_id)
    .sort();
  assert.deepEqual(ran, ['model.tiny.finance_costs', 'model.tiny.finance_revenue']);
  const m = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
  assert.deepEqual(m.groups['group.tiny.finance'].owner, { name: 'Finance', email: 'finance@example.com' });
  assert.equal(m.nodes['model.tiny.campaigns'].config.group, 'marketing');
  assert.equal(m.nodes['model.tiny.campaigns'].config.access, 'protected');
});

test('source_status:fresher selects the sources loaded since the --state run', () => {
  const state = tempDir('kiln-state-');
  try {
    // No sources.json anywhere yet.
    const early = kiln(['ls', '--project-dir', dir, '-s', 'source_status:fresher', '--state', join(dir, 'target')]);
    assert.equal(early.code, 2);
    assert.match(early.stderr, /needs sources\.json in the --state folder/);
    assert.equal(kiln(['seed', '--project-dir', dir]).code, 0);
    const first = kiln(['source', 'freshness', '--project-dir', dir]);
    assert.equal(first.code, 0, first.stderr);
    for (const f of ['manifest.json', 'sources.json']) cpSync(join(dir, 'target', f), join(state, f));
    // New rows arrive in one feed only; the other is checked again, unchanged.
    writeFileSync(join(dir, 'seeds', 'events_feed.csv'), `id,loaded_at\n1,${ago(30)}\n2,${ago(20)}\n3,${ago(1)}\n`);
    assert.equal(kiln(['seed', '--project-dir', dir]).code, 0);
    assert.equal(kiln(['source', 'freshness', '--project-dir', dir]).code, 0);
    const fresher = kiln(['ls', '--project-dir', dir, '-s', 'source_status:fresher', '--state', state]);
    assert.equal(fresher.code, 0, fresher.stderr);
    assert.deepEqual(fresher.stdout.trim().split('\n'), ['source:tiny.feed.events_feed']);
    const downstream = kiln([
      'ls',
      '--project-dir',
      dir,
      '-s',
      'source_status:fresher+',
      '--state',
      state,
      '--resource-type',
      'model',
      '--output',
      'name',
    ]);
    assert.deepEqual(downstream.stdout.trim().split('\n'), ['finance_costs']);
    const built = kiln(['build', '--project-dir', dir, '-s', 'source_status:fresher+', '--state', state]);
    assert.equal(built.code, 0, built.stderr);
    const ran = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')).results.map(
      (x: { unique_id: string }) => x.unique_id,
    );
    assert.deepEqual(ran, ['model.tiny.finance_costs']);
    // Without --state, or with a state folder that has no sources.json: exit 2.
    const noState = kiln(['ls', '--project-dir', dir, '-s', 'source_status:fresher']);
    assert.equal(noState.code, 2);
    assert.match(noState.stderr, /no --state was given/);
    const bare = tempDir('kiln-state-');
    mkdirSync(bare, { recursive: true });
    cpSync(join(state, 'manifest.json'), join(bare, 'manifest.json'));
    const missing = kiln(['ls', '--project-dir', dir, '-s', 'source_status:fresher', '--state', bare]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs sources\.json in the --state folder/);
    removeDir(bare);
  } finally {
    removeDir(state);
  }
});

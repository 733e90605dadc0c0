/**
 * Unit tests on a fresh database (nothing seeded or built) whose fixtures leave columns out:
 * kiln types the missing columns as dbt does, from what it can know without the warehouse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, removeDir, writeProject, minimalProject } from './helpers/cli.js';

test('unit test inputs with no table and no data_type: a seed loaded as a source gives its CSV header, a contract gives its declared types', () => {
  const dir = writeProject(
    minimalProject({
      'seeds/codes.csv': 'id,label,weight\n1,a,1.5\n',
      'models/sources.yml': [
        'version: 2',
        'sources:',
        '  - name: raw',
        '    schema: main',
        '    tables: [{name: codes}]',
        '  - name: ext',
        '    tables: [{name: unknown_feed}]',
      ].join('\n'),
      // Reads the seed through a source: its shape comes from the seed's CSV.
      'models/labelled.sql':
        "select id, upper(label) as label, weight * 2 as double_weight from {{ source('raw', 'codes') }}",
      // Reads a feed nothing describes: its shape comes from its contract.
      'models/contracted.sql':
        "select cast(id as integer) as id, cast(amount as decimal(10,2)) as amount from {{ source('ext', 'unknown_feed') }}",
      'models/summed.sql': "select sum(amount) as total, count(*) as n from {{ ref('contracted') }}",
      'models/props.yml': [
        'version: 2',
        'models:',
        '  - name: contracted',
        '    config: {contract: {enforced: true}}',
        '    columns:',
        '      - {name: id, data_type: integer}',
        '      - {name: amount, data_type: "decimal(10,2)"}',
        'unit_tests:',
        '  - name: labels_upper',
        '    model: labelled',
        '    given:',
        "      - input: source('raw', 'codes')",
        '        rows: [{id: 1, label: x}]',
        '    expect:',
        '      rows: [{id: 1, label: X}]',
        '  - name: sums_amounts',
        '    model: summed',
        '    given:',
        "      - input: ref('contracted')",
        '        rows: [{amount: 2.5}, {amount: 1.25}]',
        '    expect:',
        '      rows: [{total: 3.75, n: 2}]',
      ].join('\n'),
    }),
  );
  try {
    const r = kiln(['test', '--project-dir', dir, '--select', 'test_type:unit']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const rr = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as {
      results: Array<{ unique_id: string; status: string }>;
    };
    assert.deepEqual(rr.results.map((x) => `${x.unique_id}:${x.status}`).sort(), [
      'unit_test.tiny.labelled.labels_upper:pass',
      'unit_test.tiny.summed.sums_amounts:pass',
    ]);
  } finally {
    removeDir(dir);
  }
});

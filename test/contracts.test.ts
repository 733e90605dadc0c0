/**
 * Enforced model contracts through the real CLI on DuckDB: a matching contract builds the
 * table from the declared types and constraints; a missing column, an extra one and a wrong
 * type fail before anything is built, with a table of the differences; constraint
 * violations fail at insert time and leave the previous table in place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, removeDir, writeProject, minimalProject } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

const customersYaml = (columns: string, extra = '') => `version: 2
models:
  - name: customers
    config:
      materialized: table
      contract: {enforced: true}
    columns:
${columns}${extra}`;

const goodColumns = `      - name: id
        data_type: integer
        constraints:
          - type: primary_key
      - name: name
        data_type: varchar
        constraints:
          - type: not_null
      - name: balance
        data_type: decimal(12, 2)
        constraints:
          - type: check
            expression: "balance >= 0"
`;

const goodSql = "select 1 as id, 'ann' as name, 10.5 as balance\nunion all select 2, 'bob', 0\n";

function project(sql = goodSql, yaml = customersYaml(goodColumns)): string {
  return writeProject(minimalProject({ 'models/customers.sql': sql, 'models/schema.yml': yaml }));
}

function runResult(dir: string, id = 'model.tiny.customers'): { status: string; message: string } {
  const rr = JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8'));
  return rr.results.find((r: { unique_id: string }) => r.unique_id === id);
}

const db = (dir: string) => join(dir, 'target', 'kiln.duckdb');

test('a matching contract builds the table with the declared types and constraints', async () => {
  const dir = project();
  try {
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /CREATE TABLE \(2 rows, contract enforced\)/);
    const cols = await queryDuckDB(
      db(dir),
      `select column_name, data_type, is_nullable from information_schema.columns where table_name = 'customers' order by ordinal_position`,
    );
    // The declared decimal(12, 2), not the literal's DECIMAL(3,1); NOT NULL from the constraints.
    assert.deepEqual(cols, [
      { column_name: 'id', data_type: 'INTEGER', is_nullable: 'NO' },
      { column_name: 'name', data_type: 'VARCHAR', is_nullable: 'NO' },
      { column_name: 'balance', data_type: 'DECIMAL(12,2)', is_nullable: 'YES' },
    ]);
    const constraints = await queryDuckDB(
      db(dir),
      `select constraint_type from duckdb_constraints() where table_name = 'customers' order by constraint_type`,
    );
    assert.deepEqual(
      constraints.map((c) => c.constraint_type),
      ['CHECK', 'NOT NULL', 'NOT NULL', 'PRIMARY KEY'],
    );
    assert.deepEqual(await queryDuckDB(db(dir), 'select id, name from customers order by id'), [
      { id: 1, name: 'ann' },
      { id: 2, name: 'bob' },
    ]);
    // The columns come in contract order even when the SQL returns them in another.
    writeFileSync(join(dir, 'models', 'customers.sql'), "select 'cy' as name, 0.0 as balance, 3 as id");
    assert.equal(kiln(['run', '--project-dir', dir]).code, 0);
    assert.deepEqual(await queryDuckDB(db(dir), 'select * from customers'), [{ id: 3, name: 'cy', balance: 0 }]);
  } finally {
    removeDir(dir);
  }
});

test('a column the SQL does not return fails before building, with a table of differences', async () => {
  const dir = project('select 1 as id, 10.5 as balance');
  try {
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const res = runResult(dir);
    assert.equal(res.status, 'error');
    assert.match(res.message, /model 'customers' has an enforced contract that failed/);
    assert.match(res.message, /\| column_name \| definition_type \| contract_type \| mismatch_reason +\|/);
    assert.match(res.message, /\| name +\| +\| VARCHAR +\| missing in definition \|/);
    assert.match(r.stdout, /missing in definition/);
    assert.deepEqual(
      await queryDuckDB(
        db(dir),
        `select table_name from information_schema.tables where table_name like 'customers%' or table_name like 'kiln_probe%'`,
      ),
      [],
    );
  } finally {
    removeDir(dir);
  }
});

test('a wrong type and an undeclared column are both listed', () => {
  const dir = project("select 1 as id, 'ann' as name, 'lots' as balance, true as vip");
  try {
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const { message } = runResult(dir);
    assert.match(message, /\| balance +\| VARCHAR +\| DECIMAL\(12,2\) +\| data type mismatch +\|/);
    assert.match(message, /\| vip +\| BOOLEAN +\| +\| missing in contract +\|/);
    assert.doesNotMatch(message, /\| id /);
  } finally {
    removeDir(dir);
  }
});

test('constraint violations fail at insert time and keep the previous table', async () => {
  const dir = project();
  try {
    assert.equal(kiln(['run', '--project-dir', dir]).code, 0);
    const cases: Array<[string, RegExp]> = [
      [
        "select 1 as id, 'ann' as name, 1.0 as balance union all select 1, 'bob', 2",
        /PRIMARY KEY or UNIQUE constraint violation/,
      ],
      ['select 1 as id, cast(null as varchar) as name, 1.0 as balance', /NOT NULL constraint failed/],
      ["select 1 as id, 'ann' as name, -5.0 as balance", /CHECK constraint failed/],
    ];
    for (const [sql, error] of cases) {
      writeFileSync(join(dir, 'models', 'customers.sql'), sql);
      const r = kiln(['run', '--project-dir', dir]);
      assert.equal(r.code, 1, sql + '\n' + r.stdout + r.stderr);
      assert.match(runResult(dir).message, error);
      assert.deepEqual(await queryDuckDB(db(dir), 'select id, name from customers order by id'), [
        { id: 1, name: 'ann' },
        { id: 2, name: 'bob' },
      ]);
    }
  } finally {
    removeDir(dir);
  }
});

test('model-level constraints, views, incremental models and unsupported constraints', async () => {
  const dir = writeProject(
    minimalProject({
      'models/parents.sql': "{{ config(materialized='table') }}select 1 as id",
      'models/pairs.sql': "{{ config(materialized='table') }}select 1 as a, 2 as b, 1 as parent_id",
      'models/pairs_view.sql': 'select 1 as a',
      'models/events.sql': "{{ config(materialized='incremental') }}select {{ var('n', 1) }} as id",
      'models/schema.yml': `models:
  - name: parents
    config: {contract: {enforced: true}}
    columns:
      - {name: id, data_type: integer, constraints: [{type: primary_key}]}
  - name: pairs
    config: {contract: {enforced: true}}
    constraints:
      - {type: unique, columns: [a, b]}
      - {type: not_null, columns: [b]}
      - {type: foreign_key, columns: [parent_id], to: "ref('parents')", to_columns: [id]}
    columns:
      - {name: a, data_type: integer}
      - {name: b, data_type: integer}
      - {name: parent_id, data_type: integer}
  - name: pairs_view
    config: {contract: {enforced: true}}
    columns:
      - {name: a, data_type: bigint}
  - name: events
    config: {contract: {enforced: true}}
    columns:
      - {name: id, data_type: integer, constraints: [{type: unique}]}
unit_tests:
  - name: pairs_shape
    model: pairs
    given: []
    expect: {rows: [{a: 1, parent_id: 1}]}
`,
    }),
  );
  try {
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // The view's contract is checked too (bigint declared, integer returned).
    assert.match(runResult(dir, 'model.tiny.pairs_view').message, /\| a +\| INTEGER +\| BIGINT +\| data type mismatch/);
    assert.equal(runResult(dir, 'model.tiny.pairs').status, 'success');
    // DuckDB cannot replace a table a foreign key points at: kiln leaves foreign keys out and says so.
    assert.match(r.stderr, /duckdb does not enforce foreign_key constraints, so it is left out of the table/);
    const cons = await queryDuckDB(
      db(dir),
      `select constraint_type, constraint_column_names::varchar as cols from duckdb_constraints() where table_name = 'pairs' order by 1`,
    );
    assert.deepEqual(cons, [
      { constraint_type: 'NOT NULL', cols: '[b]' },
      { constraint_type: 'UNIQUE', cols: '[a, b]' },
    ]);
    // Incremental: the first run creates the constrained table; later runs insert into it and hit the constraint.
    assert.equal(runResult(dir, 'model.tiny.events').status, 'success');
    assert.equal(kiln(['run', '--project-dir', dir, '--select', 'events', '--vars', '{n: 2}']).code, 0);
    const dup = kiln(['run', '--project-dir', dir, '--select', 'events', '--vars', '{n: 2}']);
    assert.equal(dup.code, 1, dup.stdout + dup.stderr);
    assert.match(runResult(dir, 'model.tiny.events').message, /violates unique constraint/);
    assert.deepEqual(await queryDuckDB(db(dir), 'select id from events order by id'), [{ id: 1 }, { id: 2 }]);
    // The foreign key made parents a parent of pairs (built first), not an input its unit test must give.
    assert.equal(kiln(['test', '--project-dir', dir, '--select', 'pairs_shape']).code, 0);
    assert.equal(runResult(dir, 'unit_test.tiny.pairs.pairs_shape').status, 'pass');
    const order = kiln(['ls', '--project-dir', dir, '--select', '+pairs', '--resource-type', 'model'])
      .stdout.trim()
      .split('\n');
    assert.deepEqual(order, ['tiny.parents', 'tiny.pairs']);
  } finally {
    removeDir(dir);
  }
});

test('contract mistakes in YAML exit 2 with the file and line', () => {
  const cases: Array<[string, RegExp]> = [
    [
      '      - name: id\n        data_type: integer\n      - name: name\n',
      /models\/schema\.yml:10: model 'customers' has an enforced contract, but column 'name' has no data_type/,
    ],
    [
      '      - name: id\n        data_type: integer\n        constraints: [{type: primary}]\n',
      /models\/schema\.yml:10: .*constraint type 'primary' is unknown/,
    ],
    [
      '      - name: id\n        data_type: integer\n        constraints: [{type: check}]\n',
      /a check constraint needs an expression/,
    ],
  ];
  for (const [columns, expected] of cases) {
    const dir = project('select 1 as id', customersYaml(columns));
    try {
      const r = kiln(['run', '--project-dir', dir]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, expected);
    } finally {
      removeDir(dir);
    }
  }
  const eph = writeProject(
    minimalProject({
      'models/e.sql': "{{ config(materialized='ephemeral') }}select 1 as id",
      'models/s.yml':
        'models:\n  - name: e\n    config: {contract: {enforced: true}}\n    columns: [{name: id, data_type: integer}]\n',
    }),
  );
  try {
    const r = kiln(['parse', '--project-dir', eph]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /models\/s\.yml:2: model 'e' has an enforced contract, but it is materialized as 'ephemeral'/,
    );
  } finally {
    removeDir(eph);
  }
});

test('an unknown declared type names its column', () => {
  const dir = project('select 1 as id', customersYaml('      - name: id\n        data_type: integr\n'));
  try {
    const r = kiln(['run', '--project-dir', dir]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(runResult(dir).message, /column 'id' declares data_type 'integr', which duckdb does not know/);
  } finally {
    removeDir(dir);
  }
});

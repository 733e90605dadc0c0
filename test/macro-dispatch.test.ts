/**
 * A run dispatches each adapter macro once (the project's override over kiln's), not once per
 * node: the macros are fixed once parsed, and every view's build looked its macro up again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { registerAdapter, run } from '../src/index.js';
import { DuckDBAdapter, type DuckDBProfile } from '../src/adapters/duckdb/index.js';
import { TemplateEngine } from '../src/template/engine.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { recordingStatements } from './helpers/statement-log.js';

const sent: string[] = [];
registerAdapter('duckdb', async (target, projectDir) =>
  recordingStatements(
    new DuckDBAdapter({ ...(target.settings as unknown as DuckDBProfile), threads: target.threads }, projectDir),
    sent,
  ),
);
const dir = writeProject(
  minimalProject({
    'models/a.sql': 'select 1 as id',
    'models/b.sql': "select id from {{ ref('a') }}",
    'models/c.sql': "select id from {{ ref('a') }}",
    'macros/view.sql':
      '{% macro duckdb__create_view_as(relation, sql) -%}\n' +
      "create or replace view {{ relation }} as (\n{{ sql }}\n) -- the project's {{ this.identifier }}\n" +
      '{%- endmacro %}',
  }),
);
after(() => removeDir(dir));

test("a run looks each adapter macro up once, and every node gets the project's override", async () => {
  const lookups: string[] = [];
  const original = Object.getOwnPropertyDescriptor(TemplateEngine.prototype, 'lookupMacro')!;
  Object.defineProperty(TemplateEngine.prototype, 'lookupMacro', {
    ...original,
    value(this: TemplateEngine, name: string): unknown {
      lookups.push(name);
      return (original.value as (n: string) => unknown).call(this, name);
    },
  });
  try {
    const result = await run({ projectDir: dir, threads: 1 });
    assert.ok(result.success, JSON.stringify(result.results.map((r) => r.message)));
  } finally {
    Object.defineProperty(TemplateEngine.prototype, 'lookupMacro', original);
  }
  const views = sent.filter((s) => s.startsWith('create or replace view'));
  assert.deepEqual(
    views.map((v) => v.split('\n').at(-1)),
    [") -- the project's a", ") -- the project's b", ") -- the project's c"],
  );
  assert.equal(lookups.filter((n) => n === 'duckdb__create_view_as').length, 1);
});

/**
 * dbt's static parser setting: with it off (`--no-static-parser`, `DBT_STATIC_PARSER=false`, `flags: {static_parser:
 * false}`), every model is rendered by the template engine while parsing. The oracle for what it changes is the
 * default: the compiled SQL and manifest.json must be the same bytes either way; perf_info.json says which was used.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type KilnOptions } from '../src/index.js';
import type { PerfInfo } from '../src/parse/perf-info.js';
import { kiln, removeDir, writeProject } from './helpers/cli.js';
import { assertSameOutputs, compileInto, maskedTimes, targetOutputs } from './helpers/target-outputs.js';

const projectYml = 'name: shop\nprofile: p\nconfig-version: 2\n';
const files: Record<string, string> = {
  'dbt_project.yml': projectYml,
  'profiles.yml': 'p:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/dev.duckdb}\n',
  'macros/money.sql': '{% macro money(col) %}round({{ col }}, 2){% endmacro %}\n',
  'models/stg_orders.sql': "select id, amount from {{ ref('raw_orders') }} where amount > {{ var('floor', 0) }}\n",
  'models/orders_total.sql':
    "{{ config(materialized='table') }}\nselect sum(amount) as total from {{ ref('stg_orders') }}\n",
  'models/orders_money.sql': "select id, {{ money('amount') }} as amount from {{ ref('stg_orders') }}\n",
  'seeds/raw_orders.csv': 'id,amount\n1,10\n',
};
const dir = writeProject(files);
after(() => removeDir(dir));
const invocationId = '00000000-0000-0000-0000-000000000000';

async function perfInfo(projectDir: string, opts: KilnOptions = {}): Promise<PerfInfo> {
  await parse({ projectDir, profilesDir: projectDir, ...opts });
  return JSON.parse(readFileSync(join(projectDir, 'target', 'perf_info.json'), 'utf8')) as PerfInfo;
}

const modelsParsed = (info: PerfInfo) => info.projects[0]!.parsers.find((p) => p.parser === 'model')!.parsed_path_count;

test('with the static parser off, every model is rendered while parsing, and the compile is the same bytes', async () => {
  await compileInto(dir, 'target-static', false, { invocationId });
  await compileInto(dir, 'target-engine', false, { invocationId, staticParser: false });
  const outputs = (targetPath: string) =>
    targetOutputs(join(dir, targetPath), ['manifest.json'], (text) => maskedTimes(text, targetPath));
  assertSameOutputs(outputs('target-engine'), outputs('target-static'), 'the static parser off');
  const on = await perfInfo(dir, { partialParse: false });
  const off = await perfInfo(dir, { partialParse: false, staticParser: false });
  assert.deepEqual(
    [on.is_static_analysis_enabled, on.static_analysis_path_count, on.static_analysis_parsed_path_count],
    [true, 3, 2],
    'two of the three models call only ref, config and var',
  );
  assert.deepEqual(
    [off.is_static_analysis_enabled, off.static_analysis_path_count, off.static_analysis_parsed_path_count],
    [false, 3, 0],
  );
});

test('the partial parse cache reuses a parse only under the setting it was made with', async () => {
  await perfInfo(dir);
  assert.equal(modelsParsed(await perfInfo(dir)), 0, 'nothing changed');
  assert.equal(modelsParsed(await perfInfo(dir, { staticParser: false })), 3, 'turned off: every model again');
  assert.equal(modelsParsed(await perfInfo(dir, { staticParser: false })), 0, 'still off');
  const back = await perfInfo(dir);
  assert.deepEqual([modelsParsed(back), back.static_analysis_parsed_path_count], [3, 2], 'on again');
});

test('DBT_STATIC_PARSER and flags: {static_parser: false} turn it off, --static-parser back on', () => {
  const staticOn = () =>
    (JSON.parse(readFileSync(join(dir, 'target', 'perf_info.json'), 'utf8')) as PerfInfo).is_static_analysis_enabled;
  const parseWith = (args: string[], env: Record<string, string> = {}) => {
    const r = kiln(['parse', ...args, '--project-dir', dir, '--profiles-dir', dir], { env });
    assert.equal(r.code, 0, r.stderr);
    return staticOn();
  };
  assert.equal(parseWith([]), true);
  assert.equal(parseWith(['--no-static-parser']), false);
  assert.equal(parseWith([], { DBT_STATIC_PARSER: 'false' }), false);
  assert.equal(parseWith(['--static-parser'], { DBT_STATIC_PARSER: 'false' }), true, 'the flag wins');
  const project = writeProject({ ...files, 'dbt_project.yml': `${projectYml}flags:\n  static_parser: false\n` }, dir);
  assert.equal(project, dir);
  assert.equal(parseWith([]), false);
  assert.equal(parseWith([], { DBT_STATIC_PARSER: 'true' }), true, 'the environment wins over the project');
});

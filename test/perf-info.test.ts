/**
 * `kiln parse` writes target/perf_info.json, as `dbt parse` does since dbt 1.5: in dbt's shape (ManifestLoaderInfo), with counts that follow
 * the project's files and the partial parse cache. The oracles are the files each test writes: a project's count is
 * compared with a bare project's, so kiln's own macro files need no number written here.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from '../src/index.js';
import { perfInfoSchema } from '../src/artifacts/schemas.js';
import type { PerfInfo } from '../src/parse/perf-info.js';
import { kiln, removeDir, writeProject } from './helpers/cli.js';

const profile = 'p:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: target/dev.duckdb}\n';
const projectYml = 'name: shop\nprofile: p\nconfig-version: 2\n';

/** Every file below but dbt_project.yml and profiles.yml is one the parse reads. */
const files: Record<string, string> = {
  'dbt_project.yml': projectYml,
  'profiles.yml': profile,
  'macros/money.sql': '{% macro money(col) %}round({{ col }}, 2){% endmacro %}\n',
  'models/stg_orders.sql': "select id, amount from {{ ref('raw_orders') }}\n",
  'models/orders_total.sql':
    "{{ config(materialized='table') }}\nselect sum(amount) as total from {{ ref('stg_orders') }}\n",
  // Rendered at parse time: not what dbt calls static analysis.
  'models/orders_money.sql': "select id, {{ money('amount') }} as amount from {{ ref('stg_orders') }}\n",
  'models/schema.yml':
    'version: 2\nmodels:\n  - name: stg_orders\n    columns:\n      - name: id\n        tests: [unique]\n',
  'models/overview.md': '{% docs overview %}Orders.{% enddocs %}\n',
  'tests/no_negative.sql': "select * from {{ ref('stg_orders') }} where amount < 0\n",
  'seeds/raw_orders.csv': 'id,amount\n1,10\n',
  'dbt_packages/helpers/dbt_project.yml': 'name: helpers\nversion: 1.0.0\nconfig-version: 2\n',
  'dbt_packages/helpers/macros/helper.sql': '{% macro helper() %}1{% endmacro %}\n',
  'dbt_packages/helpers/models/helper_model.sql': 'select {{ helper() }} as one\n',
};
const readFiles = Object.keys(files).filter((f) => !f.endsWith('dbt_project.yml') && f !== 'profiles.yml').length;

const dir = writeProject(files);
const bare = writeProject({ 'dbt_project.yml': projectYml, 'profiles.yml': profile });
after(() => [dir, bare].forEach(removeDir));

const ajv = new Ajv({ strict: false, allErrors: true });

async function perfInfo(projectDir: string, partialParse = true): Promise<PerfInfo> {
  await parse({ projectDir, profilesDir: projectDir, partialParse });
  const info = JSON.parse(readFileSync(join(projectDir, 'target', 'perf_info.json'), 'utf8')) as PerfInfo;
  assert.ok(ajv.validate(perfInfoSchema, info), JSON.stringify(ajv.errors));
  return info;
}

const parsersOf = (info: PerfInfo, project: string) =>
  info.projects.find((p) => p.project_name === project)?.parsers.map((p) => [p.parser, p.parsed_path_count]);

test('a first parse counts every file it read and parsed, by project and parser, as dbt writes perf_info.json', async () => {
  const [kilnOnly, info] = [await perfInfo(bare), await perfInfo(dir)];
  assert.equal(info.path_count - kilnOnly.path_count, readFiles);
  assert.equal(info.parsed_path_count, info.path_count, 'nothing to reuse: every file parsed');
  assert.equal(info.is_partial_parse_enabled, true);
  assert.deepEqual(
    [info.static_analysis_path_count, info.static_analysis_parsed_path_count],
    [4, 2],
    'four models, two of them calling a macro, so rendered at parse time',
  );
  assert.deepEqual(
    info.projects.map((p) => p.project_name),
    ['shop', 'helpers'],
  );
  // Properties YAML is dbt's SchemaParser, whose resource type is `test`.
  assert.deepEqual(parsersOf(info, 'shop'), [
    ['model', 3],
    ['test', 1],
    ['seed', 1],
    ['test', 1],
  ]);
  assert.deepEqual(parsersOf(info, 'helpers'), [['model', 1]]);
  for (const p of info.projects)
    assert.equal(
      p.parsed_path_count,
      p.parsers.reduce((sum, x) => sum + x.parsed_path_count, 0),
    );
  const stages =
    info.read_files_elapsed + info.load_macros_elapsed + info.parse_project_elapsed + info.process_manifest_elapsed;
  assert.ok(stages > 0 && stages <= info.load_all_elapsed, `${stages} of ${info.load_all_elapsed} s`);
  assert.ok(info.projects[0]!.elapsed <= info.parse_project_elapsed);
});

test('with the partial parse cache, what was reused is not counted as parsed; an edited model is', async () => {
  const warm = await perfInfo(dir);
  assert.deepEqual(parsersOf(warm, 'shop'), [
    ['model', 0],
    ['test', 0],
    ['seed', 1],
    ['test', 0],
  ]);
  const model = join(dir, 'models', 'orders_total.sql');
  writeFileSync(model, readFileSync(model, 'utf8') + '-- edited\n');
  const edited = await perfInfo(dir);
  assert.deepEqual(parsersOf(edited, 'shop')![0], ['model', 1]);
  assert.equal(edited.path_count, warm.path_count);
  assert.equal(edited.parsed_path_count, warm.parsed_path_count + 1);
  const off = await perfInfo(dir, false);
  assert.equal(off.is_partial_parse_enabled, false);
  assert.equal(off.parsed_path_count, off.path_count);
});

test("kiln parse says where it wrote perf_info.json; dbt's old --write-perf-info is accepted", () => {
  const target = join(dir, 'target', 'perf_info.json');
  for (const flags of [[], ['--write-perf-info']]) {
    removeDir(target);
    const parsed = kiln(['parse', ...flags, '--project-dir', dir, '--profiles-dir', dir]);
    assert.equal(parsed.code, 0, parsed.stderr);
    assert.ok(existsSync(target), flags.join(' '));
    assert.match(parsed.stderr, /^Performance info: .*perf_info\.json$/m);
    // The line names the manifest where it was written, as the other commands name their files.
    assert.ok(`${parsed.stdout}${parsed.stderr}`.includes(`wrote ${join(dir, 'target', 'manifest.json')}`));
  }
});

test('ls and compile parse too, and write no perf_info.json, as in dbt', () => {
  const target = join(dir, 'target', 'perf_info.json');
  for (const command of ['ls', 'compile']) {
    removeDir(target);
    const r = kiln([command, '--project-dir', dir, '--profiles-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(target), command);
  }
});

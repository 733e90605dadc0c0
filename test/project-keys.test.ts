/**
 * The top-level keys of dbt_project.yml: every key of dbt-core's project contract is
 * accepted, in its hyphenated or underscored spelling; an unknown key is a warning with the
 * file, the line and the closest known key, never an error. Values are still type-checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProject } from '../src/config/project.js';
import { dbtProjectKeys } from '../src/config/schemas.js';
import { parse } from '../src/index.js';
import { isKilnError } from '../src/errors.js';
import { kiln, writeProject, removeDir } from './helpers/cli.js';

const header = 'name: shop\nprofile: shop\nconfig-version: 2\n';

/** Runs `body` on a throwaway project (awaited when it is async), then removes the project. */
async function withProject(
  projectYml: string,
  extra: Record<string, string>,
  body: (dir: string) => unknown,
): Promise<void> {
  const dir = writeProject({ 'dbt_project.yml': projectYml, 'models/a.sql': 'select 1 as id', ...extra });
  try {
    await body(dir);
  } finally {
    removeDir(dir);
  }
}

test("dbt's own keys, hyphenated, are accepted without a warning", async () => {
  const yml =
    header +
    [
      'restrict-access: true',
      'semantic-models: {}',
      'saved-queries: {}',
      'clean-targets: [target, dbt_packages]',
      "on-run-start: ['select 1']",
      "on-run-end: 'select 2'",
      'dispatch:',
      '  - macro_namespace: dbt_utils',
      '    search_order: [shop, dbt_utils]',
      'flags:',
      '  send_anonymous_usage_stats: false',
      'query-comment: "run by kiln"',
      'data-tests:',
      '  +severity: warn',
      'unit-tests: {}',
      'dbt-cloud:',
      '  project-id: 12345',
      'require-dbt-version: ">=1.8.0"',
      'packages-install-path: dbt_packages',
      'asset-paths: [assets]',
      'function-paths: [functions]',
      'functions: {}',
      'quoting: {identifier: false}',
      '',
    ].join('\n');
  await withProject(yml, {}, (dir) => {
    const r = kiln(['parse', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /unknown key|warning/);
  });
});

test("every key of dbt's project contract is accepted in either spelling", async () => {
  const values: Record<string, string> = {
    name: 'shop',
    dispatch: '[]',
    'on-run-start': '[]',
    'on-run-end': '[]',
    'restrict-access': 'false',
    'config-version': '2',
    version: '"1.0"',
    'query-comment': 'x',
    'require-dbt-version': '">=1.0.0"',
    packages: '[]',
  };
  const value = (key: string) =>
    values[key] ?? (/paths|targets/.test(key) ? '[x]' : /-path|profile|project-root/.test(key) ? 'x' : '{}');
  for (const spell of [(k: string) => k, (k: string) => k.replace(/-/g, '_'), (k: string) => k.replace(/_/g, '-')]) {
    const yml =
      dbtProjectKeys
        .filter((k) => k !== 'tests' && k !== 'source-paths' && k !== 'data-paths')
        .map((k) => `${spell(k)}: ${value(k)}`)
        .join('\n') + '\n';
    await withProject(yml, {}, (dir) => assert.deepEqual(loadProject(dir).warnings, [], yml));
  }
});

test('an unknown key is a warning with file, line and the closest key; kiln goes on', async () => {
  await withProject(header + 'vars:\n  x: 1\n\nmodels:\n  shop: {}\nmodel-path: [src]\nfrobnicate: 1\n', {}, (dir) => {
    const r = kiln(['parse', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: dbt_project\.yml:9: unknown key 'model-path' \(did you mean 'model-paths'\?\)/);
    assert.match(r.stderr, /warning: dbt_project\.yml:10: unknown key 'frobnicate' \(ignored\)/);
    assert.deepEqual(loadProject(dir).modelPaths, ['models'], 'the misspelt key is ignored');
  });
});

test('a misspelling is suggested in the spelling dbt documents, whatever the separator', async () => {
  await withProject(header + 'semantic_model: {}\nrestrict_acess: true\non_run_strat: []\n', {}, (dir) => {
    assert.deepEqual(loadProject(dir).warnings, [
      "dbt_project.yml:4: unknown key 'semantic_model' (did you mean 'semantic-models'?)",
      "dbt_project.yml:5: unknown key 'restrict_acess' (did you mean 'restrict-access'?)",
      "dbt_project.yml:6: unknown key 'on_run_strat' (did you mean 'on-run-start'?)",
    ]);
  });
});

test('warnings reach the API caller through onLog', async () => {
  await withProject(header + 'modles:\n  shop: {}\n', {}, async (dir) => {
    const warnings: string[] = [];
    await parse({ projectDir: dir, onLog: (level, m) => void (level === 'warn' && warnings.push(m)) });
    assert.ok(
      warnings.includes("dbt_project.yml:4: unknown key 'modles' (did you mean 'models'?)"),
      warnings.join('\n'),
    );
  });
});

test('underscored spellings are read like the hyphenated ones', async () => {
  const yml = header + 'model_paths: [src]\ntarget_path: out\ndata-tests:\n  +severity: warn\non_run_end: "select 1"\n';
  const files = {
    'src/b.sql': 'select 1 as id',
    'src/b.yml': 'version: 2\nmodels:\n  - name: b\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
  };
  await withProject(yml, files, async (dir) => {
    const project = loadProject(dir);
    assert.deepEqual(project.modelPaths, ['src']);
    assert.ok(project.targetPath.endsWith('out'));
    assert.deepEqual(project.onRunEnd, ['select 1']);
    assert.deepEqual(project.warnings, []);
    const parsed = await parse({ projectDir: dir });
    const testNode = [...parsed.parsed.manifest.nodes.values()].find((n) => n.resourceType === 'test')!;
    assert.equal(testNode.config.severity, 'warn');
    assert.ok(parsed.parsed.manifest.nodes.has('model.shop.b'));
  });
});

test('values of known keys are still checked, with the line as written', async () => {
  await withProject(header + 'model_paths: 3\n', {}, (dir) => {
    assert.throws(
      () => loadProject(dir),
      (e: unknown) => isKilnError(e) && e.isInputError && e.line === 4 && /model-paths/.test(e.message),
    );
    const r = kiln(['parse', '--project-dir', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /dbt_project\.yml:4/);
  });
});

test("both 'tests' and 'data_tests' is an error, as in dbt", async () => {
  await withProject(header + 'tests:\n  +severity: warn\ndata_tests:\n  +severity: error\n', {}, (dir) => {
    const r = kiln(['parse', '--project-dir', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /dbt_project\.yml:4: both 'tests' and 'data_tests' are set/);
  });
});

test('the older source-paths still names the model folders', async () => {
  await withProject(header + 'source-paths: [src]\n', {}, (dir) =>
    assert.deepEqual(loadProject(dir).modelPaths, ['src']),
  );
});

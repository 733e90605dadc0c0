/**
 * Startup loads only what a command needs: importing kiln, or `kiln --version`, loads no
 * template engine, parser, adapter driver, ajv or YAML library; an operation loads its
 * modules on its first call. A module-loading hook in a child process lists what Node loads
 * and require resolves (the time saved is measured by bench/, not here). `kiln` starts from
 * its bundle (one file: the hook sees none of dist/src/'s modules), so the module graph of a
 * command is checked on `dist/src/` itself, which `--debug` starts; the bundle keeps the same
 * `import()` on demand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { kilnBin, removeDir, repoRoot, tempDir, writeProject } from './helpers/cli.js';

/** The modules (paths inside the checkout, `node:` built-ins) Node loads while running `args`, and the run's stdout. */
function modulesLoaded(args: string[], cwd = repoRoot): { modules: string[]; stdout: string } {
  const dir = tempDir('kiln-startup-');
  try {
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `export async function load(url, context, next) { process._rawDebug('loaded ' + url); return next(url, context); }\n`,
    );
    // ES modules go through the load hook; CommonJS files (ajv, the generated validators) through require's resolver.
    writeFileSync(
      join(dir, 'register.mjs'),
      [
        `import Module, { register } from 'node:module';`,
        `register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});`,
        `const resolveFilename = Module._resolveFilename;`,
        `Module._resolveFilename = function (...args) { const file = resolveFilename.apply(this, args); if (file.startsWith('/')) process._rawDebug('loaded file://' + file); return file; };`,
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, HOME: dir },
    });
    assert.equal(r.status, 0, r.stderr);
    const root = pathToFileURL(repoRoot).href;
    // node_modules may be a link to another checkout's, so packages are named from node_modules/ on.
    const modules = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('loaded file:') || l.startsWith('loaded node:'))
      .map((l) => l.slice('loaded '.length))
      .map((url) =>
        url.includes('/node_modules/')
          ? url.slice(url.lastIndexOf('/node_modules/') + 1)
          : url.startsWith(root)
            ? url.slice(root.length)
            : url,
      );
    return { modules, stdout: r.stdout };
  } finally {
    removeDir(dir);
  }
}

const heavy = [
  /^node_modules\/@duckdb\//,
  /node_modules\/ajv\//,
  /node_modules\/yaml\//,
  /node_modules\/js-yaml\//,
  /node_modules\/pg\//,
  /dist\/src\/template\//,
  /dist\/src\/parse\//,
  /dist\/src\/api\.js$/,
  /dist\/src\/tasks\//,
  /dist\/src\/run\/runner\.js$/,
];

function assertNoHeavy(modules: string[]): void {
  const loaded = modules.filter((m) => heavy.some((h) => h.test(m)));
  assert.deepEqual(loaded, [], 'modules loaded before they are needed');
}

test('kiln --version alone is answered before the CLI loads, as commander answers it', () => {
  const viaCommander = modulesLoaded([kilnBin, '--debug', '--version']).stdout;
  assert.match(viaCommander, /^\d+\.\d+\.\d+\n$/);
  for (const flag of ['--version', '-v']) {
    const { modules, stdout } = modulesLoaded([kilnBin, flag]);
    assert.equal(stdout, viaCommander, `kiln ${flag}`);
    const kilns = modules.filter((m) => m.startsWith('dist/') || m.startsWith('node_modules/'));
    assert.deepEqual(kilns, [], `kiln ${flag} loads none of kiln's modules`);
  }
});

test('importing kiln loads no engine, parser, driver or validator', () => {
  const { modules } = modulesLoaded([
    '--input-type=module',
    '-e',
    `await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist/src/index.js')).href)})`,
  ]);
  assert.ok(modules.includes('dist/src/index.js'), 'the hook saw the entry module');
  assertNoHeavy(modules);
});

test('kiln --version and kiln --help load no engine, parser, driver or validator', () => {
  const version = modulesLoaded([kilnBin, '--debug', '--version']);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  assertNoHeavy(version.modules);
  assert.ok(
    !version.modules.some((m) => m.startsWith('dist/src/init/')),
    "kiln init's scaffold loads for kiln init only",
  );
  const help = modulesLoaded([kilnBin, '--debug', '--help']);
  assert.match(help.stdout, /compile/);
  assertNoHeavy(help.modules);
});

test('kiln parse loads the parser but no database driver, and the YAML validators come from the build', () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id',
    'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n',
  });
  try {
    const { modules } = modulesLoaded([kilnBin, '--debug', 'parse'], dir);
    assert.ok(modules.includes('dist/src/tasks/parse.js'));
    assert.ok(modules.some((m) => m.startsWith('dist/src/template/')));
    assert.ok(modules.includes('dist/src/adapters/duckdb/index.js'), 'the embedded DuckDB adapter is chosen');
    assert.ok(
      !modules.some((m) => m.startsWith('node_modules/@duckdb/')),
      'its driver loads only when a connection opens',
    );
    assert.ok(
      !modules.some((m) => m.startsWith('node_modules/yaml/')),
      'the YAML library that finds error lines loads only for an error',
    );
    assert.ok(
      modules.includes('dist/src/config/generated-validators/propertiesSchema.cjs'),
      'npm run build writes the validators',
    );
    assert.ok(
      !modules.some((m) => m.startsWith('node_modules/ajv/dist/compile/')),
      'no schema is compiled at run time',
    );
  } finally {
    removeDir(dir);
  }
});

test('kiln compile and kiln parse load no column lineage (the SQL parser) and write no column_lineage.json; kiln lineage does', () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id',
    'models/b.sql': "select id from {{ ref('a') }}",
  });
  try {
    // walk.js (with types.js) is the library's pure reader of a lineage object, exported by kiln's entry module.
    const readers = ['dist/src/lineage/walk.js', 'dist/src/lineage/types.js'];
    const lineageModules = (modules: string[]) =>
      modules.filter(
        (m) =>
          (m.startsWith('dist/src/lineage/') && !readers.includes(m)) || m.startsWith('node_modules/@guanmingchiu/'),
      );
    for (const command of ['compile', 'parse']) {
      const { modules } = modulesLoaded([kilnBin, '--debug', command], dir);
      assert.ok(modules.includes(`dist/src/tasks/${command}.js`), command);
      assert.deepEqual(lineageModules(modules), [], `${command} loads no lineage module`);
      assert.ok(!existsSync(join(dir, 'target', 'column_lineage.json')), `${command} writes no column_lineage.json`);
    }
    assert.ok(existsSync(join(dir, 'target', 'compiled', 'shop', 'models', 'b.sql')), 'compile wrote the compiled SQL');
    const { modules } = modulesLoaded([kilnBin, '--debug', 'lineage', 'b.id'], dir);
    assert.ok(lineageModules(modules).includes('dist/src/lineage/sql.js'), 'kiln lineage loads the SQL parser');
    assert.ok(existsSync(join(dir, 'target', 'column_lineage.json')));
  } finally {
    removeDir(dir);
  }
});

test('kiln compile, parse and ls load only their own command: no runner, unit tests, docs writer or Markdown renderer', () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id',
    'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    description: "The *first* model"\n',
  });
  try {
    const otherCommands = [
      /^node_modules\/(markdown-it|linkify-it|mdurl|uc\.micro|entities|punycode)/,
      /^dist\/src\/api\.js$/,
      /^dist\/src\/(docs|unit|contracts|seeds|freshness|notify|orchestrate)\//,
      /^dist\/src\/run\/(runner|materialize|scheduler|hooks)\.js$/,
      /^dist\/src\/tasks\/(run|docs|post-run|retry|freshness|lineage)\.js$/,
      // Imported by kiln's modules when first used: git runs only for `kiln deps`, a worker writes compiled files only
      // past a batch of them (commander's own require of child_process is not an import the hook lists).
      /^node:(child_process|worker_threads)$/,
    ];
    for (const command of ['compile', 'parse', 'ls']) {
      const { modules } = modulesLoaded([kilnBin, '--debug', command], dir);
      assert.ok(modules.includes('dist/src/tasks/load.js'), `${command} loads the project`);
      assert.deepEqual(
        modules.filter((m) => otherCommands.some((o) => o.test(m))),
        [],
        `${command} loads another command's modules`,
      );
    }
  } finally {
    removeDir(dir);
  }
});

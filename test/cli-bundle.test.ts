/**
 * `kiln` starts from its bundle and the code cache of the build's training run (src/cli/bundle.ts); a bundle
 * older than dist/src/ is not used, and a code cache made for another bundle is not given to V8 (which checks
 * only the source's length). The whole CLI suite runs through the bundle (test/helpers/cli.ts starts bin/kiln.js),
 * so it is the bundle's behaviour the other tests check; the time saved is measured by bench/, not here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { bundleFiles, loadCliBundle } from '../src/cli/bundle-loader.js';
import { lazyChildProcess } from '../src/cli/bundle.js';
import { kilnBin, removeDir, repoRoot, tempDir, writeProject } from './helpers/cli.js';

/** A folder laid out as kiln's own with a copy of the built bundle, its code cache and entry module. */
function copyOfBuild(): { root: string; files: ReturnType<typeof bundleFiles> } {
  const root = tempDir('kiln-bundle-');
  const from = bundleFiles(repoRoot);
  const files = bundleFiles(root);
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true });
  // The bundle finds kiln's folder by its package.json as it loads.
  copyFileSync(join(repoRoot, 'package.json'), join(root, 'package.json'));
  copyFileSync(from.entry, files.entry);
  copyFileSync(from.bundle, files.bundle);
  copyFileSync(from.codeCache, files.codeCache);
  // The bundle is newer than dist/src/, as after `npm run build`.
  const built = statSync(from.bundle).mtime;
  utimesSync(files.entry, built, new Date(built.getTime() - 60_000));
  utimesSync(files.bundle, built, built);
  return { root, files };
}

test('the build makes a bundle whose code cache V8 takes', () => {
  const bundle = loadCliBundle(repoRoot);
  assert.ok(bundle, 'npm run build writes dist/cli/kiln.cjs');
  assert.equal(typeof bundle.main, 'function');
  assert.equal(bundle.codeCacheUsed, true);
});

test('kiln runs the bundle: no module of dist/src/ but the loader is imported; --debug runs dist/src/', () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id',
    'models/b.sql': "select id from {{ ref('a') }}",
  });
  try {
    const hooks = join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { register } from 'node:module';\n` +
        `register('data:text/javascript,' + encodeURIComponent("export async function load(url, c, next) { process._rawDebug('loaded ' + url); return next(url, c); }"));\n`,
    );
    const loaded = (args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', hooks, kilnBin, ...args], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stderr
        .split('\n')
        .filter((l) => l.startsWith('loaded file:') && l.includes('/dist/src/'))
        .map((l) => l.slice(l.indexOf('/dist/src/') + 1));
    };
    assert.deepEqual(loaded(['compile']), ['dist/src/cli/bundle-loader.js']);
    assert.equal(
      readFileSync(join(dir, 'target', 'compiled', 'shop', 'models', 'b.sql'), 'utf8'),
      'select id from "kiln"."main"."a"',
    );
    const debug = loaded(['--debug', 'compile']);
    assert.ok(debug.includes('dist/src/cli/main.js'), '--debug starts dist/src/');
    assert.ok(!debug.includes('dist/src/cli/bundle-loader.js'));
  } finally {
    removeDir(dir);
  }
});

test('a bundle older than dist/src/ is not used (tsc ran after the build)', () => {
  const { root, files } = copyOfBuild();
  try {
    assert.ok(loadCliBundle(root), 'the copy is used while it is the newer');
    const later = new Date(statSync(files.bundle).mtime.getTime() + 60_000);
    utimesSync(files.entry, later, later);
    assert.equal(loadCliBundle(root), undefined);
  } finally {
    removeDir(root);
  }
});

test('a code cache made for another bundle is not used, even for a bundle of the same length', () => {
  const { root, files } = copyOfBuild();
  try {
    assert.equal(loadCliBundle(root)?.codeCacheUsed, true);
    const source = readFileSync(files.bundle, 'utf8');
    // One character of the banner's parameter name changed: same length, other code.
    const edited = source.replace('(path) =>', '(patH) =>').replace('join(__dirname, path)', 'join(__dirname, patH)');
    assert.notEqual(edited, source);
    assert.equal(edited.length, source.length);
    writeFileSync(files.bundle, edited);
    const bundle = loadCliBundle(root);
    assert.ok(bundle);
    assert.equal(bundle.codeCacheUsed, false);
    assert.equal(typeof bundle.main, 'function');
  } finally {
    removeDir(root);
  }
});

/** `kiln <args>` in `dir`, its stderr also naming each file `require` resolves (`required <file>`). */
function kilnRequiring(args: string[], dir: string) {
  const hook = join(dir, 'require-hook.cjs');
  writeFileSync(
    hook,
    `const Module = require('node:module'); const resolve = Module._resolveFilename;\n` +
      `Module._resolveFilename = function (...args) { const file = resolve.apply(this, args); process._rawDebug('required ' + file); return file; };\n`,
  );
  return spawnSync(process.execPath, ['-r', hook, kilnBin, ...args], { cwd: dir, encoding: 'utf8' });
}

test('the bundle carries the generated validators: none is required from dist/src/, and they judge as those files do', () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id',
    'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    columns: id\n',
  });
  try {
    const parse = (args: string[]) => kilnRequiring(args, dir);
    const bundled = parse(['parse']);
    const fromFiles = parse(['--debug', 'parse']);
    const generated = (stderr: string) => stderr.split('\n').filter((l) => l.includes('generated-validators'));
    assert.deepEqual(generated(bundled.stderr), [], 'no generated validator is read from its file');
    assert.ok(generated(fromFiles.stderr).length > 0, 'dist/src/ requires them from their files');
    assert.equal(bundled.status, 2);
    const message = (stderr: string) => stderr.split('\n').find((l) => l.includes('schema.yml'));
    assert.match(message(bundled.stderr) ?? '', /columns/);
    assert.equal(message(bundled.stderr), message(fromFiles.stderr));
  } finally {
    removeDir(dir);
  }
});

test("the bundle carries DuckDB's driver: a run requires its native binding but none of the driver's files", () => {
  const dir = writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'models/a.sql': 'select 1 as id',
  });
  try {
    const run = (args: string[]) => kilnRequiring(args, dir);
    const required = (stderr: string, pkg: string) =>
      stderr.split('\n').filter((l) => l.startsWith('required ') && l.includes(`/node_modules/${pkg}/`));
    const bundled = run(['run']);
    assert.equal(bundled.status, 0, bundled.stderr);
    assert.deepEqual(required(bundled.stderr, '@duckdb/node-api'), []);
    assert.ok(
      required(bundled.stderr, '@duckdb/node-bindings').length > 0,
      'the native binding is loaded from its files',
    );
    const fromFiles = run(['--debug', 'run']);
    assert.equal(fromFiles.status, 0, fromFiles.stderr);
    assert.ok(
      required(fromFiles.stderr, '@duckdb/node-api').length > 0,
      'dist/src/ requires the driver from its files',
    );
  } finally {
    removeDir(dir);
  }
});

test("commander's child_process is loaded only when it starts a subcommand: a compile loads none", () => {
  const dir = writeProject({ 'dbt_project.yml': 'name: shop\nprofile: shop\n', 'models/a.sql': 'select 1 as id' });
  try {
    const preload = join(dir, 'modules.cjs');
    writeFileSync(preload, `process.on('exit', () => process._rawDebug(process.moduleLoadList.join('\\n')));\n`);
    const r = spawnSync(process.execPath, ['-r', preload, kilnBin, 'compile'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stderr.includes('NativeModule fs'), 'the preload lists the modules loaded');
    assert.ok(!r.stderr.split('\n').includes('NativeModule child_process'), 'child_process was loaded');
  } finally {
    removeDir(dir);
  }
});

test('every child_process function commander calls is in the lazy module the bundle gives it, and is the real one', () => {
  const source = readFileSync(join(repoRoot, 'node_modules', 'commander', 'lib', 'command.js'), 'utf8');
  const used = [...new Set([...source.matchAll(/childProcess\.(\w+)/g)].map((m) => m[1]!))];
  assert.ok(used.includes('spawn'));
  const calls: unknown[][] = [];
  const real = Object.fromEntries(used.map((name) => [name, (...args: unknown[]) => calls.push([name, ...args])]));
  const fakeProcess = { getBuiltinModule: (id: string) => (id === 'node:child_process' ? real : undefined) };
  const lazy: Record<string, (...args: unknown[]) => unknown> = {};
  runInNewContext(lazyChildProcess, { exports: lazy, process: fakeProcess });
  for (const name of used) {
    assert.equal(typeof lazy[name], 'function', `childProcess.${name}`);
    lazy[name]!('x', ['y']);
  }
  assert.deepEqual(
    calls,
    used.map((name) => [name, 'x', ['y']]),
  );
});

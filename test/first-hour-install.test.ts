/**
 * A new user's first steps: the `kiln` command of an unbuilt clone, what `npm pack` ships, the
 * packed tarball installed globally into a throwaway prefix and used offline (this file runs
 * in a loopback-only network namespace), and the test suite's prerequisites check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join, relative, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { isolatedSuite } from './helpers/loopback-namespace.js';
import { repoRoot, tempDir, removeDir } from './helpers/cli.js';
import { missingPrerequisites, type Prerequisite } from './prerequisites.js';

// These tests play a user typing at a shell. Under `npm test`, npm's INIT_CWD (the folder npm
// was started in) would reach the kiln processes, which take it for where the user stands.
delete process.env.INIT_CWD;

const noStackTrace = (text: string) => assert.doesNotMatch(text, /^\s+at |ERR_MODULE_NOT_FOUND|node:internal/m, text);

function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** npm's tarball file list, as `npm pack --dry-run --json` reports it. */
function packedFiles(): string[] {
  const r = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
}

/** The runtime dependencies' folders (no devDependencies), as npm would install them. */
function productionDependencies(): string[] {
  const r = run('npm', ['ls', '--omit=dev', '--all', '--parseable']);
  assert.equal(r.code, 0, r.stderr);
  const top = join(repoRoot, 'node_modules') + sep;
  // Hoisted packages sit directly under node_modules (scoped ones one level deeper); nested ones come with them.
  return [
    ...new Set(
      r.stdout
        .split('\n')
        .filter((p) => p.startsWith(top))
        .map((p) => relative(top, p).split(sep))
        .map((parts) => parts.slice(0, parts[0]!.startsWith('@') ? 2 : 1).join(sep)),
    ),
  ];
}

/** A temp folder no ancestor of which holds node_modules, so a missing dependency stays missing. */
function folderWithoutModulesAbove(): string {
  const clean = (dir: string): boolean =>
    !existsSync(join(dir, 'node_modules')) && (dirname(dir) === dir || clean(dirname(dir)));
  const found = [tmpdir(), '/var/tmp', '/dev/shm'].find((d) => existsSync(d) && clean(d));
  if (!found)
    assert.fail(
      `every temp folder (${tmpdir()}, /var/tmp, /dev/shm) has a node_modules folder above it: remove it to run this test`,
    );
  return found;
}

isolatedSuite(import.meta.url, () => {
  test('an unbuilt clone says in one line what to run, with no stack trace', () => {
    const clone = mkdtempSync(join(folderWithoutModulesAbove(), 'kiln-clone-'));
    try {
      mkdirSync(join(clone, 'bin'));
      cpSync(join(repoRoot, 'bin', 'kiln.js'), join(clone, 'bin', 'kiln.js'));
      cpSync(join(repoRoot, 'package.json'), join(clone, 'package.json'));
      const unbuilt = run(process.execPath, [join(clone, 'bin', 'kiln.js'), '--version'], { cwd: clone });
      assert.equal(unbuilt.code, 1);
      assert.equal(unbuilt.stderr.trim().split('\n').length, 1, unbuilt.stderr);
      assert.match(unbuilt.stderr, /not been built.*run `npm install` in .*kiln-clone-/);
      noStackTrace(unbuilt.stderr);

      // Built, but its dependencies are not installed: the missing package is named.
      cpSync(join(repoRoot, 'dist', 'src'), join(clone, 'dist', 'src'), { recursive: true });
      const noDeps = run(process.execPath, [join(clone, 'bin', 'kiln.js'), '--help'], { cwd: clone });
      assert.equal(noDeps.code, 1);
      assert.equal(noDeps.stderr.trim().split('\n').length, 1, noDeps.stderr);
      assert.match(noDeps.stderr, /commander is missing; run `npm install`/);
      noStackTrace(noDeps.stderr);
    } finally {
      removeDir(clone);
    }
  });

  test('npm install -g . on an unbuilt clone builds it (prepare), and the global kiln runs', () => {
    const work = tempDir('kiln-global-');
    try {
      const clone = join(work, 'kiln');
      for (const part of [
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'tsconfig.build.json',
        'bin',
        'src',
        'test',
        'bench',
        'docs-site',
        'templates',
      ]) {
        cpSync(join(repoRoot, part), join(clone, part), {
          recursive: true,
          filter: (p) => !p.includes(`${sep}node_modules`),
        });
      }
      // Dependencies as `npm ci` would have put them: offline here, npm only links and builds.
      symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
      assert.ok(!existsSync(join(clone, 'dist')));
      const prefix = join(work, 'prefix');
      const installed = run('npm', ['install', '-g', '.', '--offline', '--prefix', prefix], { cwd: clone });
      assert.equal(installed.code, 0, installed.stdout + installed.stderr);
      assert.ok(existsSync(join(clone, 'dist', 'src', 'cli', 'main.js')), 'prepare built kiln');
      // What runs, not the tests and benchmarks beside it: an install compiles only src/.
      assert.ok(!existsSync(join(clone, 'dist', 'test')) && !existsSync(join(clone, 'dist', 'bench')), 'and only kiln');
      assert.ok(existsSync(join(clone, 'dist', 'docs-site', 'kiln-docs.js')), 'and the docs site bundle');
      assert.ok(
        existsSync(join(clone, 'dist', 'cli', 'kiln.cjs.cache')),
        "and the command line's bundle and code cache",
      );
      const version = run(join(prefix, 'bin', 'kiln'), ['--version'], { cwd: work });
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
      noStackTrace(version.stderr);
    } finally {
      removeDir(work);
    }
  });

  test('package.json builds on install and npm pack ships only what runs', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    assert.match(pkg.scripts.prepare, /npm run build/, 'a clone installed with npm install -g . or npm link is built');
    // The same steps as the full build, but tsc of src/ alone.
    assert.equal(
      pkg.scripts['build:runtime'],
      pkg.scripts.build.replace(/tsc -p tsconfig\.json && tsc -p docs-site\S+ /, 'tsc -p tsconfig.build.json '),
    );
    const files = packedFiles();
    for (const needed of [
      'bin/kiln.js',
      'package.json',
      'README.md',
      'dist/src/cli/main.js',
      'dist/src/index.d.ts',
      'dist/docs-site/kiln-docs.js',
      'dist/cli/kiln.cjs',
      'templates/macros/generic_tests/builtin.sql',
    ]) {
      assert.ok(files.includes(needed), `${needed} is shipped`);
    }
    const extra = files.filter(
      (f) =>
        /^(test|src|bench|docs-site\/src|project-example|dist\/test|dist\/bench)\//.test(f) ||
        f.endsWith('.map') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    assert.deepEqual(extra, [], 'no tests, sources, benchmarks or source maps');
    const outside = files.filter(
      (f) =>
        !/^(bin|dist\/src|dist\/cli|dist\/docs-site|templates|docs)\//.test(f) &&
        !['package.json', 'README.md', 'LICENSE'].includes(f),
    );
    assert.deepEqual(outside, [], 'only the runtime folders, package.json, README and LICENSE');
  });

  test('the packed tarball installed globally runs kiln --version, init and build offline', () => {
    const work = tempDir('kiln-pack-');
    try {
      const packed = run('npm', ['pack', '--ignore-scripts', '--pack-destination', work]);
      assert.equal(packed.code, 0, packed.stderr);
      const tarball = join(work, packed.stdout.trim().split('\n').pop()!);
      // The layout of `npm install -g` under a prefix: lib/node_modules/kiln and a bin link.
      const prefix = join(work, 'prefix');
      const installed = join(prefix, 'lib', 'node_modules', 'kiln');
      mkdirSync(installed, { recursive: true });
      assert.equal(run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']).code, 0);
      mkdirSync(join(installed, 'node_modules'));
      for (const dep of productionDependencies()) {
        mkdirSync(join(installed, 'node_modules', dep, '..'), { recursive: true });
        symlinkSync(join(repoRoot, 'node_modules', dep), join(installed, 'node_modules', dep));
      }
      mkdirSync(join(prefix, 'bin'));
      symlinkSync(join('..', 'lib', 'node_modules', 'kiln', 'bin', 'kiln.js'), join(prefix, 'bin', 'kiln'));
      const home = join(work, 'home');
      mkdirSync(home);
      const env = {
        PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH}`,
        HOME: home,
        KILN_PROFILES_DIR: undefined,
        DBT_PROFILES_DIR: undefined,
      };
      const shell = (command: string) => run('sh', ['-c', command], { cwd: home, env });

      const version = shell('kiln --version');
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);

      const init = shell('kiln init shop');
      assert.equal(init.code, 0, init.stderr);
      const next = /Next: (.*)$/m.exec(init.stdout)?.[1];
      assert.equal(next, 'cd shop && kiln build', 'the installed command is on PATH, so the bare `kiln` works');
      const built = shell(next);
      assert.equal(built.code, 0, built.stdout + built.stderr);
      assert.match(built.stdout, /Done\. PASS=5 WARN=0 ERROR=0 SKIP=0 TOTAL=5/);
      noStackTrace(built.stdout + built.stderr);
      assert.ok(existsSync(join(home, 'shop', 'target', 'kiln.duckdb')));
      const docs = shell('cd shop && kiln docs generate --empty-catalog');
      assert.equal(docs.code, 0, docs.stderr);
      assert.ok(existsSync(join(home, 'shop', 'target', 'index.html')), 'the docs site bundle was shipped');
    } finally {
      removeDir(work);
    }
  });

  test('kiln init from a checkout suggests `node <path>/bin/kiln.js build`, and that command builds', () => {
    const cwd = tempDir('kiln-init-');
    try {
      const bin = join(repoRoot, 'bin', 'kiln.js');
      const init = run(process.execPath, [bin, 'init', 'my_proj'], { cwd, env: { PATH: process.env.PATH } });
      assert.equal(init.code, 0, init.stderr);
      const next = /Next: (.*)$/m.exec(init.stdout)?.[1] ?? '';
      assert.match(next, /^cd my_proj && node \S*bin\/kiln\.js build$/);
      const built = run('sh', ['-c', next], { cwd, env: { HOME: cwd } });
      assert.equal(built.code, 0, built.stdout + built.stderr);
      assert.match(built.stdout, /PASS=5/);

      // Through `npm run kiln` kiln runs in the package folder; the suggestion is for the user's shell.
      const packageFolder = tempDir('kiln-package-');
      const viaNpm = run(process.execPath, [bin, 'init', 'other'], {
        cwd: packageFolder,
        env: { PATH: process.env.PATH, INIT_CWD: cwd },
      });
      try {
        assert.equal(viaNpm.code, 0, viaNpm.stderr);
        const fromUser = /Next: (.*)$/m.exec(viaNpm.stdout)?.[1] ?? '';
        assert.match(fromUser, /^cd \.\.\/\S+\/other && node \S*bin\/kiln\.js build$/);
        assert.equal(
          run('sh', ['-c', fromUser.replace(/ && .*/, ' && test -f dbt_project.yml')], { cwd }).code,
          0,
          `${fromUser} works from ${cwd}`,
        );
      } finally {
        removeDir(packageFolder);
      }
    } finally {
      removeDir(cwd);
    }
  });

  test('the embedded-DuckDB notice is said once, by commands that connect, never by ls or compile', () => {
    const cwd = tempDir('kiln-notice-');
    try {
      const bin = join(repoRoot, 'bin', 'kiln.js');
      const kiln = (...args: string[]) =>
        run(process.execPath, [bin, ...args, '--project-dir', 'p'], {
          cwd,
          env: { HOME: cwd, KILN_PROFILES_DIR: undefined, DBT_PROFILES_DIR: undefined },
        });
      assert.equal(run(process.execPath, [bin, 'init', 'p'], { cwd }).code, 0);
      const notice = /No profiles\.yml found: using the embedded DuckDB database/g;
      for (const quiet of [['ls'], ['compile'], ['parse']]) {
        const r = kiln(...quiet);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout + r.stderr, notice, `kiln ${quiet[0]} opens no connection`);
      }
      const built = kiln('build');
      assert.equal(built.code, 0, built.stderr);
      assert.equal((built.stdout + built.stderr).match(notice)?.length, 1, built.stdout + built.stderr);
    } finally {
      removeDir(cwd);
    }
  });

  test('a missing test prerequisite is one line saying what to install', () => {
    const absent: Prerequisite = { what: 'a tool', missing: () => 'tool not found: apt-get install tool' };
    const present: Prerequisite = { what: 'another', missing: () => undefined };
    assert.deepEqual(missingPrerequisites([present, absent]), ['missing a tool: tool not found: apt-get install tool']);
    const r = run(process.execPath, [join(repoRoot, 'dist', 'test', 'prerequisites.js')], {
      env: { KILN_CHROMIUM: join(repoRoot, 'no-such-chromium') },
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: missing Debian's Chromium .*: .*no-such-chromium not found: apt-get install chromium/m,
    );
    assert.equal(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error:')).length,
      1,
      r.stderr,
    );
    noStackTrace(r.stderr);
  });
});

/**
 * dbt's global flags for what the terminal shows (`-q/--quiet`, `--log-level`, `--use-colors`, `--printer-width`, and
 * their DBT_ environment variables), the ones kiln accepts because it has nothing to change for them, and a reader
 * that goes away before kiln has printed everything (`kiln ls | head`).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, kilnBin, minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { terminalSettings } from '../src/cli/terminal-settings.js';

const dir = writeProject(
  minimalProject({
    'models/a.sql': "{{ print('printed by a') }}{{ log('logged by a', info=True) }}select 1 as id\n",
    'models/b.sql': "select id from {{ ref('a') }}\n",
  }),
);
const broken = writeProject(
  minimalProject({
    'models/good.sql': 'select 1 as id\n',
    'models/bad.sql': 'select no_such_column from (select 1 as id)\n',
  }),
);
after(() => (removeDir(dir), removeDir(broken)));

const inDir = (d: string, ...args: string[]) => [...args, '--project-dir', d];
/** Text made of print()'s lines alone: at least one, and nothing else. */
const assertOnlyPrinted = (text: string) => assert.match(text, /^(printed by a\n)+$/, text);
const noStackTrace = (text: string) => assert.doesNotMatch(text, /^\s+at |node:internal/m, text);

test('--quiet: a run that succeeds prints nothing but print() output', () => {
  const loud = kiln(inDir(dir, 'run'));
  assert.equal(loud.code, 0, loud.stderr);
  assert.match(loud.stdout, /START view model main\.a/);
  assert.match(loud.stderr, /printed by a/);
  assert.match(loud.stderr, /logged by a/);

  for (const quiet of [kiln(inDir(dir, 'run', '-q')), kiln(inDir(dir, '--quiet', 'run'))]) {
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, '');
    // dbt's --quiet leaves a template's print() (at parse and at run time, as without it) and hides log() at info level.
    assertOnlyPrinted(quiet.stderr);
  }
});

test("--no-print hides a template's print(), on its own and under --quiet", () => {
  for (const [args, env] of [
    [['--no-print'], {}],
    [['-q', '--no-print'], {}],
    [[], { DBT_PRINT: 'false' }],
    [[], { DBT_NO_PRINT: 'true' }],
  ] as const) {
    const r = kiln(inDir(dir, 'run', ...args), { env: { ...env } });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /printed by a/, `${args.join(' ')} ${JSON.stringify(env)}`);
  }
  const shown = kiln(inDir(dir, 'run', '--print'), { env: { DBT_NO_PRINT: 'true' } });
  assert.match(shown.stderr, /printed by a/);
  assert.match(kiln(inDir(dir, 'run', '-q'), { env: { DBT_NO_PRINT: 'false' } }).stderr, /printed by a/);
});

test('--quiet: a failed run still says what failed, and exits 1', () => {
  const r = kiln(inDir(broken, 'run', '-q'));
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stdout, /START|OK |Running with|Done\./);
  assert.match(r.stdout, /Completed with 1 error and 0 warnings:/);
  assert.match(r.stdout, /Error in model bad \(models\/bad\.sql\)/);
  assert.match(r.stdout, /no_such_column/);
});

test('--quiet: ls still lists the nodes (its output is the result, not a log)', () => {
  const r = kiln(inDir(dir, 'ls', '-q', '--resource-type', 'model'));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['tiny.a', 'tiny.b']);
  assert.doesNotMatch(r.stderr, /logged by a/);
});

test('--log-level: warn hides the progress lines and keeps warnings; none hides even errors', () => {
  const warn = kiln(inDir(dir, 'run', '--log-level', 'warn', '-s', 'no_such_model'));
  assert.equal(warn.code, 0, warn.stderr);
  assert.equal(warn.stdout.includes('Running with'), false, warn.stdout);
  assert.match(warn.stderr, /warning: .*(no nodes|nothing to do)/i);

  const none = kiln(inDir(broken, 'run', '--log-level', 'none'));
  assert.equal(none.code, 1);
  assert.equal(none.stdout, '');
  assert.equal(none.stderr, '');

  const info = kiln(inDir(dir, 'parse', '--log-level', 'info'));
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout + info.stderr, /Parsed 2 models/);

  // debug shows kiln's debug lines, as --debug does.
  const debug = kiln(inDir(dir, 'compile', '--log-level', 'debug'));
  assert.equal(debug.code, 0, debug.stderr);
  assert.match(debug.stderr, /partial parse/);
  assert.doesNotMatch(kiln(inDir(dir, 'compile')).stderr, /partial parse/);
});

test('--log-format json with --quiet: only error lines', () => {
  const ok = kiln(inDir(dir, 'run', '-q', '--log-format', 'json'));
  assert.equal(ok.code, 0, ok.stderr);
  // print() stays, as a JSON line.
  const lines = ok.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: string; msg?: string });
  assert.ok(lines.length > 0 && lines.every((l) => l.msg === 'printed by a'), ok.stdout);
  const failed = kiln(inDir(broken, 'run', '-q', '--log-format', 'json'));
  assert.equal(failed.code, 1);
  const levels = failed.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { level: string }).level);
  assert.ok(
    levels.every((l) => l === 'error'),
    failed.stdout,
  );
});

test('the environment sets them as the flags do (KILN_ before DBT_), and a flag wins', () => {
  const quiet = kiln(inDir(dir, 'run'), { env: { DBT_QUIET: 'true' } });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stdout, '');
  const loud = kiln(inDir(dir, 'run'), { env: { DBT_QUIET: 'true', KILN_QUIET: 'false' } });
  assert.match(loud.stdout, /Done\. PASS=2/);
  const level = kiln(inDir(dir, 'run', '--log-level', 'info'), { env: { DBT_LOG_LEVEL: 'none' } });
  assert.match(level.stdout, /Done\. PASS=2/);

  assert.deepEqual(terminalSettings({}, {}), { level: 'info', color: true, print: true, printerWidth: 80 });
  assert.deepEqual(terminalSettings({}, { DBT_USE_COLORS: 'false', DBT_PRINTER_WIDTH: '120', DBT_LOG_LEVEL: 'warn' }), {
    level: 'warn',
    color: false,
    print: true,
    printerWidth: 120,
  });
  assert.equal(terminalSettings({ useColors: true }, { DBT_USE_COLORS: 'false' }).color, true);
  assert.equal(terminalSettings({ useColors: false }, {}).color, false);
  // kiln's own --no-color wins over dbt's --use-colors.
  assert.equal(terminalSettings({ useColors: true, color: false }, {}).color, false);
  assert.equal(terminalSettings({ quiet: true, logLevel: 'debug' }, {}).level, 'error');
  assert.equal(terminalSettings({ quiet: true, logLevel: 'none' }, {}).level, 'none');
});

test('--printer-width sets the width of the node lines outside a terminal', () => {
  const widthOf = (r: { stdout: string }) => r.stdout.split('\n').find((l) => l.includes('START'))!.length;
  assert.equal(widthOf(kiln(inDir(dir, 'run', '-s', 'a'))), 80);
  assert.equal(widthOf(kiln(inDir(dir, 'run', '-s', 'a', '--printer-width', '100'))), 100);
  assert.equal(widthOf(kiln(inDir(dir, 'run', '-s', 'a'), { env: { DBT_PRINTER_WIDTH: '120' } })), 120);
});

test('a bad level or width is bad input: one line saying what is allowed, exit 2', () => {
  for (const [args, env, expected] of [
    [['--printer-width', '10'], {}, /printer width "10" is not a whole number from 40 to 1000/],
    [[], { DBT_PRINTER_WIDTH: 'wide' }, /printer width "wide"/],
    [[], { DBT_LOG_LEVEL: 'loud' }, /log level "loud" is not one of debug, info, warn, error, none/],
    [['--log-level', 'loud'], {}, /argument 'loud' is invalid/],
  ] as const) {
    const r = kiln(inDir(dir, 'parse', ...args), { env: { ...env } });
    assert.equal(r.code, 2, `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    noStackTrace(r.stderr);
  }
});

test("dbt's flags for what kiln never does are accepted and change nothing", () => {
  const plain = kiln(inDir(dir, 'ls', '--resource-type', 'model'));
  for (const flag of [
    '--send-anonymous-usage-stats',
    '--no-send-anonymous-usage-stats',
    '--version-check',
    '--no-version-check',
    '--use-experimental-parser',
    '--no-use-experimental-parser',
    '--log-cache-events',
    '--no-log-cache-events',
    '--use-colors',
    '--no-use-colors',
  ]) {
    const r = kiln(inDir(dir, 'ls', '--resource-type', 'model', flag));
    assert.equal(r.code, 0, `${flag}: ${r.stderr}`);
    assert.equal(r.stdout, plain.stdout, flag);
  }
});

test('--log-path (else KILN_LOG_PATH or DBT_LOG_PATH) is where the invocation logs go, from the project folder', () => {
  const logsIn = (folder: string) =>
    existsSync(join(dir, folder)) ? readdirSync(join(dir, folder)).filter((f) => f.endsWith('.log')) : [];
  const before = logsIn('logs').length;
  assert.equal(kiln(inDir(dir, 'run', '--log-path', 'flag_logs')).code, 0);
  assert.equal(logsIn('flag_logs').length, 1);
  assert.equal(kiln(inDir(dir, 'run'), { env: { DBT_LOG_PATH: 'env_logs' } }).code, 0);
  assert.equal(logsIn('env_logs').length, 1);
  // The flag wins over the variable; and none of these runs wrote to the default folder.
  assert.equal(kiln(inDir(dir, 'run', '--log-path', 'flag_logs'), { env: { DBT_LOG_PATH: 'env_logs' } }).code, 0);
  assert.deepEqual([logsIn('flag_logs').length, logsIn('env_logs').length, logsIn('logs').length], [2, 1, before]);
});

test('a reader that goes away early (kiln ls | true) gets no stack trace, and kiln exits as it would', () => {
  const r = spawnSync(
    'bash',
    ['-c', `"${process.execPath}" "${kilnBin}" ls --project-dir "${dir}" | true; echo "kiln exited $\{PIPESTATUS[0]}"`],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', HOME: dir } },
  );
  assert.match(r.stdout, /kiln exited 0/);
  assert.doesNotMatch(r.stderr, /EPIPE|Error:/, r.stderr);
  noStackTrace(r.stderr);
});

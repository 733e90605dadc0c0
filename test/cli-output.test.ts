/**
 * What `kiln run`/`build` print while they run, in a log (no terminal) and on a pseudo-terminal
 * (util-linux `script`): dbt's header, a START and a result line per node, lines that fit the
 * width in visible characters, heartbeats for long nodes in logs, CANCEL for an interrupted node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, kilnBin, writeProject, minimalProject, removeDir } from './helpers/cli.js';

const visible = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, '');
const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Runs kiln on a pseudo-terminal `columns` wide; the terminal's output, carriage returns removed. */
function inTerminal(
  args: string[],
  columns: number,
  env: Record<string, string> = {},
): { code: number; stdout: string } {
  const vars = Object.entries({ TERM: 'xterm', NO_COLOR: '', ...env })
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(' ');
  const command = `stty cols ${columns} rows 40; exec env ${vars} ${quote(process.execPath)} ${quote(kilnBin)} ${args.map(quote).join(' ')}`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, HOME: process.env.HOME ?? '/' },
  });
  return { code: r.status ?? -1, stdout: r.stdout.replace(/\r\n/g, '\n') };
}

const longTest = 'accepted_values_orders_status__placed__shipped__completed__return_pending__returned';
const shop = () =>
  writeProject(
    minimalProject({
      'seeds/raw_orders.csv': 'id,status\n1,placed\n2,shipped\n',
      'models/orders.sql': "select * from {{ ref('raw_orders') }}",
      'models/order_count.sql': "{{ config(materialized='table') }}select count(*) as n from {{ ref('orders') }}",
      'models/orders.yml': `version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n      - name: status\n        data_tests:\n          - accepted_values:\n              values: [placed, shipped, completed, return_pending, returned]\n`,
    }),
  );

/** The node lines of a run: "<n> of <total> <LABEL> ...". */
const nodeLines = (stdout: string) =>
  stdout
    .split('\n')
    .map(visible)
    .filter((l) => /^\s*\d+ of \d+ /.test(l));

/** `live`: on a terminal, where a long line is cut to the width; in a log it is kept whole. */
function checkRunLines(stdout: string, width: number, live: boolean): void {
  const lines = stdout.split('\n').map(visible);
  assert.equal(
    lines[0],
    `Running with kiln=${JSON.parse(readFileSync(join(kilnBin, '..', '..', 'package.json'), 'utf8')).version}`,
  );
  assert.match(lines[1]!, /^Found 2 models, 3 data tests, 1 seed, \d+ macros$/);
  assert.match(stdout, /^Concurrency: 4 threads \(target='dev', duckdb\)$/m);
  const nodes = nodeLines(stdout);
  const starts = nodes.filter((l) => / START /.test(l));
  const ends = nodes.filter((l) => !/ START /.test(l));
  assert.equal(starts.length, 6, nodes.join('\n'));
  assert.equal(ends.length, 6, nodes.join('\n'));
  assert.deepEqual(
    starts.map((l) => Number(/^\s*(\d+) of/.exec(l)![1])),
    [1, 2, 3, 4, 5, 6],
    'START lines numbered in order',
  );
  for (const l of starts) assert.match(l, /\.{3,} \[RUN\]$/);
  for (const l of ends) assert.match(l, /^\s*\d of 6 (OK|PASS) +\S.* \.{3,} \[.* in \d+\.\d\ds\]$/);
  const longName = (l: string) => l.includes('accepted_values_orders_status__');
  for (const l of nodes.filter((x) => live || !longName(x)))
    assert.equal(l.length, width, `every node line is ${width} visible characters: ${JSON.stringify(l)}`);
  // Each node's START comes before its result.
  for (const l of ends) {
    const n = /^\s*(\d+) of/.exec(l)![1];
    assert.ok(nodes.findIndex((x) => new RegExp(`^\\s*${n} of 6 START`).test(x)) < nodes.indexOf(l));
  }
  const longLines = nodes.filter(longName);
  assert.equal(longLines.length, 2);
  if (live)
    for (const l of longLines)
      assert.match(
        l,
        /accepted_values_orders_status__\S*\.\.\. \.{3,} \[/,
        'on a terminal a long test name is cut, not wrapping the line',
      );
  else
    for (const l of longLines)
      assert.ok(
        l.includes(` ${longTest} ... [`) && l.length > width,
        `in a log a long test name is kept whole, as dbt does: ${l}`,
      );
  assert.match(
    stdout,
    /^Finished running 1 seed, 1 table model, 1 view model, 3 data tests in 0 hours 0 minutes and \d+\.\d\d seconds \(\d+\.\d\ds\)\.$/m,
  );
  assert.match(stdout, /^Done\. PASS=6 WARN=0 ERROR=0 SKIP=0 TOTAL=6$/m);
}

test('in a log: the header, a START and a result line per node, 80 columns, the run counted by kind', () => {
  const dir = shop();
  try {
    const r = kiln(['build', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    checkRunLines(r.stdout, 80, false);
    assert.doesNotMatch(r.stdout, /\u001b/);
    assert.ok(r.stdout.includes(longTest.slice(0, 30)));
  } finally {
    removeDir(dir);
  }
});

test('--log-format json: the header is a run_started event, cancel is counted apart', () => {
  const dir = shop();
  try {
    const r = kiln(['--log-format', 'json', 'build', '--project-dir', dir, '--threads', '2']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const start = lines.find((l) => l.event === 'run_started');
    assert.ok(lines.indexOf(start) < lines.findIndex((l) => l.event === 'node_started'));
    assert.match(start.found, /^2 models, 3 data tests, 1 seed, \d+ macros$/);
    assert.deepEqual([start.target, start.adapter, start.threads], ['dev', 'duckdb', 2]);
    assert.equal(typeof start.kiln_version, 'string');
    const end = lines.at(-1);
    assert.deepEqual([end.event, end.pass, end.skip, end.cancel, end.total], ['run_finished', 6, 0, 0, 6]);
  } finally {
    removeDir(dir);
  }
});

test('on a terminal: the same lines in colour, dot leaders counted in visible characters to its width', () => {
  const dir = shop();
  try {
    const r = inTerminal(['build', '--project-dir', dir], 101);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /\u001b\[32mOK/, 'labels in colour');
    // The live status line is drawn and erased in place; what stays are the node lines.
    const kept = r.stdout
      .replace(/\u001b\[2m {2}\[\d+\/\d+\][^\n\u001b]*\u001b\[0m/g, '')
      .replace(/\u001b\[2K/g, '')
      .replace(/\r/g, '');
    checkRunLines(kept, 100, true);
    const narrow = inTerminal(['build', '--project-dir', dir], 60);
    const narrowKept = narrow.stdout
      .replace(/\u001b\[2m {2}\[\d+\/\d+\][^\n\u001b]*\u001b\[0m/g, '')
      .replace(/\u001b\[2K/g, '')
      .replace(/\r/g, '');
    for (const l of nodeLines(narrowKept)) assert.ok(l.length <= 59, `fits a 60-column terminal: ${l}`);
  } finally {
    removeDir(dir);
  }
});

const forever = "{{ config(materialized='table') }}select count(*) as n from range(400000000000) a(i) where i % 7 = 3";

/** Starts a run of a model that never ends, waits for `until` in its output, sends SIGTERM. */
async function interrupt(dir: string, command: string[], until: RegExp): Promise<{ code: number | null; out: string }> {
  const child = spawn(command[0]!, command.slice(1), { cwd: dir, env: { ...process.env, NO_COLOR: '1', HOME: dir } });
  let out = '';
  const seen = new Promise<void>((resolve) => {
    const read = (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) resolve();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  await Promise.race([seen, exited]);
  // An interrupt that reaches DuckDB before the statement starts is lost: let it start.
  await new Promise((resolve) => setTimeout(resolve, 500));
  child.kill('SIGTERM');
  const code = await exited;
  return { code, out };
}

test('in a log: a long node says it is still running; interrupted by SIGTERM it is CANCEL, in its line and the counts', async () => {
  const dir = writeProject(
    minimalProject({ 'models/slow.sql': forever, 'models/after_slow.sql': "select * from {{ ref('slow') }}" }),
  );
  try {
    const r = await interrupt(
      dir,
      [process.execPath, kilnBin, 'run', '--project-dir', dir, '--heartbeat', '0.4'],
      /still running after[\s\S]*still running after/,
    );
    assert.equal(r.code, 143, r.out);
    const lines = r.out.split('\n');
    const beats = lines.filter((l) =>
      /^1 of 2 RUNNING table model main\.slow \.{3,} \[still running after \d+s\]$/.test(l),
    );
    assert.ok(beats.length >= 2, r.out);
    assert.ok(
      lines.every((l) => !/^\s*\d+ of /.test(l) || l.length === 80),
      r.out,
    );
    assert.match(r.out, /^1 of 2 CANCEL table model main\.slow \.{3,} \[CANCEL in \d+\.\d\ds\]$/m);
    assert.match(r.out, /^2 of 2 SKIP {2}view model main\.after_slow \.{3,} \[SKIP\]$/m);
    assert.match(r.out, /^Done\. PASS=0 WARN=0 ERROR=0 SKIP=1 CANCEL=1 TOTAL=2$/m);
    assert.match(r.out, /SIGTERM received: cancelling running queries/);
    assert.doesNotMatch(r.out, /Ctrl-C/, 'nobody pressed Ctrl-C');

    const quiet = await interrupt(
      dir,
      [process.execPath, kilnBin, 'run', '--project-dir', dir, '--heartbeat', '0'],
      /START table model main\.slow/,
    );
    assert.equal(quiet.code, 143, quiet.out);
    assert.doesNotMatch(quiet.out, /still running/);
  } finally {
    removeDir(dir);
  }
});

test('on a terminal: the status line shows the long node, no heartbeat lines; SIGINT still mentions Ctrl-C', async () => {
  const dir = writeProject(minimalProject({ 'models/slow.sql': forever }));
  const pidFile = join(dir, 'kiln.pid');
  try {
    const inner = `echo $$ > ${quote(pidFile)}; exec env TERM=xterm NO_COLOR=1 ${quote(process.execPath)} ${quote(kilnBin)} run --project-dir ${quote(dir)} --heartbeat 0.3`;
    const child = spawn('script', ['-qec', inner, '/dev/null'], { env: { ...process.env, HOME: dir } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    while (!/running: slow/.test(out)) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGINT');
    await exited;
    assert.match(out, /1 of 1 START table model main\.slow/);
    assert.doesNotMatch(out, /still running after/, 'the live status line says it on a terminal');
    assert.match(out, /\[0\/1\] \d+\.\ds · running: slow/);
    assert.match(out, /SIGINT received: .*press Ctrl-C again/);
    assert.match(out, /1 of 1 CANCEL/);
    assert.match(out, /Done\. PASS=0 WARN=0 ERROR=0 SKIP=0 CANCEL=1 TOTAL=1/);
  } finally {
    removeDir(dir);
  }
});

test('--heartbeat takes seconds, and says so when it gets something else', () => {
  const r = kiln(['run', '--heartbeat', 'often']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--heartbeat must be a number of seconds \(0 for none\), got 'often'/);
});

test('a second SIGTERM ends the process at once, even while the warehouse runs a statement the first missed', async () => {
  const dir = writeProject(minimalProject({ 'models/slow.sql': forever }));
  try {
    const child = spawn(process.execPath, [kilnBin, 'run', '--project-dir', dir], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', HOME: dir },
    });
    let out = '';
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/START table model main\.slow/.test(out)) resolve();
      }),
    );
    // At once: the interrupt can reach DuckDB before the statement starts, and be lost.
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const secondAt = Date.now();
    child.kill('SIGTERM');
    const how = await exited;
    assert.ok(Date.now() - secondAt < 5000, `ended ${Date.now() - secondAt} ms after the second signal`);
    assert.ok(how === 'SIGKILL' || how === 143, String(how));
  } finally {
    removeDir(dir);
  }
});

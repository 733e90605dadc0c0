/**
 * `kiln orchestrate` as a real child process. Killed with SIGKILL in the middle of a run, the
 * next start marks that run interrupted and, the job having a retry left, runs it again; the
 * history file survives the kill. Stopped with SIGTERM, it cancels the running build as
 * `kiln build` does on a signal and records the run as cancelled.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { writeProject, removeDir, kilnBin, repoRoot } from './helpers/cli.js';
import { History } from '../src/orchestrate/history.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  dirs.forEach(removeDir);
});

const TOKEN = 'restart-test-token';

function project(): string {
  const dir = writeProject({
    'dbt_project.yml': 'name: slowpoke\nprofile: slowpoke\nconfig-version: 2\n',
    // As slow as the environment says: billions of rows while the test kills, a few after.
    'models/slow.sql':
      "{{ config(materialized='table') }}\nselect count(*) as n from range({{ env_var('SLOW_ROWS', '10') }}) t(x) where hash(x) % 7 = 3",
    'models/after_slow.sql': "select n from {{ ref('slow') }}",
    'kiln_jobs.yml':
      'jobs:\n  - name: build_all\n    command: build\n    triggers: [{webhook: true}]\n    retries: 1\n',
  });
  dirs.push(dir);
  return dir;
}

async function start(
  dir: string,
  slowRows: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    [kilnBin, '--log-format', 'json', 'orchestrate', '--project-dir', dir, '--port', '0'],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        NO_COLOR: '1',
        HOME: dir,
        KILN_PROFILES_DIR: '',
        DBT_PROFILES_DIR: '',
        KILN_ORCHESTRATE_TOKEN: TOKEN,
        SLOW_ROWS: slowRows,
      },
    },
  );
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`orchestrate did not start:\n${out}`)), 30_000);
    const look = () => {
      const m = /"event":"orchestrate_started","url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', look);
    child.on('exit', () => reject(new Error(`orchestrate exited early:\n${out}`)));
  });
  return { child, url, output: () => out };
}

async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await get().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const runs = async (url: string) =>
  ((await (await fetch(`${url}api/runs`)).json()) as any).runs as Array<Record<string, any>>;
const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(child.exitCode)
      : child.on('exit', (code) => resolve(code)),
  );

async function triggerAndWaitRunning(url: string): Promise<string> {
  const res = await fetch(`${url}api/jobs/build_all/trigger`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.status, 202);
  const runId = ((await res.json()) as any).run.run_id as string;
  // Running, and inside the slow model's query.
  await until('the slow model to start', async () => {
    const r = (await runs(url)).find((x) => x.run_id === runId);
    return r?.status === 'running' ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 1500));
  return runId;
}

test('after kill -9, a restart marks the run interrupted and reruns it by the job policy', async () => {
  const dir = project();
  const first = await start(dir, '100000000000');
  const runId = await triggerAndWaitRunning(first.url);
  const pid = first.child.pid;
  first.child.kill('SIGKILL');
  await exited(first.child);

  const second = await start(dir, '10');
  const all = await until('the recovery run to finish', async () => {
    const list = await runs(second.url);
    return list.some((r) => r.trigger === 'recovery' && r.status === 'success') ? list : undefined;
  });
  const killed = all.find((r) => r.run_id === runId)!;
  assert.equal(killed.status, 'interrupted');
  assert.match(killed.message, new RegExp(`process ${pid}`));
  const recovery = all.find((r) => r.trigger === 'recovery')!;
  assert.equal(recovery.attempt, 2);
  assert.match(recovery.reason, new RegExp(runId));
  const detail = (await (await fetch(`${second.url}api/runs/${recovery.run_id}`)).json()) as any;
  assert.deepEqual(detail.nodes.map((n: any) => [n.unique_id, n.status]).sort(), [
    ['model.slowpoke.after_slow', 'success'],
    ['model.slowpoke.slow', 'success'],
  ]);
  second.child.kill('SIGTERM');
  assert.equal(await exited(second.child), 143);
});

test('SIGTERM cancels the running build, records it as cancelled and exits', async () => {
  const dir = project();
  const service = await start(dir, '100000000000');
  const runId = await triggerAndWaitRunning(service.url);
  const signalled = Date.now();
  service.child.kill('SIGTERM');
  assert.equal(await exited(service.child), 143, service.output());
  assert.ok(Date.now() - signalled < 20_000, 'the running query was interrupted, not waited for');
  const history = await History.open(join(dir, '.kiln', 'history.duckdb'));
  try {
    const run = await history.run(runId);
    assert.equal(run?.status, 'cancelled');
    assert.ok((await history.runs()).every((r) => r.status !== 'running' && r.status !== 'queued'));
  } finally {
    await history.close();
  }
});

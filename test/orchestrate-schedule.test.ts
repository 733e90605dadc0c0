/**
 * The orchestrator's scheduling with an injected clock: cron ticks, one catch-up run after
 * downtime, `after`, overlap skip and queue, the global limit, retries, timeouts and
 * deadlines. Runs are real `kiln build`s on DuckDB where the behaviour is about what ran;
 * a job whose end the test decides (a gate) where the behaviour is about timing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeProject, removeDir, tempDir } from './helpers/cli.js';
import { ManualClock } from '../src/orchestrate/clock.js';
import { History } from '../src/orchestrate/history.js';
import { loadJobs } from '../src/orchestrate/jobs.js';
import { Orchestrator, type Alert, type ExecuteJob, type ExecutionHooks } from '../src/orchestrate/orchestrator.js';
import { inProcessExecutor } from '../src/orchestrate/run-job.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const tinyProject = (jobs: string) =>
  writeProject({
    'dbt_project.yml': 'name: tiny\nprofile: tiny\nconfig-version: 2\n',
    'models/numbers.sql': 'select 1 as n union all select 2',
    'models/doubled.sql': "select n * 2 as n from {{ ref('numbers') }}",
    'kiln_jobs.yml': jobs,
  });

async function setUp(
  jobs: string,
  opts: { start?: string; execute?: ExecuteJob; dir?: string; history?: History } = {},
) {
  const dir = opts.dir ?? tinyProject(jobs);
  if (!opts.dir) dirs.push(dir);
  const clock = new ManualClock(Date.parse(opts.start ?? '2026-03-02T05:00:00Z'));
  const history = opts.history ?? (await History.open(join(dir, '.kiln', 'history.duckdb')));
  const alerts: Alert[] = [];
  const orchestrator = new Orchestrator({
    config: loadJobs(dir),
    history,
    clock,
    execute: opts.execute ?? inProcessExecutor({ projectDir: dir }),
    alert: (a) => alerts.push(a),
  });
  await orchestrator.start();
  return { dir, clock, history, orchestrator, alerts };
}

/** A job execution that ends when the test says so (or when cancelled). */
function gate() {
  const calls: Array<{ job: string; hooks: ExecutionHooks; finish(success: boolean): void }> = [];
  const execute: ExecuteJob = (job, hooks) =>
    new Promise((resolve) => {
      calls.push({
        job: job.name,
        hooks,
        finish: (success) => resolve({ success, message: success ? 'done' : 'the job failed' }),
      });
      hooks.signal.addEventListener('abort', () => resolve({ success: false, message: 'cancelled' }));
    });
  return { execute, calls };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a cron trigger runs the job at its tick in its time zone, and the run and its nodes are in the history', async () => {
  // 07:00 in Berlin is 06:00 UTC in winter.
  const { orchestrator, clock, history } = await setUp(
    'jobs:\n  - name: morning\n    command: build\n    triggers:\n      - cron: "0 7 * * *"\n        timezone: Europe/Berlin\n',
  );
  await clock.set('2026-03-02T05:59:00Z');
  await orchestrator.idle();
  assert.equal((await history.runs()).length, 0, 'nothing before the tick');
  const [job] = await orchestrator.overview();
  assert.equal(job!.nextRun, Date.parse('2026-03-02T06:00:00Z'));
  await clock.set('2026-03-02T06:00:00Z');
  await orchestrator.idle();
  const runs = await history.runs();
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.status, 'success', runs[0]!.message ?? '');
  assert.equal(runs[0]!.trigger, 'cron');
  const nodes = await history.nodes(runs[0]!.run_id);
  assert.deepEqual(nodes.map((n) => n.unique_id).sort(), ['model.tiny.doubled', 'model.tiny.numbers']);
  assert.ok(nodes.every((n) => n.status === 'success' && n.duration >= 0));
  await orchestrator.stop();
  await history.close();
});

test('after downtime that missed many ticks, one catch-up run, not one per tick', async () => {
  const g = gate();
  const jobs = 'jobs:\n  - name: hourly\n    command: build\n    triggers:\n      - cron: "0 * * * *"\n';
  const first = await setUp(jobs, { start: '2026-03-02T05:30:00Z', execute: g.execute });
  await first.orchestrator.stop();
  await first.history.close();
  // Down from 05:30 to 11:10: the ticks at 06:00 ... 11:00 were missed.
  const second = await setUp(jobs, { dir: first.dir, start: '2026-03-02T11:10:00Z', execute: g.execute });
  await until('the catch-up run', () => g.calls.length === 1);
  g.calls[0]!.finish(true);
  await second.orchestrator.idle();
  const runs = await second.history.runs();
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.trigger, 'catch-up');
  assert.match(runs[0]!.reason, /since 2026-03-02T06:00:00/);
  // The schedule goes on from now: the next tick is 12:00, a normal run.
  await second.clock.set('2026-03-02T12:00:00Z');
  await until('the 12:00 run', () => g.calls.length === 2);
  g.calls[1]!.finish(true);
  await second.orchestrator.idle();
  assert.deepEqual(
    (await second.history.runs()).map((r) => r.trigger),
    ['cron', 'catch-up'],
  );
  await second.orchestrator.stop();
  await second.history.close();
});

test('a job with `after` runs once every job it waits for has succeeded, and not after a failure', async () => {
  const g = gate();
  const { orchestrator, history } = await setUp(
    'jobs:\n  - name: extract\n    command: seed\n    triggers: [{webhook: true}]\n  - name: load\n    command: seed\n    triggers: [{webhook: true}]\n  - name: report\n    command: build\n    triggers:\n      - after: [extract, load]\n',
    { execute: g.execute },
  );
  await orchestrator.trigger('extract', 'manual', 'test');
  await until('extract', () => g.calls.length === 1);
  g.calls[0]!.finish(true);
  await orchestrator.idle();
  assert.equal(g.calls.length, 1, 'report waits for load too');
  await orchestrator.trigger('load', 'manual', 'test');
  await until('load', () => g.calls.length === 2);
  g.calls[1]!.finish(true);
  await until('report', () => g.calls.length === 3);
  assert.equal(g.calls[2]!.job, 'report');
  g.calls[2]!.finish(true);
  await orchestrator.idle();
  // Only load succeeds again: extract has not succeeded since report last ran.
  await orchestrator.trigger('load', 'manual', 'test');
  await until('load again', () => g.calls.length === 4);
  g.calls[3]!.finish(true);
  await orchestrator.idle();
  await orchestrator.trigger('extract', 'manual', 'test');
  await until('extract again', () => g.calls.length === 5);
  g.calls[4]!.finish(false);
  await orchestrator.idle();
  assert.equal(g.calls.length, 5, 'a failed extract starts no report');
  const reportRuns = (await history.runs({ job: 'report' })).filter((r) => r.status !== 'skipped');
  assert.equal(reportRuns.length, 1);
  assert.equal(reportRuns[0]!.trigger, 'after');
  await orchestrator.stop();
  await history.close();
});

test('overlap: skip records a skipped run; queue runs once more after the running one; the global limit holds', async () => {
  const g = gate();
  const { orchestrator, history } = await setUp(
    'concurrency: 2\njobs:\n  - name: skipper\n    command: build\n    triggers: [{webhook: true}]\n    overlap: skip\n  - name: queuer\n    command: build\n    triggers: [{webhook: true}]\n    overlap: queue\n  - name: third\n    command: build\n    triggers: [{webhook: true}]\n',
    { execute: g.execute },
  );
  await orchestrator.trigger('skipper', 'manual', 'first');
  await orchestrator.trigger('queuer', 'manual', 'first');
  await until('two running', () => g.calls.length === 2);
  const skipped = await orchestrator.trigger('skipper', 'manual', 'second');
  assert.equal(skipped.status, 'skipped');
  assert.match(skipped.message!, /already running \(overlap: skip\)/);
  const queued = await orchestrator.trigger('queuer', 'manual', 'second');
  assert.equal(queued.status, 'queued');
  const coalesced = await orchestrator.trigger('queuer', 'manual', 'third');
  assert.equal(coalesced.status, 'skipped', 'one queued run covers later triggers');
  const waiting = await orchestrator.trigger('third', 'manual', 'first');
  assert.equal(waiting.status, 'queued');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(g.calls.length, 2, 'concurrency 2: the third job waits');
  assert.deepEqual(
    (await orchestrator.overview()).map((j) => j.state),
    ['running', 'running', 'queued'],
  );
  g.calls[1]!.finish(true); // queuer's first run ends: its queued run came before `third`'s, so it goes first
  await until('queuer runs again', () => g.calls.length === 3);
  assert.equal(g.calls[2]!.job, 'queuer');
  g.calls[0]!.finish(true);
  await until('third starts', () => g.calls.length === 4);
  assert.equal(g.calls[3]!.job, 'third');
  g.calls[2]!.finish(true);
  g.calls[3]!.finish(true);
  await orchestrator.idle();
  const statuses = (await history.runs({ job: 'queuer' })).map((r) => r.status).sort();
  assert.deepEqual(statuses, ['skipped', 'success', 'success']);
  await orchestrator.stop();
  await history.close();
});

test('a failed job is retried, a job past its timeout is cancelled, and a failure past the retries alerts', async () => {
  const g = gate();
  const { orchestrator, history, clock, alerts } = await setUp(
    'jobs:\n  - name: flaky\n    command: build\n    triggers: [{webhook: true}]\n    retries: 1\n    timeout: 10m\n',
    { execute: g.execute },
  );
  await orchestrator.trigger('flaky', 'webhook', 'test');
  await until('first attempt', () => g.calls.length === 1);
  g.calls[0]!.finish(false);
  await until('the retry', () => g.calls.length === 2);
  assert.equal(alerts.length, 0, 'no alert while a retry is left');
  await clock.advance(10 * 60 * 1000);
  assert.equal(g.calls[1]!.hooks.signal.aborted, true, 'the timeout cancels the run through its signal');
  await orchestrator.idle();
  const runs = await history.runs({ job: 'flaky' });
  assert.deepEqual(
    runs.map((r) => [r.attempt, r.status, r.trigger]),
    [
      [2, 'timed_out', 'retry'],
      [1, 'failed', 'webhook'],
    ],
  );
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.kind, 'failure');
  assert.match(alerts[0]!.message, /flaky timed out after 2 attempts/);
  await orchestrator.stop();
  await history.close();
});

test('a deadline alerts when the job has not succeeded by then, and stays quiet when it has', async () => {
  const g = gate();
  const { orchestrator, history, clock, alerts } = await setUp(
    'jobs:\n  - name: daily\n    command: build\n    triggers: [{cron: "0 6 * * *", timezone: UTC}]\n    deadline: "07:30"\n    timezone: UTC\n',
    { start: '2026-03-02T05:00:00Z', execute: g.execute },
  );
  await clock.set('2026-03-02T06:00:00Z');
  await until('the 06:00 run', () => g.calls.length === 1);
  g.calls[0]!.finish(false);
  await orchestrator.idle();
  await clock.set('2026-03-02T07:30:00Z');
  await orchestrator.idle();
  const deadlines = () => alerts.filter((a) => a.kind === 'deadline');
  assert.equal(deadlines().length, 1);
  assert.match(deadlines()[0]!.message, /daily missed its deadline 07:30/);
  // The next day it succeeds at 06:00: no deadline alert at 07:30.
  await clock.set('2026-03-03T06:00:00Z');
  await until('the next 06:00 run', () => g.calls.length === 2);
  g.calls[1]!.finish(true);
  await orchestrator.idle();
  await clock.set('2026-03-03T07:31:00Z');
  await orchestrator.idle();
  assert.equal(deadlines().length, 1);
  assert.equal(
    (await history.alerts()).filter((a) => a.kind === 'deadline').length,
    1,
    'alerts are kept in the history',
  );
  await orchestrator.stop();
  await history.close();
});

test('stop cancels running jobs through their signal and records them as cancelled', async () => {
  const g = gate();
  const { orchestrator, history } = await setUp(
    'jobs:\n  - name: long\n    command: build\n    triggers: [{webhook: true}]\n',
    { execute: g.execute },
  );
  await orchestrator.trigger('long', 'manual', 'test');
  await until('running', () => g.calls.length === 1);
  await orchestrator.stop();
  assert.equal(g.calls[0]!.hooks.signal.aborted, true);
  assert.equal((await history.runs())[0]!.status, 'cancelled');
  await history.close();
});

test('the history lives in its file across a restart', async () => {
  const dir = tempDir();
  dirs.push(dir);
  const file = join(dir, 'h.duckdb');
  const h1 = await History.open(file);
  await h1.insertRun({
    run_id: 'a',
    job: 'j',
    trigger: 'manual',
    reason: 'r',
    status: 'success',
    attempt: 1,
    queued_at: 1,
    started_at: 2,
    finished_at: 3,
    duration: 0.001,
    message: null,
    invocation_id: null,
    selection: null,
    pid: 1,
  });
  await h1.close();
  const h2 = await History.open(file);
  assert.equal((await h2.run('a'))?.status, 'success');
  await h2.close();
});

test('on_new_data with overlap skip: data that arrived while the job ran is taken by the next poll', async () => {
  const g = gate();
  let newest = Date.parse('2026-03-01T00:00:00Z');
  const dir = tinyProject(
    'jobs:\n  - name: fresh\n    command: build\n    triggers:\n      - on_new_data: {sources: [shop.orders], poll_every: 1m}\n',
  );
  dirs.push(dir);
  const clock = new ManualClock(Date.parse('2026-03-02T05:00:00Z'));
  const history = await History.open(join(dir, '.kiln', 'history.duckdb'));
  const readSources = async (sources: string[]) =>
    sources.map((s) => ({
      source_id: s,
      checked_at: clock.now(),
      max_loaded_at: newest,
      age_seconds: 0,
      status: 'pass',
    }));
  const orchestrator = new Orchestrator({ config: loadJobs(dir), history, clock, execute: g.execute, readSources });
  await orchestrator.start();
  await clock.advance(60_000); // where the data stands
  newest += 1000;
  await clock.advance(60_000);
  await until('the first data run', () => g.calls.length === 1);
  assert.deepEqual(g.calls[0]!.hooks.select, ['source:shop.orders+'], 'only what reads the source');
  newest += 1000;
  await clock.advance(60_000); // still running: skipped, the data stays new
  await until('the skipped run', async () => (await history.runs()).filter((r) => r.status === 'skipped').length === 1);
  g.calls[0]!.finish(true);
  await until('the first run to end', async () => (await history.runs()).some((r) => r.status === 'success'));
  await clock.advance(60_000);
  await until('the second data run', () => g.calls.length === 2);
  g.calls[1]!.finish(true);
  await orchestrator.idle();
  await clock.advance(60_000);
  await orchestrator.idle();
  assert.equal(g.calls.length, 2, 'no new data, no third run');
  await orchestrator.stop();
  await history.close();
});

/**
 * The orchestrator's history retention: `history: {keep: ...}` in kiln_jobs.yml forgets runs (with their nodes and
 * test problems), freshness readings and alerts that finished longer ago, at start and then every hour; a run still
 * queued or running, and the jobs' own state, stay. Without it nothing is forgotten.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, removeDir } from './helpers/cli.js';
import { jobsProject } from './helpers/jobs.js';
import type { KilnError } from '../src/errors.js';
import { ManualClock } from '../src/orchestrate/clock.js';
import { History, type RunRecord } from '../src/orchestrate/history.js';
import { loadJobs } from '../src/orchestrate/jobs.js';
import { Orchestrator } from '../src/orchestrate/orchestrator.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

const hour = 3_600_000;
const start = Date.parse('2026-03-02T05:00:00Z');

function project(jobs: string): string {
  const dir = jobsProject(jobs);
  dirs.push(dir);
  return dir;
}

const run = (id: string, finishedAt: number | null, status: RunRecord['status'] = 'success'): RunRecord => ({
  run_id: id,
  job: 'nightly',
  trigger: 'cron',
  reason: 'test',
  status,
  attempt: 1,
  queued_at: (finishedAt ?? start) - 60_000,
  started_at: (finishedAt ?? start) - 50_000,
  finished_at: finishedAt,
  duration: finishedAt === null ? null : 50,
  message: null,
  invocation_id: null,
  selection: null,
  pid: null,
});

/** Runs finished at each time, each with a node and a failed test, plus a freshness reading and an alert then. */
async function record(history: History, at: Array<[id: string, finishedAt: number]>): Promise<void> {
  for (const [id, finishedAt] of at) {
    await history.insertRun(run(id, finishedAt));
    await history.insertNode(
      {
        run_id: id,
        unique_id: 'test.tiny.not_null_n',
        resource_type: 'test',
        status: 'fail',
        started_at: finishedAt - 1000,
        duration: 1,
        rows: null,
        failures: 1,
        message: 'Got 1 result',
      },
      'nightly',
    );
    await history.insertFreshness({
      source_id: 'source.tiny.raw.orders',
      checked_at: finishedAt,
      max_loaded_at: finishedAt - 1000,
      age_seconds: 1,
      status: 'pass',
    });
    await history.insertAlert({
      at: finishedAt,
      kind: 'failed',
      job: 'nightly',
      source_id: null,
      run_id: id,
      message: id,
    });
  }
}

test('History.prune forgets what finished before the time, with its nodes, readings and alerts, and keeps the rest', async () => {
  const dir = project('jobs:\n  - name: nightly\n    command: build\n    triggers:\n      - cron: "0 2 * * *"\n');
  const history = await History.open(join(dir, '.kiln', 'history.duckdb'));
  try {
    await record(history, [
      ['old', start - 48 * hour],
      ['older', start - 72 * hour],
      ['recent', start - hour],
    ]);
    await history.insertRun({ ...run('stuck', null, 'running'), queued_at: start - 100 * hour });
    await history.saveJobState('nightly', { lastCronTick: start - 72 * hour, dataMarks: {} });
    assert.equal(await history.prune(start - 24 * hour), 2);
    assert.deepEqual((await history.runs()).map((r) => r.run_id).sort(), ['recent', 'stuck']);
    assert.deepEqual(await history.nodes('old'), []);
    assert.equal((await history.nodes('recent')).length, 1);
    assert.deepEqual(
      (await history.testFailures()).map((t) => t.run_id),
      ['recent'],
    );
    const [source] = await history.freshness(0);
    assert.deepEqual(
      source!.readings.map((r) => r.checked_at),
      [start - hour],
    );
    assert.deepEqual(
      (await history.alerts()).map((a) => a.message),
      ['recent'],
    );
    assert.equal((await history.jobState('nightly')).lastCronTick, start - 72 * hour, 'a job keeps its state');
    assert.equal(await history.prune(start - 24 * hour), 0, 'nothing more to forget');
  } finally {
    await history.close();
  }
});

test('with history: {keep: 1d}, the orchestrator prunes at start and every hour after; without it, never', async () => {
  for (const keep of ['  keep: 1d\n', undefined]) {
    const dir = project(
      (keep === undefined ? '' : `history:\n${keep}`) +
        'jobs:\n  - name: nightly\n    command: build\n    triggers:\n      - cron: "0 2 * * *"\n',
    );
    const config = loadJobs(dir);
    assert.equal(config.historyKeepSeconds, keep === undefined ? undefined : 86_400);
    const history = await History.open(join(dir, '.kiln', 'history.duckdb'));
    const clock = new ManualClock(start);
    const orchestrator = new Orchestrator({
      config,
      history,
      clock,
      execute: async () => ({ success: true, message: 'done' }),
    });
    try {
      await record(history, [
        ['two days ago', start - 48 * hour],
        ['an hour ago', start - hour],
      ]);
      await orchestrator.start();
      await orchestrator.idle();
      const ids = async () => (await history.runs()).map((r) => r.run_id).sort();
      assert.deepEqual(await ids(), keep ? ['an hour ago'] : ['an hour ago', 'two days ago']);
      // A day and a half later, the hourly prune has forgotten the run that was an hour old at start.
      await clock.advance(36 * hour);
      await orchestrator.idle();
      const left = (await history.runs()).filter((r) => r.trigger === 'cron' && r.reason === 'test');
      assert.deepEqual(left.map((r) => r.run_id).sort(), keep ? [] : ['an hour ago', 'two days ago']);
      // The job's own nightly runs since are kept: none is older than a day.
      assert.ok((await history.runs()).some((r) => r.reason !== 'test'));
    } finally {
      await orchestrator.stop();
      await history.close();
    }
  }
});

test('a history.keep that is not a duration is refused at its line', () => {
  const dir = project(
    'history:\n  keep: 30 days\njobs:\n  - name: nightly\n    command: build\n    triggers:\n      - cron: "0 2 * * *"\n',
  );
  assert.throws(
    () => loadJobs(dir),
    (e: KilnError) => {
      assert.equal(e.file, 'kiln_jobs.yml');
      assert.equal(e.line, 2);
      assert.match(e.message, /keep/);
      return true;
    },
  );
});

test("docs/orchestrate.md's history example is a kiln_jobs.yml setting that keeps 90 days", () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'orchestrate.md'), 'utf8');
  const block = /<!-- check: history -->\n```yaml\n([\s\S]*?)\n```\n/.exec(doc)?.[1];
  assert.ok(block, 'the example is there');
  const dir = project(
    `${block}\njobs:\n  - name: nightly\n    command: build\n    triggers:\n      - cron: "0 2 * * *"\n`,
  );
  assert.equal(loadJobs(dir).historyKeepSeconds, 90 * 86_400);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSchedule, type SchedulerOptions } from '../src/run/scheduler.js';
import type { NodeResult } from '../src/run/results.js';

const result = (uniqueId: string, threadId: string, status: NodeResult['status'] = 'success'): NodeResult => ({
  uniqueId,
  status,
  message: status,
  executionTime: 0,
  timing: [],
  failures: null,
  threadId,
  adapterResponse: {},
});

const options = (execute: SchedulerOptions['execute'], extra: Partial<SchedulerOptions> = {}): SchedulerOptions => ({
  threads: 2,
  execute,
  skipped: (id) => result(id, 'main', 'skipped'),
  stopped: () => false,
  describe: (id) => id,
  ...extra,
});

test('a schedule runs each task after its dependencies and resolves with every result', async () => {
  const started: string[] = [];
  const results = await runSchedule(
    [
      { id: 'a', deps: [] },
      { id: 'b', deps: ['a'] },
    ],
    options(async (id, thread) => (started.push(id), result(id, thread))),
  );
  assert.deepEqual(started, ['a', 'b']);
  assert.deepEqual([...results.keys()], ['a', 'b']);
});

test('a task that throws instead of returning an error result rejects the schedule rather than leaving it pending', async () => {
  const schedule = runSchedule(
    [
      { id: 'a', deps: [] },
      { id: 'b', deps: ['a'] },
    ],
    options(async (id) => {
      throw new Error(`bug while running ${id}`);
    }),
  );
  await assert.rejects(schedule, /bug while running a/);
});

test('an onFinish listener that throws rejects the schedule rather than leaving it pending', async () => {
  const schedule = runSchedule(
    [{ id: 'a', deps: [] }],
    options(async (id, thread) => result(id, thread), {
      onFinish: () => {
        throw new Error('listener failed');
      },
    }),
  );
  await assert.rejects(schedule, /listener failed/);
});

/** mulberry32: the same pseudo-random DAG on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('one thread starts, among the ready tasks, the highest priority, then the first in order; failures skip their descendants', async () => {
  const next = random(7);
  const tasks = Array.from({ length: 400 }, (_, i) => ({
    id: `t${i}`,
    // Few parents among the tasks before, so hundreds are ready at once.
    deps: i < 50 ? [] : Array.from({ length: 1 + Math.floor(next() * 3) }, () => `t${Math.floor(next() * i)}`),
  }));
  // Ties on purpose (ten values), so the topological order decides between equals.
  const priority = new Map(tasks.map((t) => [t.id, Math.floor(next() * 10)]));
  const failing = new Set(['t3', 't77', 't160']);

  // What the schedule must do, worked out the slow, obvious way.
  const expected: string[] = [];
  const status = new Map<string, 'done' | 'failed' | 'skipped'>();
  while (status.size < tasks.length) {
    const ready = tasks.filter((t) => !status.has(t.id) && t.deps.every((d) => status.has(d)));
    const skip = ready.find((t) => t.deps.some((d) => status.get(d) !== 'done'));
    if (skip) {
      status.set(skip.id, 'skipped');
      continue;
    }
    const best = ready.reduce((a, b) => (priority.get(b.id)! > priority.get(a.id)! ? b : a));
    expected.push(best.id);
    status.set(best.id, failing.has(best.id) ? 'failed' : 'done');
  }

  const started: string[] = [];
  const results = await runSchedule(
    tasks,
    options(async (id, thread) => (started.push(id), result(id, thread, failing.has(id) ? 'error' : 'success')), {
      threads: 1,
      priority,
    }),
  );
  assert.deepEqual(started, expected);
  const skipped = [...status].filter(([, s]) => s === 'skipped').map(([id]) => id);
  assert.ok(skipped.length > 10, 'the failures have descendants to skip');
  assert.deepEqual(
    skipped.filter((id) => results.get(id)?.status !== 'skipped'),
    [],
  );
  assert.equal(results.size, tasks.length);
});

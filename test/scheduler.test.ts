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

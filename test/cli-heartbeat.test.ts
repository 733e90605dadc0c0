/**
 * The "still running" lines of a log (no terminal), on a mocked clock: each running node says
 * so every --heartbeat seconds from its own start, a finished node no more; and short nodes
 * cost no timer each (one timer serves every running node).
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import {
  finishedEvent as finished,
  memoryOutput as logOutput,
  startedEvent as started,
} from './helpers/node-events.js';

const beats = (lines: string[]) => lines.filter((l) => l.includes('RUNNING'));

test('each running node says it is still running every heartbeat from its own start, until it finishes', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 0 });
  const { out, lines } = logOutput();
  out.heartbeatSeconds = 30;
  out.nodeEvent(started('a', 1, 3), 'inv');
  t.mock.timers.tick(100);
  out.nodeEvent(finished('a', 1, 3), 'inv');
  t.mock.timers.tick(400);
  out.nodeEvent(started('b', 2, 3), 'inv');
  t.mock.timers.tick(10_000);
  out.nodeEvent(started('c', 3, 3), 'inv');
  t.mock.timers.tick(19_999); // 30.499 s: b is due at 30.5 s, a finished long ago
  assert.deepEqual(beats(lines), []);
  t.mock.timers.tick(1);
  assert.deepEqual(beats(lines), ['2 of 3 RUNNING view model main.b ..................... [still running after 30s]']);
  t.mock.timers.tick(10_000); // c, started at 10.5 s
  assert.equal(beats(lines).length, 2);
  assert.match(beats(lines)[1]!, /^3 of 3 RUNNING view model main\.c \.{3,} \[still running after 30s\]$/);
  out.nodeEvent(finished('c', 3, 3), 'inv');
  t.mock.timers.tick(20_000); // 60.5 s
  assert.match(beats(lines)[2]!, /^2 of 3 RUNNING view model main\.b \.{3,} \[still running after 60s\]$/);
  out.nodeEvent(finished('b', 2, 3), 'inv');
  t.mock.timers.tick(120_000);
  assert.equal(beats(lines).length, 3, 'finished nodes say nothing more');
  out.endProgress();
});

test('a thousand short nodes make one heartbeat timer, not one each; --heartbeat 0 makes none', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 0 });
  for (const [seconds, most] of [
    [30, 1],
    [0, 0],
  ] as const) {
    const made = { count: 0 };
    const count =
      <F extends (...args: never[]) => unknown>(f: F) =>
      (...args: Parameters<F>) => (made.count++, f(...args));
    const timers = mock.method(globalThis, 'setTimeout', count(globalThis.setTimeout));
    const intervals = mock.method(globalThis, 'setInterval', count(globalThis.setInterval));
    try {
      const { out, lines } = logOutput();
      out.heartbeatSeconds = seconds;
      for (let i = 1; i <= 1000; i++) {
        out.nodeEvent(started(`m_${i}`, i, 1000), 'inv');
        t.mock.timers.tick(1);
        out.nodeEvent(finished(`m_${i}`, i, 1000), 'inv');
      }
      t.mock.timers.tick(60_000);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(made.count <= most, `--heartbeat ${seconds}: ${made.count} timers`);
      assert.equal(lines.length, 2000, 'a START and a result line per node, no heartbeat');
      out.endProgress();
    } finally {
      timers.mock.restore();
      intervals.mock.restore();
    }
  }
});

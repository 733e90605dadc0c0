/**
 * A node's lines are made and written once the turn of the event loop that reported it is
 * over (the run sends the next node's statement in that turn first), in the order the events
 * came; anything else printed meanwhile writes them first, so the order on the screen is the
 * order of the events; a process that exits before the next turn still prints them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { finishedEvent, memoryOutput, startedEvent } from './helpers/node-events.js';
import { Output, type LogFormat } from '../src/cli/output.js';

const started = (name: string, index: number) => startedEvent(name, index, 2);
const finished = (name: string, index: number) => finishedEvent(name, index, 2, 'CREATE VIEW');

function output(format: LogFormat): { out: ReturnType<typeof memoryOutput>['out']; written: string[] } {
  const { out, lines } = memoryOutput(format);
  out.heartbeatSeconds = 0;
  return { out, written: lines };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('node lines wait for the end of the turn, then come in the order of the events', async () => {
  const { out, written } = output('text');
  out.nodeEvent(started('a', 1), 'inv');
  out.nodeEvent(finished('a', 1), 'inv');
  out.nodeEvent(started('b', 2), 'inv');
  assert.equal(written.length, 0, 'nothing written in the turn of the events');
  await nextTurn();
  assert.deepEqual(
    written.map((l) => l.replace(/ \.+ /, ' ... ')),
    [
      '1 of 2 START view model main.a ... [RUN]',
      '1 of 2 OK    view model main.a ... [CREATE VIEW in 0.01s]',
      '2 of 2 START view model main.b ... [RUN]',
    ],
  );
});

test('a line printed in the same turn comes after the node lines before it', () => {
  for (const format of ['text', 'json'] as const) {
    const { out, written } = output(format);
    out.nodeEvent(started('a', 1), 'inv');
    out.warn('a notice');
    out.nodeEvent(finished('a', 1), 'inv');
    out.endProgress();
    const what = written.map((l) =>
      format === 'json' ? String((JSON.parse(l) as { event?: string; msg?: string }).event ?? 'notice') : l,
    );
    assert.equal(what.length, 3, format);
    assert.match(what[0]!, /START|node_started/, format);
    assert.match(what[1]!, /a notice|notice/, format);
    assert.match(what[2]!, /OK|node_finished/, format);
  }
});

test('a JSON line carries the time of its event, not of its writing', async () => {
  const { out, written } = output('json');
  const before = Date.now();
  out.nodeEvent(started('a', 1), 'inv');
  const after = Date.now();
  // Busy past the event's millisecond before the turn ends.
  while (Date.now() < after + 20);
  await nextTurn();
  const ts = Date.parse((JSON.parse(written[0]!) as { ts: string }).ts);
  assert.ok(ts >= before && ts <= after, `${ts} within [${before}, ${after}]`);
});

test('a process that exits before the next turn still prints its node lines', () => {
  const module = pathToFileURL(join(import.meta.dirname, '..', 'src', 'cli', 'output.js')).href;
  const script =
    `import { Output } from ${JSON.stringify(module)};` +
    `const out = new Output('text');` +
    `out.nodeEvent({ type: 'started', uniqueId: 'model.p.a', node: { name: 'a', resourceType: 'model', ` +
    `schema: 'main', alias: 'a', config: { materialized: 'view' } }, index: 1, total: 1, threadId: 'Thread-1' }, 'inv');` +
    `process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^1 of 1 START view model main\.a \.+ \[RUN\]\n$/);
});

test("a turn's node lines leave in one write, as they did a line at a time", async () => {
  for (const format of ['text', 'json'] as const) {
    const writes: string[] = [];
    const stream = { write: (text: string) => (writes.push(text), true) } as unknown as NodeJS.WritableStream;
    const out = new Output(format, stream, stream);
    out.heartbeatSeconds = 0;
    out.nodeEvent(started('a', 1), 'inv');
    out.nodeEvent(finished('a', 1), 'inv');
    out.nodeEvent(started('b', 2), 'inv');
    await nextTurn();
    assert.equal(writes.length, 1, format);
    const { out: each, written } = output(format);
    for (const event of [started('a', 1), finished('a', 1), started('b', 2)]) {
      each.nodeEvent(event, 'inv');
      each.endProgress();
    }
    const lines = writes[0]!.split('\n').filter(Boolean);
    const timeless = (l: string) => l.replace(/"ts":"[^"]*"/, '');
    assert.deepEqual(lines.map(timeless), written.map(timeless), format);
  }
});

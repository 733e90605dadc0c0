/**
 * The per-invocation log (logs/kiln-*.log): records are written once the current turn of the
 * event loop is over, in order, so that a node's events cost its critical path no JSON and no
 * write; close() and the process's exit write whatever is still pending.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { InvocationLog } from '../src/run/invocation-log.js';
import type { NodeEvent } from '../src/run/results.js';
import type { GraphNode } from '../src/parse/nodes.js';
import { removeDir, tempDir } from './helpers/cli.js';

const dir = tempDir();
after(() => removeDir(dir));

const started = (id: string, index: number): NodeEvent => ({
  type: 'started',
  uniqueId: id,
  node: { uniqueId: id } as GraphNode,
  index,
  total: 2,
  threadId: 'Thread-1',
});

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('records are written after the turn that made them, in order, and close() writes the rest', async () => {
  const log = new InvocationLog(join(dir, 'turns'), '0123456789abcdef', 'run');
  log.event(started('model.p.a', 1));
  log.message('warn', 'a notice');
  assert.equal(readFileSync(log.file, 'utf8'), '', 'nothing written during the turn');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    lines(log.file).map((r) => [r.event ?? r.msg, r.invocation_id]),
    [
      ['node_started', '0123456789abcdef'],
      ['a notice', '0123456789abcdef'],
    ],
  );
  log.event(started('model.p.b', 2));
  log.close({ success: true });
  const all = lines(log.file);
  assert.deepEqual(
    all.map((r) => r.event ?? r.msg),
    ['node_started', 'a notice', 'node_started', 'invocation_finished'],
  );
  assert.equal(all[2]!.node_id, 'model.p.b');
  assert.ok(all.every((r) => typeof r.ts === 'string' && !Number.isNaN(Date.parse(r.ts))));
});

test("a node's finished event is written as its record: status, level, timing, attempts, message", async () => {
  const log = new InvocationLog(join(dir, 'finished'), '0123456789abcdef', 'run');
  const timing = [
    { name: 'execute' as const, started_at: '2026-01-01T00:00:00.000Z', completed_at: '2026-01-01T00:00:01.000Z' },
  ];
  log.event({
    type: 'finished',
    uniqueId: 'model.p.a',
    node: { uniqueId: 'model.p.a' } as GraphNode,
    index: 1,
    total: 1,
    result: {
      uniqueId: 'model.p.a',
      status: 'error',
      message: 'Binder Error: no such column',
      executionTime: 1.5,
      timing,
      failures: null,
      threadId: 'Thread-1',
      adapterResponse: {},
    },
  });
  await new Promise((resolve) => setImmediate(resolve));
  const [record] = lines(log.file);
  assert.deepEqual(
    { ...record, ts: undefined },
    {
      ts: undefined,
      invocation_id: '0123456789abcdef',
      level: 'error',
      event: 'node_finished',
      node_id: 'model.p.a',
      thread: 'Thread-1',
      status: 'error',
      execution_time: 1.5,
      timing,
      failures: null,
      attempts: 1,
      message: 'Binder Error: no such column',
    },
  );
  log.close({ success: false });
});

test('a process that exits before the next turn still writes its pending records', () => {
  const module = pathToFileURL(join(import.meta.dirname, '..', 'src', 'run', 'invocation-log.js')).href;
  const script =
    `import(${JSON.stringify(module)}).then(({ InvocationLog }) => {` +
    `const log = new InvocationLog(process.argv[1], 'fedcba9876543210', 'run');` +
    `log.message('info', 'last words'); console.log(log.file); process.exit(3); })`;
  const r = spawnSync(process.execPath, ['-e', script, join(dir, 'exit')], { encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
  assert.deepEqual(
    lines(r.stdout.trim()).map((x) => x.msg),
    ['last words'],
  );
});

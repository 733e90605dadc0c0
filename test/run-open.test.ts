/**
 * When a run opens the warehouse: an embedded DuckDB (Adapter.prepareOpen) opens while the
 * project is parsed, and is closed again when the run ends before it needs it (a parse error,
 * an empty selection); other warehouses are opened only once the run has nodes to execute.
 * After its nodes, a run closes the warehouse while manifest.json is written, and returns
 * only once it is closed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerAdapter, run } from '../src/index.js';
import { DuckDBAdapter, type DuckDBProfile } from '../src/adapters/duckdb/index.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';

/** open and close calls, in order, and whether the adapter says it opens locally. */
const calls: string[] = [];
let local = true;
/** When set, close() waits (a bounded number of turns of the event loop) for this file before closing. */
let closeAwaits: string | undefined;
/** Whether that file appeared while close() waited. */
let appearedWhileClosing: boolean | undefined;
/** When set, close() fails with this error after closing. */
let closeFails: Error | undefined;

async function appears(file: string): Promise<boolean> {
  for (let turn = 0; turn < 500; turn++) {
    if (existsSync(file)) return true;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return existsSync(file);
}

registerAdapter('duckdb', async (target, projectDir) => {
  const adapter = new DuckDBAdapter(
    { ...(target.settings as unknown as DuckDBProfile), threads: target.threads },
    projectDir,
  );
  const prepare = adapter.prepareOpen.bind(adapter);
  const open = adapter.open.bind(adapter);
  const close = adapter.close.bind(adapter);
  // Without prepareOpen, the adapter is one that opens only when a run has nodes.
  Object.defineProperty(adapter, 'prepareOpen', {
    get: () => (local ? () => (calls.push('prepare'), prepare()) : undefined),
  });
  adapter.open = () => (calls.push('open'), open());
  adapter.close = async () => {
    calls.push('close');
    if (closeAwaits) appearedWhileClosing = await appears(closeAwaits);
    await close();
    calls.push('closed');
    if (closeFails) throw closeFails;
  };
  return adapter;
});

const dir = writeProject(minimalProject({ 'models/a.sql': 'select 1 as id', 'models/b.sql': '{{ oops' }));
after(() => removeDir(dir));

test('an embedded warehouse is opened while parsing, and closed when parsing fails', async () => {
  calls.length = 0;
  await assert.rejects(run({ projectDir: dir, threads: 1 }), /unexpected end of template/);
  assert.deepEqual(calls, ['prepare', 'close', 'closed']);
  // The database file was let go: the next run opens it.
  writeFileSync(join(dir, 'models', 'b.sql'), "select id from {{ ref('a') }}");
  calls.length = 0;
  const ok = await run({ projectDir: dir, threads: 1 });
  assert.ok(ok.success);
  assert.deepEqual(calls, ['prepare', 'open', 'close', 'closed']);
});

test('a run with nothing to do closes the warehouse it opened; one that does not open locally is never opened', async () => {
  calls.length = 0;
  const nothing = await run({ projectDir: dir, threads: 1, select: ['no_such_model'] });
  assert.deepEqual(nothing.results, []);
  assert.deepEqual(calls, ['prepare', 'close', 'closed']);
  local = false;
  try {
    calls.length = 0;
    await run({ projectDir: dir, threads: 1, select: ['no_such_model'] });
    writeFileSync(join(dir, 'models', 'b.sql'), '{{ oops');
    await assert.rejects(run({ projectDir: dir, threads: 1 }), /unexpected end of template/);
    assert.deepEqual(calls, [], 'nothing to do, or a parse error: no connection');
    writeFileSync(join(dir, 'models', 'b.sql'), "select id from {{ ref('a') }}");
    assert.ok((await run({ projectDir: dir, threads: 1 })).success);
    assert.deepEqual(calls, ['open', 'close', 'closed'], 'opened once there were nodes to run');
  } finally {
    local = true;
  }
});

test('after its nodes, a run closes the warehouse while manifest.json is written, and returns once it is closed', async () => {
  const target = join(dir, 'target');
  closeAwaits = join(target, 'manifest.json');
  try {
    rmSync(closeAwaits, { force: true });
    calls.length = 0;
    appearedWhileClosing = undefined;
    const ok = await run({ projectDir: dir, threads: 1 });
    assert.ok(ok.success);
    assert.equal(appearedWhileClosing, true, 'manifest.json was written while the warehouse closed');
    assert.deepEqual(calls, ['prepare', 'open', 'close', 'closed'], 'closed before the run returned');
  } finally {
    closeAwaits = undefined;
  }
});

test('a close that fails fails the run, before run_results.json is written', async () => {
  const results = join(dir, 'target', 'run_results.json');
  closeFails = new Error('the warehouse could not close');
  try {
    rmSync(results, { force: true });
    calls.length = 0;
    await assert.rejects(run({ projectDir: dir, threads: 1 }), /the warehouse could not close/);
    assert.deepEqual(calls, ['prepare', 'open', 'close', 'closed']);
    assert.equal(existsSync(results), false);
  } finally {
    closeFails = undefined;
  }
});

/**
 * A run writes each node's compiled file on its own thread once the turn that compiled the node
 * is over: after the node's statement was sent, and before the next node's is. No worker
 * thread starts, however many nodes run (a compile of as many hands them to one).
 */
import { test, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import workerThreads from 'node:worker_threads';
import { registerAdapter, run } from '../src/index.js';
import { DuckDBAdapter, type DuckDBProfile } from '../src/adapters/duckdb/index.js';
import type { Adapter } from '../src/adapters/types.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';

/** Past CompiledFiles' batch of 256, where a compile starts a worker. */
const count = 300;

/** For each view's statement, in order: its model and whether the model before it had its compiled file then. */
const seen: Array<[model: string, previousWritten: boolean]> = [];
let dir = '';
const compiledFile = (model: string) => join(dir, 'target', 'compiled', 'tiny', 'models', `${model}.sql`);

const watching = (adapter: Adapter): Adapter =>
  new Proxy(adapter, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'execute')
        return (sql: string) => {
          const model = /create or replace view "[^"]+"\."main"\."(m_\d+)"/.exec(sql)?.[1];
          if (model) {
            const previous = seen.at(-1)?.[0];
            seen.push([model, previous === undefined || existsSync(compiledFile(previous))]);
          }
          return target.execute(sql);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
registerAdapter('duckdb', async (target, projectDir) =>
  watching(
    new DuckDBAdapter({ ...(target.settings as unknown as DuckDBProfile), threads: target.threads }, projectDir),
  ),
);

const models: Record<string, string> = {};
for (let i = 0; i < count; i++) models[`models/m_${i}.sql`] = `select ${i} as id`;
dir = writeProject(minimalProject(models));
after(() => removeDir(dir));

test(`a run of ${count} views writes each compiled file after its statement, with no worker thread`, async () => {
  const workers = mock.method(workerThreads, 'Worker');
  try {
    const result = await run({ projectDir: dir, threads: 1 });
    assert.ok(result.success);
    assert.equal(workers.mock.callCount(), 0, 'no worker thread started');
  } finally {
    workers.mock.restore();
  }
  assert.equal(seen.length, count);
  assert.deepEqual(
    seen.filter(([, written]) => !written),
    [],
    "each view's statement was sent once the one before had its compiled file",
  );
  for (const i of [0, count - 1])
    assert.equal(readFileSync(compiledFile(`m_${i}`), 'utf8').trim(), `select ${i} as id`);
});

/**
 * The node being built: kept in a slot of the adapter while a run builds one node at a time
 * (so no AsyncLocalStorage turns on the process's promise hooks), in the async context while
 * builds interleave. Either way code below the build (a proxy of the adapter included) is told
 * the node it works for, and nothing else is.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { buildsOneAtATime, currentNode, withNode, type NodeContext } from '../src/adapters/node-context.js';
import { run } from '../src/index.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';

const node = (name: string): NodeContext => ({ uniqueId: `model.p.${name}`, name, config: {} });

/** Counts AsyncLocalStorage.run calls while `fn` runs. */
async function countingContextRuns<T>(fn: () => Promise<T>): Promise<{ result: T; runs: number }> {
  const proto = AsyncLocalStorage.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, 'run')!;
  let runs = 0;
  Object.defineProperty(proto, 'run', {
    ...original,
    value(this: AsyncLocalStorage<unknown>, ...args: unknown[]): unknown {
      runs++;
      return (original.value as (...a: unknown[]) => unknown).apply(this, args);
    },
  });
  try {
    return { result: await fn(), runs };
  } finally {
    Object.defineProperty(proto, 'run', original);
  }
}

test('one at a time: the node is in the adapter slot across awaits, seen through a proxy, gone once settled', async () => {
  const adapter = {};
  const proxy = new Proxy(adapter, {});
  const claim = buildsOneAtATime(adapter);
  try {
    const seen: Array<string | undefined> = [];
    const { runs } = await countingContextRuns(async () => {
      await withNode(adapter, node('a'), async () => {
        seen.push(currentNode(adapter)?.name);
        await turn();
        seen.push(currentNode(proxy)?.name);
      });
      seen.push(currentNode(adapter)?.name);
      // A build that fails clears the slot too.
      await assert.rejects(
        withNode(proxy, node('b'), async () => {
          await turn();
          throw new Error('boom');
        }),
        /boom/,
      );
      seen.push(currentNode(adapter)?.name);
    });
    assert.deepEqual(seen, ['a', 'a', undefined, undefined]);
    assert.equal(runs, 0, 'no async context was used');
    // Another adapter (another run's) is not building anything.
    assert.equal(currentNode({}), undefined);
  } finally {
    claim.release();
  }
  assert.equal(currentNode(adapter), undefined);
});

test('one at a time: a second build while one is under way is refused, not told the wrong node', async () => {
  const adapter = {};
  const claim = buildsOneAtATime(adapter);
  try {
    let release!: () => void;
    const first = withNode(adapter, node('a'), () => new Promise<void>((r) => (release = r)));
    assert.throws(() => withNode(adapter, node('b'), async () => undefined), /started building while model\.p\.a/);
    release();
    await first;
    assert.throws(() => buildsOneAtATime(adapter), /two runs claimed one adapter/);
  } finally {
    claim.release();
  }
});

test('interleaved builds each see their own node through the async context', async () => {
  const adapter = {};
  const seen: string[] = [];
  const build = (name: string) =>
    withNode(adapter, node(name), async () => {
      for (let i = 0; i < 3; i++) {
        await turn();
        seen.push(`${name}:${currentNode(adapter)?.name}`);
      }
    });
  const { runs } = await countingContextRuns(() => Promise.all([build('a'), build('b')]));
  assert.equal(runs, 2);
  assert.deepEqual(seen.sort(), ['a:a', 'a:a', 'a:a', 'b:b', 'b:b', 'b:b']);
  assert.equal(currentNode(adapter), undefined);
});

const dir = writeProject(
  minimalProject({
    'models/a.sql': 'select 1 as id',
    'models/b.sql': "select id from {{ ref('a') }}",
    'models/c.sql': "select id from {{ ref('a') }}",
  }),
);
after(() => removeDir(dir));

test('a run with one thread uses no async context; with two it does', async () => {
  const one = await countingContextRuns(() => run({ projectDir: dir, threads: 1 }));
  assert.ok(one.result.success, JSON.stringify(one.result.results.map((r) => r.message)));
  assert.equal(one.runs, 0);
  const two = await countingContextRuns(() => run({ projectDir: dir, threads: 2 }));
  assert.ok(two.result.success, JSON.stringify(two.result.results.map((r) => r.message)));
  assert.ok(two.runs >= 3, `one context per node built: ${two.runs}`);
});

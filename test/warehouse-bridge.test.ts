/**
 * The bridge between synchronous renders and the asynchronous warehouse: a render that asks nothing completes in the
 * call (no promise: a compile renders thousands of nodes), one that asks is replayed with the answers, and the
 * effects of either happen once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Adapter } from '../src/adapters/types.js';
import { WarehouseBridge, renderWithWarehouse } from '../src/template/warehouse.js';

function fakeAdapter(): Adapter & { opened: number } {
  const adapter = {
    opened: 0,
    open: () => {
      adapter.opened++;
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return adapter as unknown as Adapter & { opened: number };
}

test('a render that asks the warehouse nothing completes in the call, its effects run once', () => {
  const adapter = fakeAdapter();
  const bridge = new WarehouseBridge(adapter);
  const effects: string[] = [];
  const result = renderWithWarehouse(adapter, () => {
    bridge.effect(() => effects.push('logged'));
    return 'select 1';
  });
  assert.equal(result, 'select 1', 'a value, not a promise');
  assert.deepEqual(effects, ['logged']);
  assert.equal(adapter.opened, 0);
  assert.throws(
    () =>
      renderWithWarehouse(adapter, () => {
        throw new Error('bad template');
      }),
    /bad template/,
  );
});

test('a render that asks the warehouse is replayed with the answers, and its effects happen once', async () => {
  const adapter = fakeAdapter();
  const bridge = new WarehouseBridge(adapter);
  const effects: string[] = [];
  let renders = 0;
  const result = renderWithWarehouse(adapter, () => {
    renders++;
    bridge.effect(() => effects.push('logged'));
    const a = bridge.call('q1', () => Promise.resolve(40));
    const b = bridge.call('q2', () => Promise.resolve(2));
    return a + b;
  });
  assert.ok(result instanceof Promise);
  assert.equal(await result, 42);
  assert.equal(renders, 3);
  assert.deepEqual(effects, ['logged']);
  assert.equal(adapter.opened, 2);
  assert.equal(bridge.available, false);
});

/**
 * The config keys a render set (a generic test's `config(fail_calc=...)`), found from the keys and values the config
 * had before it: what the compiled SQL cache stores to replay on the node when it reuses the render.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setByRender } from '../src/compile/compile-cache.js';

function changes(before: Record<string, unknown>, render: (config: Record<string, unknown>) => void) {
  const config = { ...before };
  const keys = Object.keys(config);
  const values = keys.map((k) => config[k]);
  render(config);
  return setByRender(config, keys, values);
}

test('a render that sets nothing, or sets a key to the value it had, sets no config', () => {
  const shared = ['a'];
  assert.equal(
    changes({ severity: 'ERROR', tags: shared }, () => {}),
    undefined,
  );
  assert.equal(
    changes({ severity: 'ERROR', tags: shared }, (c) => {
      c.severity = 'ERROR';
      c.tags = shared;
    }),
    undefined,
  );
});

test('a changed value and an added key are set, in the config order; a removed key or an added undefined is not', () => {
  const set = changes({ severity: 'ERROR', enabled: true, where: null }, (c) => {
    c.fail_calc = 'count(*)';
    c.severity = 'WARN';
    c.tags = ['x'];
    delete c.enabled;
    c.store_failures = undefined;
  });
  assert.deepEqual(set, { severity: 'WARN', fail_calc: 'count(*)', tags: ['x'] });
  assert.deepEqual(Object.keys(set), ['severity', 'fail_calc', 'tags']);
});

test('a key the render adds ahead of the others (an integer-like one) moves none of them into the set', () => {
  const set = changes({ severity: 'ERROR', limit: 5 }, (c) => {
    c['1'] = 'one';
    c.limit = 6;
  });
  assert.deepEqual(set, { 1: 'one', limit: 6 });
});

test('a value replaced by an equal but different object is set (values are compared as the render left them)', () => {
  const set = changes({ meta: { owner: 'a' } }, (c) => {
    c.meta = { owner: 'a' };
  });
  assert.deepEqual(set, { meta: { owner: 'a' } });
});

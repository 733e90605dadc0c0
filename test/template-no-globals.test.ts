import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Importing kiln and rendering with it changes nothing global: no built-in prototype gains or
 * loses a property, no global appears. Run in a fresh process so nothing else has loaded first.
 */
test('importing kiln and rendering templates leaves JavaScript built-ins and globals untouched', () => {
  const engine = pathToFileURL(join(here, '..', 'src', 'template', 'engine.js')).href;
  const script = `
    const targets = { Object: Object.prototype, Array: Array.prototype, String: String.prototype, Number: Number.prototype,
      Function: Function.prototype, Boolean: Boolean.prototype, Map: Map.prototype, Set: Set.prototype, Promise: Promise.prototype,
      RegExp: RegExp.prototype, Date: Date.prototype, Error: Error.prototype, JSON, Math, Reflect, globalThis };
    const snapshot = () => Object.fromEntries(Object.entries(targets).map(([k, v]) => [k, Reflect.ownKeys(v).map(String).sort().join(',')]));
    const before = snapshot();
    const { TemplateEngine } = await import(${JSON.stringify(engine)});
    const e = new TemplateEngine();
    e.registerMacroFile("{% macro m(x) %}{{ return(x ~ '!') }}{% endmacro %}", 'macros/m.sql', 'p', { global: true });
    const out = e.render(e.compile("{% for i in range(3) %}{{ m(i) }}{{ [i, 1.0]|tojson }}{% endfor %}{{ {'a': 1}.items()|list }}{{ '%05.1f' % 3.14159 }}", 'x.sql'), {}, 'x.sql');
    const after = snapshot();
    const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
    console.log(JSON.stringify({ out, changed }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { out, changed } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { out: string; changed: string[] };
  assert.equal(out, "0![0, 1.0]1![1, 1.0]2![2, 1.0][('a', 1)]003.1");
  assert.deepEqual(changed, []);
});

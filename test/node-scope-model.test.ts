/**
 * The `model` dictionary a node's templates and adapter macros see is made only when one of
 * them reads it (it is the node's whole dictionary, and most adapter macros never read it),
 * and reads as before when they do; a run dispatches the adapter macro (here the project's
 * override) once, not once a node.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { LazyValue, TemplateEngine, scopeValue, type Scope } from '../src/template/engine.js';
import { registerAdapter, run } from '../src/index.js';
import { DuckDBAdapter, type DuckDBProfile } from '../src/adapters/duckdb/index.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { recordingStatements } from './helpers/statement-log.js';

test('a lazy scope value is made on its first read as a global, once, and not at all when unread', () => {
  const engine = new TemplateEngine();
  let made = 0;
  const scopeFor = (name: string): Scope => ({ execute: true, model: new LazyValue(() => (made++, { name })) });
  const unread = engine.compile('select 1', 'a.sql');
  const read = engine.compile("{{ model.name }} {{ model['name'] }}", 'b.sql');
  assert.equal(engine.render(unread, scopeFor('a'), 'a.sql'), 'select 1');
  assert.equal(made, 0, 'a render that does not read model does not make it');
  assert.equal(engine.render(read, scopeFor('b'), 'b.sql'), 'b b');
  assert.equal(made, 1, 'made once however often it is read');
  // The next node's value replaces the last one's, read or not.
  engine.render(unread, scopeFor('c'), 'c.sql');
  assert.equal(engine.render(read, scopeFor('d'), 'd.sql'), 'd d');
  assert.equal(made, 2);
  // A plain value installed or set afterwards replaces a lazy one, and a lazy one a plain one.
  assert.equal(engine.render(read, { model: { name: 'plain' } }, 'e.sql'), 'plain plain');
  engine.setGlobal('model', { name: 'set' });
  assert.equal(engine.render(read, {}, 'f.sql'), 'set set');
  assert.equal(engine.render(read, scopeFor('g'), 'g.sql'), 'g g');
  assert.equal(made, 3);
  // Code that reads a scope itself gets the value.
  assert.deepEqual(scopeValue(scopeFor('h'), 'model'), { name: 'h' });
  assert.equal(scopeValue({ model: 1 }, 'model'), 1);
});

const sent: string[] = [];
registerAdapter('duckdb', async (target, projectDir) =>
  recordingStatements(
    new DuckDBAdapter({ ...(target.settings as unknown as DuckDBProfile), threads: target.threads }, projectDir),
    sent,
  ),
);
const dir = writeProject(
  minimalProject({
    'models/a.sql':
      "select 1 as id -- {{ model.unique_id }} {{ model.config.materialized }} {{ this }} {{ config.get('materialized') }} {{ var('v', 'x') }}",
    'models/b.sql': "select id from {{ ref('a') }}",
    // An adapter macro that reads the node's dictionary, as a project may override one.
    'macros/view.sql':
      '{% macro duckdb__create_view_as(relation, sql) -%}\n' +
      "create or replace view {{ relation }} as (\n{{ sql }}\n) -- {{ model.name }} {{ model.schema }} {{ this.identifier }} {{ config.get('materialized') }} {{ var('v', 'y') }}\n" +
      '{%- endmacro %}',
  }),
);
after(() => removeDir(dir));

// One thread keeps the node being built in the adapter, two in the async context (node-context.ts).
for (const threads of [1, 2])
  test(`the node's model dictionary reads as before in its SQL and in an adapter macro (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
    sent.length = 0;
    const { result, lookups } = await countingMacroLookups(() => run({ projectDir: dir, threads }));
    assert.ok(result.success, JSON.stringify(result.results.map((r) => r.message)));
    const views = sent.filter((s) => s.startsWith('create or replace view'));
    assert.deepEqual(views, [
      'create or replace view "kiln"."main"."a" as (\nselect 1 as id -- model.tiny.a view "kiln"."main"."a" view x\n) -- a main a view y',
      'create or replace view "kiln"."main"."b" as (\nselect id from "kiln"."main"."a"\n) -- b main b view y',
    ]);
    // The project's override, looked up once for the run's two views (Materializer.sql keeps what it dispatched).
    assert.equal(lookups.filter((name) => name === 'duckdb__create_view_as').length, 1);
  });

/** The names TemplateEngine.lookupMacro is asked for while `fn` runs. */
async function countingMacroLookups<T>(fn: () => Promise<T>): Promise<{ result: T; lookups: string[] }> {
  const lookups: string[] = [];
  const original = Object.getOwnPropertyDescriptor(TemplateEngine.prototype, 'lookupMacro')!;
  Object.defineProperty(TemplateEngine.prototype, 'lookupMacro', {
    ...original,
    value(this: TemplateEngine, name: string): unknown {
      lookups.push(name);
      return (original.value as (n: string) => unknown).call(this, name);
    },
  });
  try {
    return { result: await fn(), lookups };
  } finally {
    Object.defineProperty(TemplateEngine.prototype, 'lookupMacro', original);
  }
}

test("a view's run leaves the model dictionary, config, var and this unmade when no macro read them", async () => {
  const plain = writeProject(minimalProject({ 'models/a.sql': 'select 1 as id' }));
  try {
    const result = await run({ projectDir: plain, threads: 1 });
    assert.ok(result.success);
    // create_view_as was the last render with the view's scope installed, and it does not read `model`.
    const made = (lazy: unknown) => (lazy as { made: boolean }).made;
    const installed = (result.project.session.engine as unknown as { lazyGlobals: Map<string, unknown> }).lazyGlobals;
    for (const name of ['model', 'config', 'var', 'this']) {
      const value = installed.get(name);
      assert.ok(value instanceof LazyValue, name);
      assert.equal(made(value), false, `${name} is not made`);
    }
    const { globals } = result.project.session.engine;
    assert.equal((globals.model as { unique_id: string }).unique_id, 'model.tiny.a');
    assert.equal(String(globals.this), '"kiln"."main"."a"');
    assert.equal(made(installed.get('model')), true, 'made when read');
  } finally {
    removeDir(plain);
  }
});

/**
 * The conformance suite: one set of behaviour tests, written once against kiln's public API
 * and the Adapter interface, run against every adapter that can run here. An engine file
 * supplies the profile settings (and a server, if it needs one); the cases are the same.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { build, run, seed, generateDocs } from '../../src/index.js';
import { createAdapter } from '../../src/adapters/factory.js';
import type { Adapter } from '../../src/adapters/types.js';
import { writeProject, removeDir } from '../helpers/cli.js';

export interface Engine {
  name: string;
  /** Profile output settings (type, connection, schema) for a fresh, empty schema. */
  settings(): Promise<Record<string, unknown>>;
  stop?(): Promise<void>;
}

export function conformanceSuite(engine: Engine): void {
  let settings: Record<string, unknown>;
  let schema: string;
  const dirs: string[] = [];
  const adapters: Adapter[] = [];

  before(async () => {
    settings = await engine.settings();
    schema = String(settings.schema);
  });
  after(async () => {
    for (const a of adapters) await a.close().catch(() => undefined);
    for (const d of dirs) removeDir(d);
    await engine.stop?.();
  });

  /** A project on this engine; returns its folder and an adapter to look at the warehouse. */
  async function project(files: Record<string, string>): Promise<{ dir: string; adapter: Adapter; q: (sql: string) => Promise<Array<Record<string, unknown>>> }> {
    const dir = writeProject({
      'dbt_project.yml': 'name: conf\nprofile: conf\nconfig-version: 2\n',
      'profiles.yml': dump({ conf: { target: 'test', outputs: { test: { ...settings, threads: 2 } } } }),
      ...files,
    });
    dirs.push(dir);
    const adapter = await createAdapter({ profileName: 'conf', targetName: 'test', type: String(settings.type), threads: 1, settings }, dir);
    adapters.push(adapter);
    return {
      dir,
      adapter,
      q: async (sql) => {
        await adapter.open();
        try {
          return (await adapter.execute(sql)).rows;
        } finally {
          await adapter.close();
        }
      },
    };
  }
  const rel = (adapter: Adapter, name: string, sch = schema) => adapter.relation(adapter.defaultDatabase, sch, name).render();
  /**
   * The schema's relations as [name, type], through the adapter (warehouses spell
   * information_schema differently and store names in their own case), names lower-cased.
   */
  const relations = async (adapter: Adapter, sch = schema) => {
    await adapter.open();
    try {
      const target = adapter.relation(adapter.defaultDatabase, sch, 'x');
      return (await adapter.listRelations(target.database, target.schema!)).map((r) => [r.name.toLowerCase(), r.type]).sort((a, b) => a[0]!.localeCompare(b[0]!));
    } finally {
      await adapter.close();
    }
  };

  test(`${engine.name}: view, table and nested ephemeral models`, async () => {
    const { dir, adapter, q } = await project({
      'models/base.sql': "{{ config(materialized='table') }}select 1 as id, 'a' as v union all select 2, 'b'",
      'models/eph_1.sql': "{{ config(materialized='ephemeral') }}select id, v from {{ ref('base') }}",
      'models/eph_2.sql': "{{ config(materialized='ephemeral') }}select id * 10 as id, v from {{ ref('eph_1') }}",
      'models/final_view.sql': "select * from {{ ref('eph_2') }}",
    });
    const r = await run({ projectDir: dir });
    assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    assert.deepEqual(await relations(adapter), [
      ['base', 'table'],
      ['final_view', 'view'],
    ]);
    assert.deepEqual(await q(`select id, v from ${rel(adapter, 'final_view')} order by id`), [
      { id: 10, v: 'a' },
      { id: 20, v: 'b' },
    ]);
  });

  test(`${engine.name}: a failed rebuild leaves the old table and view in place`, async () => {
    const { dir, adapter, q } = await project({ 'models/t.sql': "{{ config(materialized='table') }}select 1 as id", 'models/v.sql': 'select 2 as id' });
    assert.equal((await run({ projectDir: dir })).success, true);
    writeFileSync(join(dir, 'models/t.sql'), "{{ config(materialized='table') }}select cast('oops' as integer) as id");
    writeFileSync(join(dir, 'models/v.sql'), 'select * from no_such_relation_anywhere');
    const r = await run({ projectDir: dir });
    assert.deepEqual(r.results.map((x) => x.status), ['error', 'error']);
    assert.deepEqual(await q(`select id from ${rel(adapter, 't')}`), [{ id: 1 }]);
    assert.deepEqual(await q(`select id from ${rel(adapter, 'v')}`), [{ id: 2 }]);
    assert.deepEqual((await relations(adapter)).filter(([name]) => name!.includes('kiln_tmp')), []);
  });

  test(`${engine.name}: seeds with nulls, quotes, commas, dates, timestamps and odd column names`, async () => {
    const { dir, adapter, q } = await project({
      'seeds/people.csv': 'id,name,joined,seen_at,score,active,"Mixed Case","select",with space\n1,"Smith, Jane",2024-01-31,2024-01-31 08:30:00,1.5,true,A,x,y\n2,"say ""hi""",,2024-02-01 23:59:59,,false,B,,z\n3,,2024-03-01,,-2,,C,q,\n',
    });
    const r = await seed({ projectDir: dir });
    assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    const q1 = (n: string) => adapter.quoteIdentifier(n);
    const rows = await q(`select id, name, cast(joined as varchar(10)) as joined, cast(seen_at as varchar(19)) as seen_at, score, active, ${q1('Mixed Case')} as mc, ${q1('select')} as sel, ${q1('with space')} as ws from ${rel(adapter, 'people')} order by id`);
    assert.deepEqual(rows, [
      { id: 1, name: 'Smith, Jane', joined: '2024-01-31', seen_at: '2024-01-31 08:30:00', score: 1.5, active: true, mc: 'A', sel: 'x', ws: 'y' },
      { id: 2, name: 'say "hi"', joined: null, seen_at: '2024-02-01 23:59:59', score: null, active: false, mc: 'B', sel: null, ws: 'z' },
      { id: 3, name: null, joined: '2024-03-01', seen_at: null, score: -2, active: null, mc: 'C', sel: 'q', ws: null },
    ]);
  });

  test(`${engine.name}: every generic test passes and fails as it should, and gates build`, async () => {
    const { dir } = await project({
      'models/parents.sql': "{{ config(materialized='table') }}select 1 as id union all select 2",
      'models/kids.sql': "{{ config(materialized='table') }}select 1 as id, 1 as parent_id, 'red' as colour union all select 2, 2, 'blue' union all select 3, 3, 'green' union all select 3, null, 'red'",
      'models/downstream.sql': "select * from {{ ref('kids') }}",
      'models/schema.yml': [
        'version: 2',
        'models:',
        '  - name: parents',
        '    columns:',
        '      - name: id',
        '        data_tests: [unique, not_null]',
        '  - name: kids',
        '    columns:',
        '      - name: id',
        '        data_tests:',
        '          - unique',
        '      - name: parent_id',
        '        data_tests:',
        '          - not_null',
        "          - relationships: {to: ref('parents'), field: id}",
        '      - name: colour',
        '        data_tests:',
        '          - accepted_values: {values: [red, blue, green]}',
        '          - accepted_values: {name: colours_strict, values: [red, blue]}',
      ].join('\n'),
    });
    const r = await build({ projectDir: dir });
    const status = (prefix: string) => r.results.find((x) => x.uniqueId.startsWith(`test.conf.${prefix}`))?.status;
    assert.equal(status('unique_parents_id'), 'pass');
    assert.equal(status('not_null_parents_id'), 'pass');
    assert.equal(status('unique_kids_id'), 'fail');
    assert.equal(status('not_null_kids_parent_id'), 'fail');
    assert.equal(status('relationships_kids_parent_id__id__ref_parents_'), 'fail');
    assert.equal(status('accepted_values_kids_colour__red__blue__green'), 'pass');
    assert.equal(status('colours_strict'), 'fail');
    assert.equal(r.results.find((x) => x.uniqueId === 'model.conf.downstream')?.status, 'skipped');
    assert.equal(r.success, false);
  });

  test(`${engine.name}: schema and alias configs, and relation and column introspection`, async () => {
    const { dir, adapter, q } = await project({
      'models/m.sql': "{{ config(materialized='table', schema='extra', alias='Renamed Thing') }}select 1 as id, 'x' as label",
      'models/n.sql': "select * from {{ ref('m') }}",
    });
    const r = await run({ projectDir: dir });
    assert.equal(r.success, true, r.results.map((x) => x.message).join('\n'));
    assert.deepEqual(await q(`select label from ${rel(adapter, 'Renamed Thing', `${schema}_extra`)}`), [{ label: 'x' }]);
    const docs = await generateDocs({ projectDir: dir, emptyCatalog: false });
    const catalog = docs.catalog as { nodes: Record<string, { metadata: { type: string; schema: string; name: string }; columns: Record<string, { type: string; index: number }> }> };
    const m = catalog.nodes['model.conf.m']!;
    assert.equal(m.metadata.schema.toLowerCase(), `${schema}_extra`);
    assert.equal(m.metadata.name, 'Renamed Thing');
    assert.match(m.metadata.type, /table/i);
    assert.deepEqual(Object.keys(m.columns).map((c) => c.toLowerCase()), ['id', 'label']);
    assert.equal(Object.entries(m.columns).find(([c]) => c.toLowerCase() === 'id')?.[1].index, 1);
    assert.match(catalog.nodes['model.conf.n']!.metadata.type, /view/i);
  });
}

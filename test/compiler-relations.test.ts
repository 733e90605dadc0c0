/**
 * The compiler makes each node's relation once and reuses it for every ref to the node, until
 * something it is made of (database, schema, alias, materialization) changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../src/index.js';
import { Compiler } from '../src/compile/compiler.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';

test('a relation made once is made again when the node it names changes', async () => {
  const dir = writeProject(
    minimalProject({
      'models/base.sql': 'select 1 as id',
      'models/a.sql': "select * from {{ ref('base') }}",
    }),
  );
  try {
    const project = await parse({ projectDir: dir });
    const compiler = new Compiler(project.parsed, project.session);
    const base = project.parsed.manifest.nodes.get('model.tiny.base')!;
    const first = compiler.relationOf(base.uniqueId);
    assert.equal(first.render(), '"kiln"."main"."base"');
    assert.equal(compiler.relationOf(base.uniqueId), first, 'reused while nothing changed');
    base.alias = 'renamed';
    assert.equal(compiler.relationOf(base.uniqueId).render(), '"kiln"."main"."renamed"');
    base.schema = 'other';
    assert.equal(compiler.relationOf(base.uniqueId).render(), '"kiln"."other"."renamed"');
    base.config.materialized = 'ephemeral';
    assert.equal(compiler.relationOf(base.uniqueId).render(), '__dbt__cte__base');
    base.config.materialized = 'table';
    assert.equal(compiler.relationOf(base.uniqueId).type, 'table');
    assert.equal(compiler.compile('model.tiny.a').compiledCode, 'select * from "kiln"."other"."renamed"');
  } finally {
    removeDir(dir);
  }
});

/**
 * `kiln compile --inline`: an ad-hoc query compiled with the project's refs, sources,
 * macros, vars and ephemeral models, printed and not written; mistakes are exit 2.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compileInline } from '../src/index.js';
import { kiln, copyExample, removeDir } from './helpers/cli.js';

const dir = copyExample();
after(() => removeDir(dir));

const inline = (sql: string, extra: string[] = []) =>
  kiln(['compile', '--project-dir', dir, '--inline', sql, ...extra]);

test('compile --inline prints the query with refs, sources, vars and macros resolved, and writes nothing', () => {
  const r = inline(
    "select order_id, {{ money('order_total * ' ~ var('vat_rate')) }} as vat from {{ ref('fct_orders') }} join {{ source('shop', 'raw_customers') }} using (customer_id)",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.trim(),
    'select order_id, cast(round(cast(order_total * 0.2 as numeric(18, 4)), 2) as numeric(18, 2)) as vat from "kiln"."main"."fct_orders" join "kiln"."main"."raw_customers" using (customer_id)',
  );
  assert.equal(existsSync(join(dir, 'target', 'manifest.json')), false, 'no manifest written');
  assert.equal(existsSync(join(dir, 'target', 'compiled')), false, 'no compiled file written');
});

test('an ephemeral model is inlined as a CTE, an aliased model by its alias', () => {
  const r = inline("select * from {{ ref('int_order_totals') }} join {{ ref('product_sales') }} on true");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^with __dbt__cte__int_order_items_priced as \(/);
  assert.match(r.stdout, /__dbt__cte__int_order_totals as \(/);
  assert.match(
    r.stdout,
    /select \* from __dbt__cte__int_order_totals join "kiln"."main"."product_sales_summary" on true/,
  );
});

test('bad Jinja, an unknown ref or macro, an empty query, and --inline with --select are exit 2', () => {
  const syntax = inline('select 1\n{% if %}');
  assert.equal(syntax.code, 2);
  assert.match(syntax.stderr, /<inline>:2/);
  const ref = inline("select * from {{ ref('fct_ordrs') }}");
  assert.equal(ref.code, 2);
  assert.match(
    ref.stderr,
    /the --inline query depends on 'fct_ordrs', which was not found[\s\S]*did you mean 'fct_orders'/,
  );
  const macro = inline('select {{ no_such_macro() }}');
  assert.equal(macro.code, 2);
  assert.match(macro.stderr, /<inline>.*no_such_macro/);
  const empty = inline('  ');
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--inline needs a query/);
  const both = inline('select 1', ['--select', 'fct_orders']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--inline cannot be combined with --select/);
  for (const r of [syntax, ref, macro, empty, both]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('compileInline in the API', async () => {
  const { sql } = await compileInline("select count(*) from {{ ref('dim_customers') }}", { projectDir: dir });
  assert.equal(sql, 'select count(*) from "kiln"."main"."dim_customers"');
});

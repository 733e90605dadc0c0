/**
 * `node dist/bench/jinja.js [models]`: template engine speed on dbt-style Jinja. Compiles and
 * renders N models that use loops, macros from a macro file, filters, `set`, conditionals and
 * string methods, as a real project's models do (the layered bench projects of run.ts only
 * call ref(), which kiln compiles without the engine). Prints medians of 5 runs.
 */
import { TemplateEngine } from '../src/template/engine.js';

const models = Number(process.argv[2] ?? 10000);

const macroFile =
  `
{% macro cents_to_dollars(column, scale=2) %}round({{ column }} / 100.0, {{ scale }}){% endmacro %}
{% macro star(columns, prefix='') -%}
{%- for c in columns %}{{ prefix ~ c | lower }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}
{% macro pivot(values, column) -%}
{%- for v in values %}
  sum(case when {{ column }} = '{{ v }}' then 1 else 0 end) as ` +
  `{{ v | replace(' ', '_') | lower }}{{ ',' if not loop.last }}
{%- endfor %}
{%- endmacro %}
{% macro safe_divide(a, b) %}{{ return('case when ' ~ b ~ ' = ` +
  `0 then null else ' ~ a ~ ' / ' ~ b ~ ' end') }}{% endmacro %}
`;

function model(i: number): string {
  return (
    `{% set payment_methods = ['credit card', 'coupon', 'bank transfer', 'gift card'] %}
{% set cols = ['ID', 'Customer_ID', 'Amount', 'Status'] %}
{%- set config = {'materialized': 'table' if ${i} % 2 == 0 else 'view', 'tags': ['nightly', 'm${i}']} -%}
with source as (
  select {{ star(cols, 'src.') }} from raw.payments_${i} as src
),
pivoted as (
  select order_id, {{ pivot(payment_methods, 'payment_method') }}
  from source
  group by 1
)
select
  {{ cents_to_dollars('amount') }} as amount,
  {{ safe_divide('amount', 'quantity') }} as unit_price,
  {% for k, v in config.items() | sort %}'{{ k }}={{ v | join(",") ` +
    `if v is not string else v }}' as c_{{ loop.index }}{{ ", " if ` +
    `not loop.last }}{% endfor %}
{% if ${i} % 3 == 0 %}
  , '{{ "%s-%05d" % ("m", ${i}) }}' as label
{% elif "${i}".endswith("7") %}
  , {{ "{:.2f}".format(${i} / 7) }} as ratio
{% else %}
  , {{ (payment_methods | map('upper') | list)[0:2] | join('|') | tojson }} as first_two
{% endif %}
from pivoted`
  );
}

function once(): { compile: number; render: number; tracked: number; bytes: number } {
  const engine = new TemplateEngine();
  engine.registerMacroFile(macroFile, 'macros/bench.sql', 'bench', { global: true });
  let t = performance.now();
  const templates = Array.from({ length: models }, (_, i) => engine.compile(model(i), `models/m_${i}.sql`));
  const compile = performance.now() - t;
  t = performance.now();
  let bytes = 0;
  for (let i = 0; i < models; i++)
    bytes += engine.render(templates[i]!, { this: `m_${i}` }, `models/m_${i}.sql`).length;
  const render = performance.now() - t;
  // As kiln compiles a node to run it: recording where each output line came from, for errors.
  t = performance.now();
  for (let i = 0; i < models; i++) engine.renderWithSourceLines(templates[i]!, { this: `m_${i}` }, `models/m_${i}.sql`);
  return { compile, render, tracked: performance.now() - t, bytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runs = Array.from({ length: 5 }, once);
console.log(`jinja engine, ${models} models (loops, macros, filters, formatting) — output ${runs[0]!.bytes} bytes`);
console.log(
  `  compile  median ${median(runs.map((r) => r.compile)).toFixed(0)} ` +
    `ms  (runs: ${runs.map((r) => r.compile.toFixed(0)).join(', ')})`,
);
console.log(
  `  render   median ${median(runs.map((r) => r.render)).toFixed(0)} ` +
    `ms  (runs: ${runs.map((r) => r.render.toFixed(0)).join(', ')})`,
);
console.log(
  `  render with source lines  median ${median(runs.map((r) => r.tracked)).toFixed(0)} ` +
    `ms  (runs: ${runs.map((r) => r.tracked.toFixed(0)).join(', ')})`,
);

/**
 * dbt's global `dbt` macros that packages call (dbt.<name>, adapter.dispatch('<name>', 'dbt')):
 * the cross-database utils of dbt-adapters' global project, the type names, the current time
 * and the introspection helpers, on every adapter kiln has. `macros` below is the list, with
 * what kiln had before and which adapters have their own `<adapter>__<name>`; the tests
 * iterate it, one test per macro per adapter:
 *
 *  - DuckDB and PostgreSQL (a real server): one project with a model per macro is built, and
 *    each test reads back what the engine computed and checks it is dbt's documented result.
 *  - Snowflake and BigQuery (no engine here): the same project is compiled with the adapter's
 *    type, through the real adapter classes with only `open`/`execute`/`listRelations`
 *    replaced by a script (nothing connects, no SDK loads), and each test checks the SQL is
 *    the dialect's documented form and that compile-time questions were the expected ones.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compile, parse, registerAdapter, run, type RunResult } from '../src/index.js';
import type { QueryResult, ExistingRelation } from '../src/adapters/types.js';
import type { TargetConfig } from '../src/config/profiles.js';
import { SnowflakeAdapter, type SnowflakeProfile } from '../src/adapters/snowflake/index.js';
import { BigQueryAdapter, type BigQueryProfile } from '../src/adapters/bigquery/index.js';
import { minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { describeEngines } from './incremental-engines.js';

type AdapterType = 'duckdb' | 'postgres' | 'snowflake' | 'bigquery';
type EngineName = 'duckdb' | 'postgres';
type CloudName = 'snowflake' | 'bigquery';
type Row = Record<string, unknown>;

/** A question a macro asks the warehouse while compiling, and the scripted answer. */
interface ScriptedQuery {
  sql: string;
  columns: string[];
  rows: unknown[][];
}

interface MacroCase {
  /** The macro as packages call it: dbt.<name>. */
  name: string;
  /** 'existed': kiln had it before this list was made; 'added': written for it. */
  status: 'existed' | 'added';
  /** For existing macros: what the list added (adapter forms, fixes). */
  completed?: string;
  /** Adapters with their own `<adapter>__<name>`; the others use `default__<name>`. */
  overrides: AdapterType[];
  /** False for helpers that do not dispatch (no default__ to override). */
  dispatched?: boolean;
  /** The model (models/m_<name>.sql) that selects the macro's result. */
  model: string;
  /** How the result is read back, `{m}` standing for the model; default `select * from {m}`. */
  read?: string;
  /** The rows DuckDB and PostgreSQL return (per engine where they differ), or a check of them. */
  rows: Row[] | Record<EngineName, Row[]> | ((rows: Row[], engine: EngineName) => void);
  /** Text the compiled model holds on Snowflake and on BigQuery (whitespace collapsed). */
  sql: Record<CloudName, string[]>;
  /** Questions asked of Snowflake / BigQuery while compiling, in order. */
  asks?: Partial<Record<CloudName, ScriptedQuery[]>>;
}

const ts = (s: string) => `"cast('${s}' as timestamp)"`;
const asText = (...cols: string[]) => `select ${cols.map((c) => `cast(${c} as varchar) as ${c}`).join(', ')} from {m}`;
/** The value as text, and the column's type as the engine's information_schema names it. */
const withType = (name: string) =>
  `select cast(actual as varchar) as actual, (select data_type from information_schema.columns where table_schema = current_schema() and table_name = 'm_${name}' and column_name = 'actual') as data_type from {m}`;

/** A type_* macro: a cast to it, kept as a table so the engine reports the column's type. */
function typeCase(
  name: string,
  literal: string,
  value: unknown,
  types: Record<EngineName | CloudName, string>,
  overrides: AdapterType[] = [],
  completed?: string,
): MacroCase {
  return {
    name,
    status: 'existed',
    completed,
    overrides,
    model: `{{ config(materialized='table') }}\nselect cast(${literal} as {{ dbt.${name}() }}) as actual`,
    read: withType(name),
    rows: {
      duckdb: [{ actual: value, data_type: types.duckdb }],
      postgres: [{ actual: value, data_type: types.postgres }],
    },
    sql: {
      snowflake: [`cast(${literal} as ${types.snowflake}) as actual`],
      bigquery: [`cast(${literal} as ${types.bigquery}) as actual`],
    },
  };
}

/** A timestamp read back as text, as an instant (the text is UTC wall-clock time). */
const instant = (text: unknown) => new Date(`${String(text).replace(' ', 'T').slice(0, 23)}Z`).getTime();
const minutes = (n: number) => n * 60_000;
function nearNow(value: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(value - Date.now()) < tolerance,
    `${what}: ${new Date(value).toISOString()} is not near ${new Date().toISOString()}`,
  );
}
const noZone: Record<EngineName, string> = { duckdb: 'TIMESTAMP', postgres: 'timestamp without time zone' };

const datediffVectors: Array<[string, string, string, string, number]> = [
  // From dbt's documented datediff cases: boundaries crossed, not whole periods elapsed.
  ['days', '2018-01-01 01:00:00', '2018-01-02 01:00:00', 'day', 1],
  ['months', '2018-01-01 01:00:00', '2018-02-01 01:00:00', 'month', 1],
  ['years', '2018-01-01 01:00:00', '2019-01-01 01:00:00', 'year', 1],
  ['hours', '2018-01-01 01:00:00', '2018-01-01 02:00:00', 'hour', 1],
  ['minutes', '2018-01-01 01:00:00', '2018-01-01 02:01:00', 'minute', 61],
  ['seconds', '2018-01-01 01:00:00', '2018-01-01 02:00:01', 'second', 3601],
  ['weeks_back', '2019-12-31 00:00:00', '2019-12-27 00:00:00', 'week', -1],
  ['weeks_same', '2019-12-31 00:00:00', '2019-12-30 00:00:00', 'week', 0],
  ['weeks_within', '2019-12-31 00:00:00', '2020-01-02 00:00:00', 'week', 0],
  ['weeks_next', '2019-12-31 00:00:00', '2020-01-06 02:00:00', 'week', 1],
  ...(['microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'month', 'quarter', 'year'] as const).map(
    (part): [string, string, string, string, number] => [
      `edge_${part}`,
      '1999-12-31 23:59:59.999999',
      '2000-01-01 00:00:00.000000',
      part,
      1,
    ],
  ),
  ['edge_week', '1999-12-31 23:59:59.999999', '2000-01-03 00:00:00.000000', 'week', 1],
];

const dateaddVectors: Array<[string, string, string, string]> = [
  ['plus_hour', 'hour', '1', '2018-01-01 02:00:00'],
  ['plus_day', 'day', '1', '2018-01-02 01:00:00'],
  ['plus_week', 'week', '1', '2018-01-08 01:00:00'],
  ['plus_month', 'month', '1', '2018-02-01 01:00:00'],
  ['plus_quarter', 'quarter', '1', '2018-04-01 01:00:00'],
  ['plus_year', 'year', '1', '2019-01-01 01:00:00'],
  ['plus_step', 'day', "'step'", '2017-12-31 01:00:00'],
];

const spineDays = ['01', '02', '03', '04', '05', '06', '07', '08', '09'].map((d) => ({ date_day: `2023-09-${d}` }));
const intervalsQuestion = (cloud: CloudName, end: string): string =>
  cloud === 'snowflake'
    ? `select datediff(day, cast('2023-09-01' as date), cast('${end}' as date)) as intervals`
    : `select datetime_diff(cast(cast('${end}' as date) as datetime), cast(cast('2023-09-01' as date) as datetime), day) as intervals`;

/** The list: every dbt.* macro packages call, as kiln provides it. */
const macros: MacroCase[] = [
  // ---- aggregates and set operations
  {
    name: 'any_value',
    status: 'existed',
    overrides: ['postgres'],
    model: `with data as (select 'abc' as key_name, 'dbt' as static_col union all select 'abc', 'dbt' union all select 'xyz', 'test')
select key_name, {{ dbt.any_value('static_col') }} as actual from data group by key_name`,
    read: 'select * from {m} order by key_name',
    rows: [
      { key_name: 'abc', actual: 'dbt' },
      { key_name: 'xyz', actual: 'test' },
    ],
    sql: { snowflake: ['any_value(static_col) as actual'], bigquery: ['any_value(static_col) as actual'] },
  },
  {
    name: 'bool_or',
    status: 'existed',
    completed: 'Snowflake and BigQuery forms',
    overrides: ['snowflake', 'bigquery'],
    model: `with data as (
  select 'abc' as key_column, 1 as val1, 1 as val2 union all select 'abc', 1, 0 union all select 'def', 1, 0
  union all select 'hij', 1, 1 union all select 'hij', 1, null union all select 'klm', 1, 0 union all select 'klm', 1, null
)
select key_column, {{ dbt.bool_or('val1 = val2') }} as actual from data group by key_column`,
    read: 'select * from {m} order by key_column',
    rows: [
      { key_column: 'abc', actual: true },
      { key_column: 'def', actual: false },
      { key_column: 'hij', actual: true },
      { key_column: 'klm', actual: false },
    ],
    sql: { snowflake: ['boolor_agg(val1 = val2) as actual'], bigquery: ['logical_or(val1 = val2) as actual'] },
  },
  {
    name: 'listagg',
    status: 'existed',
    completed: 'Snowflake and BigQuery forms',
    overrides: ['duckdb', 'snowflake', 'bigquery'],
    model: `with data as (
  select 1 as grp, 'a' as txt, 1 as ord union all select 1, 'b', 2 union all select 1, 'c', 3
  union all select 2, 'a', 2 union all select 2, '1', 1 union all select 2, 'p', 3
)
select grp, {{ dbt.listagg('txt', "'_|_'", 'order by ord') }} as ordered, {{ dbt.listagg('txt', "'_|_'", 'order by ord', 2) }} as limited
from data group by grp`,
    read: 'select * from {m} order by grp',
    rows: [
      { grp: 1, ordered: 'a_|_b_|_c', limited: 'a_|_b' },
      { grp: 2, ordered: '1_|_a_|_p', limited: '1_|_a' },
    ],
    sql: {
      snowflake: [
        "listagg(txt, '_|_') within group (order by ord) as ordered",
        "array_to_string(array_slice(array_agg(txt) within group (order by ord), 0, 2), '_|_') as limited",
      ],
      bigquery: [
        "string_agg(txt, '_|_' order by ord) as ordered",
        "string_agg(txt, '_|_' order by ord limit 2) as limited",
      ],
    },
  },
  {
    name: 'except',
    status: 'existed',
    completed: 'BigQuery form',
    overrides: ['bigquery'],
    model: `select id from (select 1 as id union all select 2 union all select 3) as a
{{ dbt.except() }}
select id from (select 3 as id union all select 4) as b`,
    read: 'select id from {m} order by id',
    rows: [{ id: 1 }, { id: 2 }],
    sql: { snowflake: ['as a except select id'], bigquery: ['as a except distinct select id'] },
  },
  {
    name: 'intersect',
    status: 'existed',
    completed: 'BigQuery form',
    overrides: ['bigquery'],
    model: `select id from (select 1 as id union all select 2 union all select 3) as a
{{ dbt.intersect() }}
select id from (select 3 as id union all select 4) as b`,
    read: 'select id from {m} order by id',
    rows: [{ id: 3 }],
    sql: { snowflake: ['as a intersect select id'], bigquery: ['as a intersect distinct select id'] },
  },
  // ---- arrays
  {
    name: 'array_construct',
    status: 'existed',
    completed: 'Snowflake and BigQuery forms',
    overrides: ['duckdb', 'snowflake', 'bigquery'],
    model: 'select {{ dbt.array_construct([1, 2, 3]) }} as actual, {{ dbt.array_construct([]) }} as empty_array',
    rows: [{ actual: [1, 2, 3], empty_array: [] }],
    sql: {
      snowflake: ['array_construct(1, 2, 3) as actual, array_construct() as empty_array'],
      bigquery: ['[ 1 , 2 , 3 ] as actual, array<integer>[] as empty_array'],
    },
  },
  {
    name: 'array_append',
    status: 'added',
    overrides: ['bigquery'],
    model:
      'select {{ dbt.array_append(dbt.array_construct([1, 2, 3]), 4) }} as actual, {{ dbt.array_append(dbt.array_construct([]), 4) }} as onto_empty',
    rows: [{ actual: [1, 2, 3, 4], onto_empty: [4] }],
    sql: {
      snowflake: [
        'array_append(array_construct(1, 2, 3), 4) as actual',
        'array_append(array_construct(), 4) as onto_empty',
      ],
      bigquery: ['array_concat([ 1 , 2 , 3 ], [ 4 ]) as actual', 'array_concat(array<integer>[], [ 4 ]) as onto_empty'],
    },
  },
  {
    name: 'array_concat',
    status: 'added',
    overrides: ['bigquery'],
    model: `select {{ dbt.array_concat(dbt.array_construct([1, 2, 3]), dbt.array_construct([4, 5, 6])) }} as actual,
  {{ dbt.array_concat(dbt.array_construct([]), dbt.array_construct([2])) }} as empty_first,
  {{ dbt.array_concat(dbt.array_construct([3]), dbt.array_construct([])) }} as empty_second`,
    rows: [{ actual: [1, 2, 3, 4, 5, 6], empty_first: [2], empty_second: [3] }],
    sql: {
      snowflake: [
        'array_cat(array_construct(1, 2, 3), array_construct(4, 5, 6)) as actual',
        'array_cat(array_construct(), array_construct(2)) as empty_first',
      ],
      bigquery: [
        'array_concat([ 1 , 2 , 3 ], [ 4 , 5 , 6 ]) as actual',
        'array_concat(array<integer>[], [ 2 ]) as empty_first',
      ],
    },
  },
  // ---- casts and comparison
  {
    name: 'cast',
    status: 'existed',
    completed: "Snowflake's spatial types",
    overrides: ['snowflake'],
    model: `select {{ dbt.cast("'123'", dbt.type_int()) }} as actual{% if target.type == 'snowflake' %}, {{ dbt.cast("'POINT(1 2)'", 'geography') }} as shape{% endif %}`,
    rows: [{ actual: 123 }],
    sql: {
      snowflake: ["cast('123' as integer) as actual", "to_geography('POINT(1 2)') as shape"],
      bigquery: ["cast('123' as int64) as actual"],
    },
  },
  {
    name: 'safe_cast',
    status: 'existed',
    completed: 'Snowflake and BigQuery forms',
    overrides: ['duckdb', 'snowflake', 'bigquery'],
    // PostgreSQL has no cast that gives null, so a bad value is only tried where one exists.
    model: `select {{ dbt.safe_cast("'123'", dbt.type_int()) }} as actual, {{ dbt.safe_cast(123, dbt.type_string()) }} as from_number
{%- if target.type != 'postgres' %}, {{ dbt.safe_cast("'abc'", dbt.type_int()) }} as not_a_number{% endif %}`,
    rows: {
      duckdb: [{ actual: 123, from_number: '123', not_a_number: null }],
      postgres: [{ actual: 123, from_number: '123' }],
    },
    sql: {
      snowflake: [
        "try_cast('123' as integer) as actual",
        "try_cast('123' as text) as from_number",
        "try_cast('abc' as integer) as not_a_number",
      ],
      bigquery: [
        "safe_cast('123' as int64) as actual",
        'safe_cast(123 as string) as from_number',
        "safe_cast('abc' as int64) as not_a_number",
      ],
    },
  },
  {
    name: 'cast_bool_to_text',
    status: 'existed',
    completed: "BigQuery's string type",
    overrides: [],
    model: `with data as (select 1 as id, 1 = 1 as input union all select 2, 1 = 0 union all select 3, cast(null as boolean))
select id, {{ dbt.cast_bool_to_text('input') }} as actual from data`,
    read: 'select * from {m} order by id',
    rows: [
      { id: 1, actual: 'true' },
      { id: 2, actual: 'false' },
      { id: 3, actual: null },
    ],
    sql: { snowflake: ['cast(input as text) as actual'], bigquery: ['cast(input as string) as actual'] },
  },
  {
    name: 'equals',
    status: 'added',
    overrides: [],
    model: `with data as (
  select 1 as id, 1 as x, 1 as y union all select 2, 1, 2 union all select 3, 1, null union all select 4, cast(null as integer), cast(null as integer)
)
select id from data where {{ dbt.equals('x', 'y') }}`,
    read: 'select id from {m} order by id',
    rows: [{ id: 1 }],
    sql: { snowflake: ['where (x = y)'], bigquery: ['where (x = y)'] },
  },
  // ---- strings
  {
    name: 'concat',
    status: 'existed',
    overrides: [],
    model: `select {{ dbt.concat(["'a'", "'b'", "'c'"]) }} as actual`,
    rows: [{ actual: 'abc' }],
    sql: { snowflake: ["'a' || 'b' || 'c' as actual"], bigquery: ["'a' || 'b' || 'c' as actual"] },
  },
  {
    name: 'hash',
    status: 'existed',
    completed: 'BigQuery form',
    overrides: ['bigquery'],
    model: `select {{ dbt.hash("'ab'") }} as actual, {{ dbt.hash("''") }} as of_empty`,
    rows: [{ actual: '187ef4436122d1cc2f40dc2b92f0eba0', of_empty: 'd41d8cd98f00b204e9800998ecf8427e' }],
    sql: {
      snowflake: ["md5(cast('ab' as text)) as actual"],
      bigquery: ["to_hex(md5(cast('ab' as string))) as actual"],
    },
  },
  {
    name: 'split_part',
    status: 'existed',
    completed: 'negative parts on PostgreSQL before 14, BigQuery form',
    overrides: ['postgres', 'bigquery'],
    model: `select {{ dbt.split_part("'a|b|c'", "'|'", 1) }} as part_1, {{ dbt.split_part("'a|b|c'", "'|'", 2) }} as part_2,
  {{ dbt.split_part("'a|b|c'", "'|'", 3) }} as part_3, {{ dbt.split_part("'a|b|c'", "'|'", -1) }} as last_part`,
    rows: [{ part_1: 'a', part_2: 'b', part_3: 'c', last_part: 'c' }],
    sql: {
      snowflake: ["split_part('a|b|c', '|', 1) as part_1", "split_part('a|b|c', '|', -1) as last_part"],
      bigquery: [
        "split('a|b|c', '|')[safe_ordinal(1)] as part_1",
        "split('a|b|c', '|')[safe_ordinal(array_length(split('a|b|c', '|')) + 1 + (-1))] as last_part",
      ],
    },
  },
  {
    name: 'replace',
    status: 'existed',
    overrides: [],
    model: `select {{ dbt.replace("'http://google.com'", "'http://'", "''") }} as actual`,
    rows: [{ actual: 'google.com' }],
    sql: {
      snowflake: ["replace('http://google.com', 'http://', '') as actual"],
      bigquery: ["replace('http://google.com', 'http://', '') as actual"],
    },
  },
  {
    name: 'length',
    status: 'existed',
    overrides: [],
    model: `select {{ dbt.length("'www.google.com/path'") }} as actual`,
    rows: [{ actual: 19 }],
    sql: {
      snowflake: ["length('www.google.com/path') as actual"],
      bigquery: ["length('www.google.com/path') as actual"],
    },
  },
  {
    name: 'position',
    status: 'existed',
    completed: 'BigQuery form',
    overrides: ['bigquery'],
    model: `select {{ dbt.position("'def'", "'abcdef'") }} as actual, {{ dbt.position("'land'", "'earth'") }} as missing`,
    rows: [{ actual: 4, missing: 0 }],
    sql: { snowflake: ["position('def' in 'abcdef') as actual"], bigquery: ["strpos('abcdef', 'def') as actual"] },
  },
  {
    name: 'right',
    status: 'existed',
    completed: 'Snowflake form',
    overrides: ['snowflake'],
    model: `select {{ dbt.right("'fishtown'", 4) }} as actual, {{ dbt.right("'december'", 0) }} as none_of_it`,
    rows: [{ actual: 'town', none_of_it: '' }],
    sql: {
      snowflake: ["case when 4 = 0 then '' else right('fishtown', 4) end as actual"],
      bigquery: ["right('fishtown', 4) as actual"],
    },
  },
  {
    name: 'escape_single_quotes',
    status: 'existed',
    completed: 'Snowflake and BigQuery forms',
    overrides: ['snowflake', 'bigquery'],
    model: `select '{{ dbt.escape_single_quotes("they're") }}' as actual`,
    rows: [{ actual: "they're" }],
    sql: { snowflake: ["'they\\'re' as actual"], bigquery: ["'they\\'re' as actual"] },
  },
  {
    name: 'string_literal',
    status: 'existed',
    completed: 'BigQuery form',
    overrides: ['bigquery'],
    model: `select {{ dbt.string_literal('abc') }} as actual, {{ dbt.length(dbt.string_literal(dbt.escape_single_quotes("they're"))) }} as escaped_length`,
    rows: [{ actual: 'abc', escaped_length: 7 }],
    sql: {
      snowflake: ["'abc' as actual", "length('they\\'re') as escaped_length"],
      bigquery: ["'''abc''' as actual", "length('''they\\'re''') as escaped_length"],
    },
  },
  // ---- type names
  typeCase(
    'type_string',
    "'abc'",
    'abc',
    { duckdb: 'VARCHAR', postgres: 'text', snowflake: 'text', bigquery: 'string' },
    ['bigquery'],
    "BigQuery's names",
  ),
  typeCase('type_timestamp', "'2024-01-02 03:04:05'", '2024-01-02 03:04:05', {
    duckdb: 'TIMESTAMP',
    postgres: 'timestamp without time zone',
    snowflake: 'timestamp',
    bigquery: 'timestamp',
  }),
  typeCase(
    'type_float',
    "'1.5'",
    '1.5',
    { duckdb: 'FLOAT', postgres: 'double precision', snowflake: 'float', bigquery: 'float64' },
    ['bigquery'],
    "BigQuery's names",
  ),
  typeCase(
    'type_numeric',
    "'1.5'",
    '1.500000',
    { duckdb: 'DECIMAL(28,6)', postgres: 'numeric', snowflake: 'numeric(28,6)', bigquery: 'numeric' },
    ['bigquery'],
    "BigQuery's names",
  ),
  typeCase('type_bigint', "'3000000000'", '3000000000', {
    duckdb: 'BIGINT',
    postgres: 'bigint',
    snowflake: 'bigint',
    bigquery: 'bigint',
  }),
  typeCase(
    'type_int',
    "'123'",
    '123',
    { duckdb: 'INTEGER', postgres: 'integer', snowflake: 'integer', bigquery: 'int64' },
    ['bigquery'],
    "BigQuery's names",
  ),
  typeCase('type_boolean', "'true'", 'true', {
    duckdb: 'BOOLEAN',
    postgres: 'boolean',
    snowflake: 'boolean',
    bigquery: 'boolean',
  }),
  // ---- dates
  {
    name: 'date_trunc',
    status: 'existed',
    completed: 'BigQuery form',
    overrides: ['bigquery'],
    model: `select {{ dbt.date_trunc('month', ${ts('2018-01-05 03:04:05')}) }} as actual`,
    read: asText('actual'),
    rows: [{ actual: '2018-01-01 00:00:00' }],
    sql: {
      snowflake: ["date_trunc('month', cast('2018-01-05 03:04:05' as timestamp)) as actual"],
      bigquery: ["timestamp_trunc(cast(cast('2018-01-05 03:04:05' as timestamp) as timestamp), month) as actual"],
    },
  },
  {
    name: 'dateadd',
    status: 'existed',
    completed: 'Snowflake and BigQuery forms; quarters on PostgreSQL',
    overrides: ['duckdb', 'snowflake', 'bigquery'],
    model: `select ${dateaddVectors.map(([alias, part, n]) => `{{ dbt.dateadd('${part}', ${n}, 'from_time') }} as ${alias}`).join(',\n  ')}
from (select cast('2018-01-01 01:00:00' as timestamp) as from_time, -1 as step) as data`,
    read: asText(...dateaddVectors.map(([alias]) => alias)),
    rows: [Object.fromEntries(dateaddVectors.map(([alias, , , result]) => [alias, result]))],
    sql: {
      snowflake: [
        'dateadd(day, 1, from_time) as plus_day',
        'dateadd(quarter, 1, from_time) as plus_quarter',
        'dateadd(day, step, from_time) as plus_step',
      ],
      bigquery: [
        'datetime_add(cast(from_time as datetime), interval 1 day) as plus_day',
        'datetime_add(cast(from_time as datetime), interval step day) as plus_step',
      ],
    },
  },
  {
    name: 'datediff',
    status: 'existed',
    completed:
      'Snowflake and BigQuery forms; boundary counting for weeks on DuckDB and for milli-/microseconds on PostgreSQL',
    overrides: ['duckdb', 'snowflake', 'bigquery'],
    model: `select ${datediffVectors.map(([alias, a, b, part]) => `{{ dbt.datediff(${ts(a)}, ${ts(b)}, '${part}') }} as ${alias}`).join(',\n  ')}`,
    rows: [Object.fromEntries(datediffVectors.map(([alias, , , , result]) => [alias, result]))],
    sql: {
      snowflake: [
        "datediff(day, cast('2018-01-01 01:00:00' as timestamp), cast('2018-01-02 01:00:00' as timestamp)) as days",
      ],
      bigquery: [
        "datetime_diff(cast(cast('2018-01-02 01:00:00' as timestamp) as datetime), cast(cast('2018-01-01 01:00:00' as timestamp) as datetime), day) as days",
      ],
    },
  },
  {
    name: 'last_day',
    status: 'existed',
    completed: 'quarters on PostgreSQL (through dateadd)',
    overrides: [],
    model: `select {{ dbt.last_day("cast('2018-01-02' as date)", 'month') }} as of_month, {{ dbt.last_day("cast('2018-01-02' as date)", 'quarter') }} as of_quarter,
  {{ dbt.last_day("cast('2018-01-02' as date)", 'year') }} as of_year`,
    read: asText('of_month', 'of_quarter', 'of_year'),
    rows: [{ of_month: '2018-01-31', of_quarter: '2018-03-31', of_year: '2018-12-31' }],
    sql: {
      snowflake: [
        "cast(dateadd(day, -1, dateadd(month, 1, date_trunc('month', cast('2018-01-02' as date)))) as date) as of_month",
      ],
      bigquery: [
        "cast(datetime_add(cast(datetime_add(cast(timestamp_trunc(cast(cast('2018-01-02' as date) as timestamp), month) as datetime), interval 1 month) as datetime), interval -1 day) as date) as of_month",
      ],
    },
  },
  {
    name: 'date',
    status: 'added',
    overrides: ['duckdb', 'bigquery'],
    model: 'select {{ dbt.date(2023, 9, 7) }} as actual',
    read: asText('actual'),
    rows: [{ actual: '2023-09-07' }],
    sql: { snowflake: ["to_date('2023-09-07', 'YYYY-MM-DD') as actual"], bigquery: ['date(2023, 9, 7) as actual'] },
  },
  // ---- series
  {
    name: 'get_powers_of_two',
    status: 'added',
    overrides: [],
    model: `select ${[1, 4, 27, 256, 3125, 46656, 823543].map((n) => `{{ dbt.get_powers_of_two(${n}) }} as of_${n}`).join(', ')}`,
    rows: [{ of_1: 1, of_4: 2, of_27: 5, of_256: 8, of_3125: 12, of_46656: 16, of_823543: 20 }],
    sql: {
      snowflake: [
        'select 1 as of_1, 2 as of_4, 5 as of_27, 8 as of_256, 12 as of_3125, 16 as of_46656, 20 as of_823543',
      ],
      bigquery: [
        'select 1 as of_1, 2 as of_4, 5 as of_27, 8 as of_256, 12 as of_3125, 16 as of_46656, 20 as of_823543',
      ],
    },
  },
  {
    name: 'generate_series',
    status: 'added',
    overrides: ['duckdb', 'postgres', 'bigquery'],
    model: '{{ dbt.generate_series(10) }}',
    read: 'select generated_number from {m} order by generated_number',
    rows: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({ generated_number: n })),
    sql: {
      snowflake: [
        'select bit_0.b * 1 + bit_1.b * 2 + bit_2.b * 4 + bit_3.b * 8 + 1 as generated_number',
        'cross join (select 0 as b union all select 1 as b) as bit_3 ) as numbers where generated_number <= 10',
      ],
      bigquery: ['select generated_number from unnest(generate_array(1, 10)) as generated_number'],
    },
  },
  {
    // The SQL Snowflake gets for generate_series, run here on real engines.
    name: 'default__generate_series',
    status: 'added',
    overrides: [],
    dispatched: false,
    model: '{{ dbt.default__generate_series(10) }}',
    read: 'select generated_number from {m} order by generated_number',
    rows: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({ generated_number: n })),
    sql: {
      snowflake: ['where generated_number <= 10 order by generated_number'],
      bigquery: ['where generated_number <= 10 order by generated_number'],
    },
  },
  {
    name: 'get_intervals_between',
    status: 'added',
    overrides: [],
    model: `select {{ dbt.get_intervals_between("cast('2023-09-01' as date)", "cast('2023-09-12' as date)", 'day') }} as actual`,
    rows: [{ actual: 11 }],
    sql: { snowflake: ['select 11 as actual'], bigquery: ['select 11 as actual'] },
    asks: {
      snowflake: [{ sql: intervalsQuestion('snowflake', '2023-09-12'), columns: ['INTERVALS'], rows: [[11]] }],
      bigquery: [{ sql: intervalsQuestion('bigquery', '2023-09-12'), columns: ['intervals'], rows: [[11]] }],
    },
  },
  {
    name: 'date_spine',
    status: 'existed',
    completed: 'a portable default (for Snowflake and BigQuery); quarters on PostgreSQL',
    overrides: ['duckdb', 'postgres'],
    model: `{{ dbt.date_spine('day', "cast('2023-09-01' as date)", "cast('2023-09-10' as date)") }}`,
    read: 'select cast(cast(date_day as date) as varchar) as date_day from {m} order by 1',
    rows: spineDays,
    sql: {
      snowflake: [
        "dateadd(day, generated_number - 1, cast('2023-09-01' as date)) as date_day",
        'where generated_number <= 9',
        "where date_day < cast('2023-09-10' as date)",
      ],
      bigquery: [
        "datetime_add(cast(cast('2023-09-01' as date) as datetime), interval generated_number - 1 day) as date_day",
        'unnest(generate_array(1, 9))',
        "where date_day < cast('2023-09-10' as date)",
      ],
    },
    asks: {
      snowflake: [{ sql: intervalsQuestion('snowflake', '2023-09-10'), columns: ['INTERVALS'], rows: [[9]] }],
      bigquery: [{ sql: intervalsQuestion('bigquery', '2023-09-10'), columns: ['intervals'], rows: [[9]] }],
    },
  },
  {
    // The SQL Snowflake and BigQuery get for date_spine, run here on real engines (it asks
    // the engine for the number of days while compiling).
    name: 'default__date_spine',
    status: 'added',
    overrides: [],
    dispatched: false,
    model: `{{ dbt.default__date_spine('day', "cast('2023-09-01' as date)", "cast('2023-09-10' as date)") }}`,
    read: 'select cast(cast(date_day as date) as varchar) as date_day from {m} order by 1',
    rows: spineDays,
    sql: {
      snowflake: ["dateadd(day, generated_number - 1, cast('2023-09-01' as date)) as date_day"],
      bigquery: ['unnest(generate_array(1, 9))'],
    },
    asks: {
      snowflake: [{ sql: intervalsQuestion('snowflake', '2023-09-10'), columns: ['INTERVALS'], rows: [[9]] }],
      bigquery: [{ sql: intervalsQuestion('bigquery', '2023-09-10'), columns: ['intervals'], rows: [[9]] }],
    },
  },
  // ---- the current time
  {
    name: 'current_timestamp',
    status: 'existed',
    completed: 'Snowflake and BigQuery forms',
    overrides: ['duckdb', 'postgres', 'snowflake', 'bigquery'],
    model: 'select {{ dbt.current_timestamp() }} as actual',
    rows: (rows) => {
      assert.ok(rows[0]!.actual instanceof Date, `a timestamp with time zone: ${String(rows[0]!.actual)}`);
      nearNow(rows[0]!.actual.getTime(), minutes(5), 'current_timestamp');
    },
    sql: {
      snowflake: ["convert_timezone('UTC', current_timestamp()) as actual"],
      bigquery: ['current_timestamp() as actual'],
    },
  },
  {
    name: 'current_timestamp_backcompat',
    status: 'added',
    overrides: ['bigquery'],
    model: "{{ config(materialized='table') }}\nselect {{ dbt.current_timestamp_backcompat() }} as actual",
    read: withType('current_timestamp_backcompat'),
    rows: (rows, engine) => {
      assert.equal(rows[0]!.data_type, noZone[engine]);
      // Wall-clock time in the session's zone, whatever that is: within a day of UTC.
      nearNow(instant(rows[0]!.actual), minutes(15 * 60), 'current_timestamp_backcompat');
    },
    sql: { snowflake: ['current_timestamp::timestamp as actual'], bigquery: ['select current_timestamp as actual'] },
  },
  {
    name: 'current_timestamp_in_utc_backcompat',
    status: 'added',
    overrides: ['duckdb', 'postgres', 'snowflake'],
    model: "{{ config(materialized='table') }}\nselect {{ dbt.current_timestamp_in_utc_backcompat() }} as actual",
    read: withType('current_timestamp_in_utc_backcompat'),
    rows: (rows, engine) => {
      assert.equal(rows[0]!.data_type, noZone[engine]);
      nearNow(instant(rows[0]!.actual), minutes(5), 'current_timestamp_in_utc_backcompat');
    },
    sql: {
      snowflake: ["convert_timezone('UTC', current_timestamp())::timestamp as actual"],
      bigquery: ['select current_timestamp as actual'],
    },
  },
  {
    name: 'snapshot_get_time',
    status: 'added',
    completed: 'the dispatching macro; its implementations are the snapshot SQL of templates/macros/adapters/',
    overrides: ['postgres', 'snowflake', 'bigquery'],
    model: "{{ config(materialized='table') }}\nselect {{ dbt.snapshot_get_time() }} as actual",
    read: withType('snapshot_get_time'),
    rows: (rows, engine) => {
      assert.equal(rows[0]!.data_type, noZone[engine]);
      nearNow(instant(rows[0]!.actual), minutes(15 * 60), 'snapshot_get_time');
    },
    sql: {
      snowflake: ["convert_timezone('UTC', current_timestamp())::timestamp_ntz as actual"],
      bigquery: ['cast(current_timestamp() as datetime) as actual'],
    },
  },
  // ---- introspection while compiling
  {
    name: 'get_columns_in_query',
    status: 'existed',
    overrides: [],
    dispatched: false,
    model: `{%- set columns = dbt.get_columns_in_query("select 1 as first_col, 'x' as second_col") -%}
select '{{ columns | join(",") }}' as actual`,
    rows: [{ actual: 'first_col,second_col' }],
    sql: {
      snowflake: ["select 'FIRST_COL,SECOND_COL' as actual"],
      bigquery: ["select 'first_col,second_col' as actual"],
    },
    asks: {
      snowflake: [
        {
          sql: "select * from (select 1 as first_col, 'x' as second_col) as __kiln_columns where false limit 0",
          columns: ['FIRST_COL', 'SECOND_COL'],
          rows: [],
        },
      ],
      bigquery: [
        {
          sql: "select * from (select 1 as first_col, 'x' as second_col) as __kiln_columns where false limit 0",
          columns: ['first_col', 'second_col'],
          rows: [],
        },
      ],
    },
  },
  {
    name: 'load_relation',
    status: 'existed',
    overrides: [],
    dispatched: false,
    model: `{%- set found = dbt.load_relation(ref('m_array_construct')) -%}
{%- set missing = dbt.load_relation(api.Relation.create(database=this.database, schema=this.schema, identifier='no_such_relation')) -%}
select '{{ found.type if found is not none else "none" }}' as existing, '{{ missing.type if missing is not none else "none" }}' as absent`,
    rows: [{ existing: 'view', absent: 'none' }],
    sql: {
      snowflake: ["select 'view' as existing, 'none' as absent"],
      bigquery: ["select 'view' as existing, 'none' as absent"],
    },
  },
];

const projectName = 'xdb';
const modelFiles = (): Record<string, string> =>
  Object.fromEntries(macros.map((m) => [`models/m_${m.name}.sql`, m.model + '\n']));
const collapse = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/** The engine's value in the shape of the expected one: numbers as numbers, lists element-wise. */
function like(actual: unknown, expected: unknown): unknown {
  if (typeof expected === 'number' && (typeof actual === 'string' || typeof actual === 'bigint')) return Number(actual);
  if (Array.isArray(expected) && Array.isArray(actual)) return actual.map((v, i) => like(v, expected[i]));
  return actual;
}

function checkRows(c: MacroCase, rows: Row[], engine: EngineName): void {
  if (typeof c.rows === 'function') return c.rows(rows, engine);
  const expected = Array.isArray(c.rows) ? c.rows : c.rows[engine];
  const shaped = rows.map((r, i) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, like(v, expected[i]?.[k])])),
  );
  assert.deepEqual(shaped, expected);
}

describeEngines((engine, engineName) => {
  const name = engineName as EngineName;
  let dir = '';
  let result: RunResult;

  before(async () => {
    dir = writeProject({
      ...minimalProject({
        'dbt_project.yml': `name: ${projectName}\nprofile: tiny\nconfig-version: 2\n`,
        ...modelFiles(),
      }),
      ...engine.profileFiles(),
    });
    result = await run({ projectDir: dir, profilesDir: existsSync(join(dir, 'profiles.yml')) ? dir : undefined });
  });
  after(() => {
    if (dir) removeDir(dir);
  });

  for (const c of macros) {
    test(`${name}: dbt.${c.name}`, async () => {
      const node = result.results.find((r) => r.uniqueId === `model.${projectName}.m_${c.name}`);
      assert.ok(node, `m_${c.name} was not run`);
      assert.equal(node.status, 'success', `${node.message}\n${node.compiledCode ?? ''}`);
      const rows = await engine.query(dir, (c.read ?? 'select * from {m}').replaceAll('{m}', `m_${c.name}`));
      checkRows(c, rows, name);
    });
  }
});

// ---- Snowflake and BigQuery: compile only, through the real adapter classes with a script
// standing in for the warehouse.

/** The questions models ask while compiling, answered from the table; anything else fails. */
class Script {
  readonly asked: string[] = [];
  constructor(private readonly cloud: CloudName) {}

  answer(sql: string): QueryResult {
    this.asked.push(collapse(sql));
    for (const c of macros) {
      const q = c.asks?.[this.cloud]?.find((a) => a.sql === collapse(sql));
      if (q)
        return {
          columns: q.columns,
          rows: q.rows.map((r) => Object.fromEntries(q.columns.map((col, i) => [col, r[i]]))),
        };
    }
    throw new Error(`the ${this.cloud} script has no answer for: ${collapse(sql)}`);
  }

  /** Every model exists, as a view, in the project's schema. */
  relations(schema: string): ExistingRelation[] {
    return macros.map((c) => ({ schema, name: `m_${c.name}`, type: 'view' }));
  }
}

class ScriptedSnowflake extends SnowflakeAdapter {
  constructor(
    profile: SnowflakeProfile,
    readonly script: Script,
  ) {
    super(profile);
  }
  override async open(): Promise<void> {}
  override async close(): Promise<void> {}
  override async execute(sql: string): Promise<QueryResult> {
    return this.script.answer(sql);
  }
  override async listRelations(_database: string | undefined, schema: string): Promise<ExistingRelation[]> {
    return this.script.relations(schema);
  }
}

class ScriptedBigQuery extends BigQueryAdapter {
  constructor(
    profile: BigQueryProfile,
    readonly script: Script,
  ) {
    super(profile);
  }
  override async open(): Promise<void> {}
  override async close(): Promise<void> {}
  override async execute(sql: string): Promise<QueryResult> {
    return this.script.answer(sql);
  }
  override async listRelations(_database: string | undefined, schema: string): Promise<ExistingRelation[]> {
    return this.script.relations(schema);
  }
}

const scripts: Record<CloudName, Script> = { snowflake: new Script('snowflake'), bigquery: new Script('bigquery') };
registerAdapter(
  'snowflake',
  async (target: TargetConfig) =>
    new ScriptedSnowflake(
      { ...(target.settings as unknown as SnowflakeProfile), threads: target.threads },
      scripts.snowflake,
    ),
);
registerAdapter(
  'bigquery',
  async (target: TargetConfig) =>
    new ScriptedBigQuery(
      { ...(target.settings as unknown as BigQueryProfile), threads: target.threads },
      scripts.bigquery,
    ),
);

const cloudProfiles = `tiny:
  target: sf
  outputs:
    sf:
      type: snowflake
      account: kiln_ci
      user: compiler
      password: not-used
      database: analytics
      schema: dbt_ci
      threads: 1
    bq:
      type: bigquery
      method: oauth-secrets
      token: not-used
      project: kiln-proj
      dataset: dbt_ci
      threads: 1
`;

for (const cloud of ['snowflake', 'bigquery'] as const) {
  describe(cloud, () => {
    let dir = '';
    let compiled: Map<string, string> | undefined;
    const target = cloud === 'snowflake' ? 'sf' : 'bq';

    before(async () => {
      dir = writeProject(
        minimalProject({
          'dbt_project.yml': `name: ${projectName}\nprofile: tiny\nconfig-version: 2\n`,
          'profiles.yml': cloudProfiles,
          ...modelFiles(),
        }),
      );
      const r = await compile({ projectDir: dir, profilesDir: dir, target });
      compiled = r.compiled;
    });
    after(() => {
      if (dir) removeDir(dir);
    });

    for (const c of macros) {
      test(`${cloud}: dbt.${c.name}`, () => {
        const sql = compiled?.get(`model.${projectName}.m_${c.name}`);
        assert.ok(sql !== undefined, `m_${c.name} was not compiled`);
        for (const fragment of c.sql[cloud])
          assert.ok(collapse(sql).includes(collapse(fragment)), `expected\n  ${fragment}\nin\n  ${collapse(sql)}`);
        for (const q of c.asks?.[cloud] ?? [])
          assert.ok(
            scripts[cloud].asked.includes(collapse(q.sql)),
            `expected the question\n  ${q.sql}\namong\n  ${scripts[cloud].asked.join('\n  ')}`,
          );
      });
    }
  });
}

test("the list is kiln's: each macro is dbt.<name>, dispatching ones have dbt.default__<name>, and exactly the listed adapters their own", async () => {
  const dir = writeProject(minimalProject({ 'models/one.sql': 'select 1 as id' }));
  try {
    const dbt = (await parse({ projectDir: dir })).session.engine.namespaces.get('dbt') ?? {};
    for (const c of macros) {
      assert.equal(typeof dbt[c.name], 'function', `dbt.${c.name}`);
      if (c.dispatched === false) continue;
      assert.equal(typeof dbt[`default__${c.name}`], 'function', `dbt.default__${c.name}`);
      for (const a of ['duckdb', 'postgres', 'snowflake', 'bigquery'] as const) {
        assert.equal(
          typeof dbt[`${a}__${c.name}`] === 'function',
          c.overrides.includes(a),
          `${a}__${c.name} ${c.overrides.includes(a) ? 'is listed but missing' : 'exists but is not listed'}`,
        );
      }
    }
  } finally {
    removeDir(dir);
  }
});

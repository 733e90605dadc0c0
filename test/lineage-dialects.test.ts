/**
 * Column edges of each SQL construct, in each adapter's dialect: the exact upstream columns
 * and kinds of every output column, read by the real parser.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryAnalyzer, type ExternalRelation } from '../src/lineage/query.js';
import { dialectOf, loadSqlParser, parseStatement } from '../src/lineage/sql.js';

before(() => loadSqlParser());

/** Two upstream models, `orders` and `customers`, with known columns. */
const known: Record<string, string[]> = {
  orders: ['order_id', 'customer_id', 'amount', 'status', 'ordered_at'],
  customers: ['customer_id', 'name', 'country'],
};
const resolve = (parts: string[]): ExternalRelation | undefined => {
  const name = parts.at(-1)!.toLowerCase();
  return known[name] ? { node: `model.p.${name}`, columns: known[name] } : undefined;
};

/** `column <- node.column:kind ...`, one line per output column, edges sorted. */
function lineageOf(sql: string, adapter: string): string[] {
  const parsed = parseStatement(sql, dialectOf(adapter));
  assert.ok(parsed.ok, `${adapter}: ${!parsed.ok && parsed.reason}`);
  const result = new QueryAnalyzer(resolve).statement(parsed.statement);
  return result.columns.map((c) =>
    `${c.name} <- ${c.upstream
      .map((e) => `${e.node.split('.').at(-1)}.${e.column}:${e.kind}`)
      .sort()
      .join(' ')}`.trimEnd(),
  );
}

const adapters = ['duckdb', 'postgres', 'snowflake', 'bigquery'] as const;
type Adapter = (typeof adapters)[number];

/** A relation as each dialect writes a qualified name. */
const table = (name: string, adapter: Adapter) =>
  adapter === 'bigquery' ? `\`proj\`.\`analytics\`.\`${name}\`` : `"db"."analytics"."${name}"`;

interface Case {
  construct: string;
  sql: (adapter: Adapter) => string;
  expected: string[];
  only?: Adapter[];
}

const cases: Case[] = [
  {
    construct: 'copied, renamed and transformed columns',
    sql: (a) =>
      `select order_id, customer_id as buyer_id, amount * 2 as doubled, cast(ordered_at as date) as order_date from ${table('orders', a)}`,
    expected: [
      'order_id <- orders.order_id:copied',
      'buyer_id <- orders.customer_id:copied',
      'doubled <- orders.amount:transformed',
      'order_date <- orders.ordered_at:transformed',
    ],
  },
  {
    construct: 'CTEs chained, with a filter',
    sql: (a) =>
      `with paid as (select order_id, amount from ${table('orders', a)} where status = 'paid'), big as (select order_id, amount + 1 as amount_plus from paid) select order_id, amount_plus from big`,
    expected: [
      'order_id <- orders.order_id:copied orders.status:filter',
      'amount_plus <- orders.amount:transformed orders.status:filter',
    ],
  },
  {
    construct: 'joins with ON',
    sql: (a) =>
      `select o.order_id, c.name from ${table('orders', a)} as o left join ${table('customers', a)} as c on o.customer_id = c.customer_id`,
    expected: [
      'order_id <- customers.customer_id:filter orders.customer_id:filter orders.order_id:copied',
      'name <- customers.customer_id:filter customers.name:copied orders.customer_id:filter',
    ],
  },
  {
    construct: 'joins with USING and select *',
    sql: (a) => `select * from ${table('orders', a)} as o join ${table('customers', a)} as c using (customer_id)`,
    expected: [
      'order_id <- customers.customer_id:filter orders.customer_id:filter orders.order_id:copied',
      'customer_id <- customers.customer_id:filter orders.customer_id:copied',
      'amount <- customers.customer_id:filter orders.amount:copied orders.customer_id:filter',
      'status <- customers.customer_id:filter orders.customer_id:filter orders.status:copied',
      'ordered_at <- customers.customer_id:filter orders.customer_id:filter orders.ordered_at:copied',
      'name <- customers.customer_id:filter customers.name:copied orders.customer_id:filter',
      'country <- customers.country:copied customers.customer_id:filter orders.customer_id:filter',
    ],
  },
  {
    construct: 'aggregates with group by',
    sql: (a) =>
      `select customer_id, sum(amount) as total, count(*) as n from ${table('orders', a)} group by customer_id`,
    expected: [
      'customer_id <- orders.customer_id:copied',
      'total <- orders.amount:aggregated orders.customer_id:filter',
      'n <- orders.customer_id:filter',
    ],
  },
  {
    construct: 'window functions',
    sql: (a) =>
      `select order_id, row_number() over (partition by customer_id order by ordered_at) as rn, sum(amount) over (partition by customer_id) as running from ${table('orders', a)}`,
    expected: [
      'order_id <- orders.order_id:copied',
      'rn <- orders.customer_id:transformed orders.ordered_at:transformed',
      'running <- orders.amount:aggregated orders.customer_id:transformed',
    ],
  },
  {
    construct: 'derived tables and scalar subqueries',
    sql: (a) =>
      `select d.customer_id, (select max(c.name) from ${table('customers', a)} as c where c.customer_id = d.customer_id) as name from (select customer_id from ${table('orders', a)} where amount > 0) as d`,
    expected: [
      'customer_id <- orders.amount:filter orders.customer_id:copied',
      'name <- customers.customer_id:filter customers.name:aggregated orders.amount:filter orders.customer_id:filter',
    ],
  },
  {
    construct: 'union all',
    sql: (a) =>
      `select customer_id as id, 'order' as kind from ${table('orders', a)} union all select customer_id, name from ${table('customers', a)}`,
    expected: ['id <- customers.customer_id:copied orders.customer_id:copied', 'kind <- customers.name:copied'],
  },
  {
    construct: 'in and exists subqueries filter',
    sql: (a) =>
      `select name from ${table('customers', a)} as c where c.customer_id in (select customer_id from ${table('orders', a)} where status = 'paid')`,
    expected: [
      'name <- customers.customer_id:filter customers.name:copied orders.customer_id:filter orders.status:filter',
    ],
  },
  {
    construct: 'select * exclude',
    only: ['duckdb', 'snowflake'],
    sql: (a) => `select * exclude (status, ordered_at) from ${table('orders', a)}`,
    expected: [
      'order_id <- orders.order_id:copied',
      'customer_id <- orders.customer_id:copied',
      'amount <- orders.amount:copied',
    ],
  },
  {
    construct: 'select * except and replace',
    only: ['bigquery'],
    sql: (a) => `select * except (status, ordered_at) replace (amount * 100 as amount) from ${table('orders', a)}`,
    expected: [
      'order_id <- orders.order_id:copied',
      'customer_id <- orders.customer_id:copied',
      'amount <- orders.amount:transformed',
    ],
  },
  {
    construct: 'qualify',
    only: ['duckdb', 'snowflake', 'bigquery'],
    sql: (a) =>
      `select order_id, amount from ${table('orders', a)} qualify row_number() over (partition by customer_id order by ordered_at desc) = 1`,
    expected: [
      'order_id <- orders.customer_id:filter orders.order_id:copied orders.ordered_at:filter',
      'amount <- orders.amount:copied orders.customer_id:filter orders.ordered_at:filter',
    ],
  },
  {
    construct: 'aggregate filter clause and :: casts',
    only: ['duckdb', 'postgres'],
    sql: (a) =>
      `select customer_id::int as customer_id, count(*) filter (where status = 'paid') as paid from ${table('orders', a)} group by 1`,
    expected: [
      'customer_id <- orders.customer_id:transformed',
      'paid <- orders.customer_id:filter orders.status:filter',
    ],
  },
  {
    construct: 'semi-structured access and iff',
    only: ['snowflake'],
    sql: (a) =>
      `select iff(amount > 0, status, null) as s, name:first::string as first_name from ${table('customers', a)} join ${table('orders', a)} using (customer_id)`,
    expected: [
      's <- customers.customer_id:filter orders.amount:transformed orders.customer_id:filter orders.status:transformed',
      'first_name <- customers.customer_id:filter customers.name:transformed orders.customer_id:filter',
    ],
  },
  {
    construct: 'unnest and safe_cast',
    only: ['bigquery'],
    sql: (a) =>
      `select safe_cast(o.amount as int64) as amount, tag from ${table('orders', a)} as o, unnest(split(o.status)) as tag`,
    expected: ['amount <- orders.amount:transformed', 'tag <- orders.status:transformed'],
  },
  {
    construct: 'distinct on',
    only: ['postgres'],
    sql: (a) =>
      `select distinct on (customer_id) customer_id, amount from ${table('orders', a)} order by customer_id, ordered_at desc`,
    expected: ['customer_id <- orders.customer_id:copied', 'amount <- orders.amount:copied'],
  },
];

for (const c of cases) {
  for (const adapter of c.only ?? adapters) {
    test(`${c.construct} (${adapter})`, () => {
      assert.deepEqual(lineageOf(c.sql(adapter), adapter), c.expected);
    });
  }
}

test('select * from a relation whose columns are unknown is a gap with the reason', () => {
  const parsed = parseStatement('select * from "db"."analytics"."mystery"', 'duckdb');
  assert.ok(parsed.ok);
  const analyzer = new QueryAnalyzer((parts) => ({ node: `model.p.${parts.at(-1)}` }));
  assert.throws(
    () => analyzer.statement(parsed.statement),
    /select \* from db\.analytics\.mystery: its columns are unknown/,
  );
});

test("SQL the dialect cannot parse gives the parser's reason with its position", () => {
  const parsed = parseStatement('select a from t where (', 'postgresql');
  assert.equal(parsed.ok, false);
  assert.match(!parsed.ok ? parsed.reason : '', /^postgresql parser: Expected: an expression/);
});

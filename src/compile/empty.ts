/**
 * `--empty`: models select no rows, so a build makes every relation with its real columns
 * and types but no data — enough for unit tests to type their fixtures on a fresh schema,
 * and a cheap check that the project's SQL plans. The model's query is wrapped in a
 * `where false` that warehouses fold away before reading anything. (dbt rewrites each ref
 * into a zero-row subquery instead, which breaks `from {{ ref('x') }} as x`.)
 */
import type { InvocationInfo } from '../template/context.js';
import type { GraphNode } from '../parse/nodes.js';

export function emptyIfAsked(info: Pick<InvocationInfo, 'flags'>, node: GraphNode, sql: string): string {
  if (info.flags.EMPTY !== true || (node.resourceType !== 'model' && node.resourceType !== 'snapshot')) return sql;
  return `select * from (\n${sql.trim().replace(/;\s*$/, '')}\n) as kiln_empty where false`;
}

/**
 * Building an incremental model: the first build (or a full refresh) creates the table, later
 * ones fold the new rows in with the configured strategy (incremental.ts), and microbatch
 * models go batch by batch (microbatch.ts, which folds each batch in the same way). Kept apart
 * from both so that neither imports the other's caller.
 */
import type { Relation } from '../adapters/relation.js';
import type { GraphNode } from '../parse/nodes.js';
import { foldInto, incrementalSettings, verbOf } from './incremental.js';
import type { BuildOutcome, Materializer } from './materialize.js';
import { buildMicrobatch } from './microbatch.js';

export async function buildIncremental(m: Materializer, node: GraphNode, sql: string): Promise<BuildOutcome> {
  const settings = incrementalSettings(node, m.adapter);
  if (settings.strategy === 'microbatch') return buildMicrobatch(m, node, settings);
  if (!m.isIncremental(node)) return m.swapIn(node, 'table', (tmp) => m.sql('create_table_as', tmp, sql));
  const target = m.relationFor(node).withType('table');
  const rows = await foldInto(m, node, sql, settings, { dest: target, pre: true, post: true });
  return { message: `${verbOf(settings)} ${rows}`, relation: target, rows };
}

/**
 * Write-audit-publish for an incremental model: the incremental step is applied to `staging`,
 * created as a copy of the existing table in the same transaction, and production is not
 * touched. The hooks run when the audited copy is published, not here.
 */
export async function stageIncremental(
  m: Materializer,
  node: GraphNode,
  sql: string,
  staging: Relation,
): Promise<BuildOutcome> {
  const settings = incrementalSettings(node, m.adapter);
  if (settings.strategy === 'microbatch') return buildMicrobatch(m, node, settings, staging);
  const target = m.relationFor(node).withType('table');
  if (!m.isIncremental(node)) {
    await m.adapter.execute(m.sql('create_table_as', staging, sql));
    await m.remember(staging, 'table');
    return { message: 'CREATE TABLE', relation: target };
  }
  const rows = await foldInto(m, node, sql, settings, { dest: staging, copyOf: target, pre: false, post: false });
  await m.remember(staging, 'table');
  return { message: `${verbOf(settings)} ${rows}`, relation: target, rows };
}

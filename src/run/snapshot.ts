/**
 * Snapshots (slowly changing dimensions, type 2): each run compares the source query with
 * the current rows of the snapshot table, closes the rows whose source changed (or vanished,
 * with hard_deletes) and adds their new versions. Rows are only ever added or closed, never
 * deleted, and a closed row is never touched again, so history survives any input.
 */
import { KilnError } from '../errors.js';
import type { GraphNode } from '../parse/nodes.js';
import { snapshotSettings } from '../parse/snapshots.js';
import type { BuildOutcome, Materializer } from './materialize.js';

const metaColumns = ['dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to'];

export async function buildSnapshot(m: Materializer, node: GraphNode, sql: string): Promise<BuildOutcome> {
  const s = snapshotSettings(node);
  const target = m.relationFor(node).withType('table');
  const existing = await m.existing(target);
  // Snapshots keep history, so a full refresh never rebuilds one, as in dbt.
  if (!existing) {
    const outcome = await m.swapIn(node, 'table', (tmp) =>
      m.sql('create_table_as', tmp, m.sql('snapshot_initial_sql', sql, s)),
    );
    return { ...outcome, message: 'SNAPSHOT created' };
  }
  if (existing !== 'table') {
    throw new KilnError(
      'database',
      `snapshot '${node.name}': ${target.render()} exists as a ${existing}, not a table`,
      { file: node.originalFilePath, hint: 'drop it, or give the snapshot another name or schema' },
    );
  }
  const probe = target.withIdentifier(target.identifier + m.tempSuffix + '_src').withType('view');
  const closing = target.withIdentifier(target.identifier + m.tempSuffix + '_close');
  const opening = target.withIdentifier(target.identifier + m.tempSuffix + '_open');
  for (const r of [probe, closing, opening]) await m.dropIfExists(r);
  await m.adapter.execute(m.sql('create_view_as', probe, sql));
  await m.remember(probe, 'view');
  try {
    const [tableCols, sourceCols] = await Promise.all([m.adapter.getColumns(target), m.adapter.getColumns(probe)]);
    const inTable = new Set(tableCols.map((c) => c.name.toLowerCase()));
    const missingMeta = metaColumns.filter((c) => !inTable.has(c));
    if (missingMeta.length) {
      throw new KilnError(
        'database',
        `snapshot '${node.name}': ${target.render()} is not a snapshot table (no ${missingMeta.join(', ')})`,
        { file: node.originalFilePath, hint: 'drop it, or give the snapshot another name or schema' },
      );
    }
    const columns = sourceCols
      .map((c) => c.name)
      .filter((c) => !metaColumns.includes(c.toLowerCase()) && c.toLowerCase() !== 'dbt_is_deleted');
    // New source columns join the table (null in older rows); columns the source dropped stay.
    const added = sourceCols.filter((c) => columns.includes(c.name) && !inTable.has(c.name.toLowerCase()));
    const addDeleted = s.hard_deletes === 'new_record' && !inTable.has('dbt_is_deleted');
    const settings = { ...s, columns, check_cols: s.check_cols === 'all' ? columns : s.check_cols };
    const insertColumns = [...columns, ...metaColumns, ...(s.hard_deletes === 'new_record' ? ['dbt_is_deleted'] : [])];
    let closed = 0;
    let opened = 0;
    await m.adapter.transaction(async (tx) => {
      await m.runHooks(node, 'pre_hook', tx);
      for (const c of added) await tx.execute(m.sql('alter_add_column', target, c.name, c.type));
      if (addDeleted) {
        await tx.execute(m.sql('alter_add_column', target, 'dbt_is_deleted', 'varchar'));
        await tx.execute(m.sql('snapshot_mark_not_deleted', target));
      }
      // Both change sets are computed from the table as it was, before either is applied.
      await tx.execute(m.sql('create_table_as', closing, m.sql('snapshot_closing_sql', target, probe, settings)));
      await tx.execute(m.sql('create_table_as', opening, m.sql('snapshot_opening_sql', target, probe, settings)));
      closed = Number((await tx.execute(m.sql('count_rows', closing))).rows[0]?.n ?? 0);
      opened = Number((await tx.execute(m.sql('count_rows', opening))).rows[0]?.n ?? 0);
      await tx.execute(m.sql('snapshot_close_rows', target, closing, settings));
      await tx.execute(m.sql('snapshot_insert_rows', target, opening, insertColumns));
      await tx.execute(m.sql('drop_relation', closing, 'table'));
      await tx.execute(m.sql('drop_relation', opening, 'table'));
      await m.runHooks(node, 'post_hook', tx);
    });
    return { message: `SNAPSHOT ${opened} inserted, ${closed} closed`, relation: target, rows: opened };
  } finally {
    await m.adapter.execute(m.sql('drop_relation', probe, 'view')).catch(() => undefined);
    await m.remember(probe, undefined);
  }
}

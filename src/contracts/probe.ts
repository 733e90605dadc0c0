/**
 * The columns and types a query returns, read without computing a row: the query becomes a
 * view (creating a view plans the query but runs nothing), the warehouse is asked for the
 * view's columns, and the view is dropped. Works the same on every adapter.
 */
import { randomBytes } from 'node:crypto';
import type { ColumnInfo } from '../adapters/types.js';
import type { Relation } from '../adapters/relation.js';
import type { Materializer } from '../run/materialize.js';

/** `near` gives the schema the probe view is made in (the node's own). */
export async function probeColumns(m: Materializer, near: Relation, sql: string): Promise<ColumnInfo[]> {
  // A short random name: several probes may run at once, and PostgreSQL cuts names at 63 bytes.
  const probe = m.adapter.relation(near.database, near.schema, `kiln_probe_${randomBytes(5).toString('hex')}`, 'view');
  await m.ensureSchema(probe.database, probe.schema!);
  await m.adapter.execute(m.sql('create_view_as', probe, sql));
  try {
    return await m.adapter.getColumns(probe);
  } finally {
    await m.adapter.execute(m.sql('drop_relation', probe, 'view')).catch(() => undefined);
  }
}

/** Base type name for comparing: case, spacing and size or precision modifiers do not count. */
export function baseType(type: string): string {
  return type
    .replace(/\(.*?\)/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * Promise.all that waits for every query before failing: a rejected query must not leave
 * another one running on a connection the run is about to close.
 */
export async function allSettled<T extends readonly unknown[]>(promises: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

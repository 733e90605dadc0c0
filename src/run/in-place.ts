/**
 * Building in place, for warehouses whose `create or replace` is one atomic statement
 * (Snowflake, BigQuery: Adapter.replacesAtomically; DuckDB for views: replacesViewsAtomically). Their DDL cannot be
 * rolled back with a
 * transaction, so renaming a temporary relation into place would leave a moment with no
 * relation, or none at all if the rename failed. One `create or replace` instead either
 * succeeds whole or leaves the old relation exactly as it was: the same guarantee.
 */
import type { Relation, RelationType } from '../adapters/relation.js';
import type { Session } from '../adapters/types.js';
import type { GraphNode } from '../parse/nodes.js';
import type { BuildOutcome, Materializer } from './materialize.js';

export async function buildInPlace(
  m: Materializer,
  node: GraphNode,
  type: RelationType,
  create: (relation: Relation) => string,
  fill?: (relation: Relation, s: Session) => Promise<number>,
): Promise<BuildOutcome> {
  const target = m.relationFor(node).withType(type);
  await m.ensureSchema(target.database, target.schema!);
  const old = await m.existing(target);
  // A table cannot replace a view (or the reverse) in one statement; only then is the old
  // relation dropped first, and only once the new one is known to build (seeds) or just before.
  const dropOther = (s: Session) =>
    old && old !== type ? s.execute(m.sql('drop_relation', target.withType(old), old)) : Promise.resolve(undefined);
  let rows: number | undefined;
  if (fill) {
    // Seeds: rows are loaded into a scratch table, which then replaces the target in one statement.
    const scratch = target.withIdentifier(target.identifier + m.tempSuffix).withType('table');
    await m.dropIfExists(scratch);
    try {
      await m.adapter.transaction(async (s) => {
        await m.runHooks(node, 'pre_hook', s);
        await s.execute(create(scratch));
        rows = await fill(scratch, s);
        await dropOther(s);
        await s.execute(m.sql('create_table_as', target, `select * from ${scratch.render()}`));
        await s.execute(m.sql('drop_relation', scratch, 'table'));
        await m.runHooks(node, 'post_hook', s);
      });
    } catch (e) {
      // The scratch table's DDL is outside what a rollback undoes on these warehouses.
      await m.adapter.execute(m.sql('drop_relation', scratch, 'table')).catch(() => undefined);
      throw e;
    }
  } else if ((!old || old === type) && !m.hasHooksInTransaction(node)) {
    // One statement, atomic by itself: no transaction around it (two round trips fewer per node).
    await m.adapter.execute(create(target));
  } else {
    await m.adapter.transaction(async (s) => {
      await m.runHooks(node, 'pre_hook', s);
      await dropOther(s);
      await s.execute(create(target));
      await m.runHooks(node, 'post_hook', s);
    });
  }
  await m.remember(target, type);
  const what = node.resourceType === 'seed' ? `INSERT ${rows ?? 0}` : `CREATE ${type.toUpperCase()}`;
  return { message: what, relation: target, rows };
}

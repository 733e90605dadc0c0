/**
 * Other runs of kiln on the same target: what a killed run left behind, and how a live one
 * is told apart from a dead one.
 *
 * A run killed at the wrong moment (kill -9, a machine crash) can leave staging relations
 * (`<model>__kiln_tmp[_<invocation>]`, `..._src`, `<model>__kiln_audit[_<invocation>]`) and, on a server that
 * has not noticed the client is gone, queries still running and holding locks. At its start
 * a run stops the queries of dead runs and drops their staging relations from the schemas it
 * builds into, never those of a run still alive. Quarantined data (`__kiln_quarantine`) is
 * kept on purpose and is not touched here.
 *
 * Telling runs apart needs the warehouse's help (RunGuard, PostgreSQL); without it, every
 * staging relation found is taken for a leftover, as a warehouse file only one process can
 * open (DuckDB) makes true.
 */
import { createHash } from 'node:crypto';
import type { Adapter, ExistingRelation } from '../adapters/types.js';
import type { GraphNode } from '../parse/nodes.js';
import type { Relation } from '../adapters/relation.js';
import type { LockHolder, RunGuard } from '../adapters/types.js';

export function runGuard(adapter: Adapter): RunGuard | undefined {
  const a = adapter as Partial<RunGuard>;
  return typeof a.claimInvocation === 'function' && typeof a.lockRelation === 'function'
    ? (adapter as Adapter & RunGuard)
    : undefined;
}

/** Eight hex digits naming an invocation in staging names and connection tags. */
export function shortInvocationId(invocationId: string): string {
  const hex = invocationId.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{8}/.test(hex) ? hex.slice(0, 8) : createHash('sha1').update(invocationId).digest('hex').slice(0, 8);
}

export function describeHolder(holder: LockHolder): string {
  const s = holder.session;
  return s
    ? `kiln invocation ${s.invocation} (pid ${s.clientPid} on ${s.host || 'an unnamed host'}) is building it`
    : `another session (server pid ${holder.backendPid}, application '${holder.application}') holds its lock`;
}

/** Notices of the run this adapter serves (the runner hands them to dropLeftovers). */
const notices = new WeakMap<Adapter, (message: string) => void>();

export function noticeFor(adapter: Adapter): (message: string) => void {
  return notices.get(adapter) ?? (() => undefined);
}

/**
 * `<base>__kiln_tmp[_<invocation>]`, either with `_src` (and the like), `<base>__kiln_audit[_<invocation>]`,
 * in any case: a warehouse that folds names to upper case (Snowflake) keeps `<BASE>__KILN_TMP`.
 */
const leftover = /^(.+?)__kiln_(?:tmp(?:_([0-9a-f]{8}))?(?:_(?:src|close|open))?|audit(?:_([0-9a-f]{8}))?)$/i;

/**
 * What dropLeftovers needs of the run's materializer: its listing of a schema (made once per run, and kept for the
 * build) and the SQL to drop.
 */
export interface LeftoverCleaner {
  relationsIn(database: string | undefined, schema: string): Promise<Map<string, ExistingRelation>>;
  remember(relation: Relation, type: undefined): Promise<void>;
  sql(name: 'drop_relation', relation: Relation, type: string): string;
}

export async function dropLeftovers(
  adapter: Adapter,
  nodes: GraphNode[],
  cleaner: LeftoverCleaner,
  log: (message: string) => void,
): Promise<number> {
  notices.set(adapter, log);
  const guard = runGuard(adapter);
  if (guard) await stopOrphanedQueries(guard, log);
  const live = guard ? await guard.liveInvocations() : new Set<string>();
  const schemas = new Map<string, { database: string | undefined; schema: string }>();
  for (const n of nodes)
    if (n.resourceType !== 'test' && n.schema)
      schemas.set(`${n.database ?? ''}.${n.schema}`, { database: n.database, schema: n.schema });
  let dropped = 0;
  for (const { database, schema } of schemas.values()) {
    let relations;
    try {
      relations = [...(await cleaner.relationsIn(database, schema)).values()];
    } catch {
      continue; // The schema does not exist yet: nothing to clean.
    }
    for (const r of relations) {
      const m = leftover.exec(r.name);
      if (!m) continue;
      const [, base, tmpInvocation, auditInvocation] = m;
      const invocation = (tmpInvocation ?? auditInvocation)?.toLowerCase();
      // A live run's staging relation is its work in progress.
      if (invocation && live.has(invocation)) continue;
      const rel = adapter.relation(database, schema, r.name, r.type);
      // A name without the invocation may be another run's: only drop it while no run builds its model.
      const release =
        guard && !invocation ? await guard.tryLockRelation(adapter.relation(database, schema, base!)) : undefined;
      if (guard && !invocation && !release) continue;
      try {
        await adapter.execute(cleaner.sql('drop_relation', rel, r.type === 'view' ? 'view' : 'table'));
        await cleaner.remember(rel, undefined);
      } finally {
        await release?.();
      }
      log(
        `dropped ${rel.render()}, left behind by an interrupted run${invocation ? ` (invocation ${invocation})` : ''}`,
      );
      dropped++;
    }
  }
  return dropped;
}

/** Queries that dead runs left running hold locks the new run would wait for in silence. */
async function stopOrphanedQueries(guard: RunGuard, log: (message: string) => void): Promise<void> {
  const orphans = await guard.orphanedSessions();
  if (!orphans.length) return;
  const stuck = new Set(await guard.stopSessions(orphans.map((o) => o.backendPid)));
  for (const o of orphans) {
    const who =
      `kiln invocation ${o.invocation} (pid ${o.clientPid} on ${o.host || 'an unnamed host'}), ` +
      `which is no longer running`;
    const what = o.state === 'idle' ? 'an idle connection' : `a query`;
    const query = o.query.replace(/\s+/g, ' ').trim();
    const detail =
      o.state === 'idle' || !query
        ? ''
        : `: ${query.length > 100 ? query.slice(0, 100) + '…' : query} (running for ${Math.round(o.seconds)} s)`;
    if (stuck.has(o.backendPid))
      log(
        `could not stop ${what} of ${who}${detail}: ask an administrator ` +
          `to end server process ${o.backendPid} (pg_terminate_backend)`,
      );
    else if (o.state !== 'idle') log(`stopped ${what} of ${who}${detail}`);
  }
}

/**
 * Other runs of kiln on the same target: what a killed run left behind, and how a live one
 * is told apart from a dead one.
 *
 * A run killed at the wrong moment (kill -9, a machine crash) can leave staging relations
 * (`<model>__kiln_tmp[_<invocation>]`, `..._src`, `<model>__kiln_audit`) and, on a server that
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
import type { Relation, RelationType } from '../adapters/relation.js';

/** A connection of another kiln invocation, as the warehouse sees it. */
export interface KilnSession {
  /** The server process serving it (what pg_cancel_backend takes). */
  backendPid: number;
  /** The invocation's short id (see shortInvocationId). */
  invocation: string;
  /** The kiln process and its host, as the invocation recorded them. */
  clientPid: number;
  host: string;
  state: string;
  query: string;
  /** How long its current (or last) query has been running. */
  seconds: number;
}

/** Whoever holds a relation's build lock. */
export interface LockHolder {
  backendPid: number;
  application: string;
  /** Set when the holder is a kiln invocation. */
  session?: Pick<KilnSession, 'invocation' | 'clientPid' | 'host'>;
}

/**
 * What an adapter offers so that concurrent and killed runs leave each other alone. An
 * invocation tags its connections and holds a lock for as long as it lives, so a connection
 * tagged with an invocation whose lock nobody holds belongs to a dead run.
 *
 * (Optional Adapter members in effect: they belong in src/adapters/types.ts.)
 */
export interface RunGuard {
  /** Tags the adapter's connections with the invocation and holds its liveness lock until close(). */
  claimInvocation(invocation: string): void;
  /** Connections of kiln invocations that are no longer alive. */
  orphanedSessions(): Promise<KilnSession[]>;
  /** Cancels, then terminates, these backends; resolves with the ones still there after a few seconds. */
  stopSessions(backendPids: number[]): Promise<number[]>;
  /** The short ids of the invocations alive now, this one included. */
  liveInvocations(): Promise<Set<string>>;
  /** Takes the relation's build lock, waiting while another session holds it; resolves with its release. */
  lockRelation(relation: Relation, onWait: (holder: LockHolder, waitedSeconds: number) => void): Promise<() => Promise<void>>;
  /** Takes the relation's build lock only if it is free. */
  tryLockRelation(relation: Relation): Promise<(() => Promise<void>) | undefined>;
  /** What the warehouse holds under the relation's name now, bypassing any listing. */
  currentType(relation: Relation): Promise<RelationType | undefined>;
}

export function runGuard(adapter: Adapter): RunGuard | undefined {
  const a = adapter as Partial<RunGuard>;
  return typeof a.claimInvocation === 'function' && typeof a.lockRelation === 'function' ? (adapter as Adapter & RunGuard) : undefined;
}

/** Eight hex digits naming an invocation in staging names and connection tags. */
export function shortInvocationId(invocationId: string): string {
  const hex = invocationId.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{8}/.test(hex) ? hex.slice(0, 8) : createHash('sha1').update(invocationId).digest('hex').slice(0, 8);
}

export function describeHolder(holder: LockHolder): string {
  const s = holder.session;
  return s ? `kiln invocation ${s.invocation} (pid ${s.clientPid} on ${s.host || 'an unnamed host'}) is building it` : `another session (server pid ${holder.backendPid}, application '${holder.application}') holds its lock`;
}

/** Notices of the run this adapter serves (the runner hands them to dropLeftovers). */
const notices = new WeakMap<Adapter, (message: string) => void>();

export function noticeFor(adapter: Adapter): (message: string) => void {
  return notices.get(adapter) ?? (() => undefined);
}

/** `<base>__kiln_tmp`, `<base>__kiln_tmp_<invocation>`, either with `_src` (and the like), `<base>__kiln_audit`. */
const leftover = /^(.+?)__kiln_(?:tmp(?:_([0-9a-f]{8}))?(?:_(?:src|close|open))?|audit)$/;

/** What dropLeftovers needs of the run's materializer: its listing of a schema (made once per run, and kept for the build) and the SQL to drop. */
export interface LeftoverCleaner {
  relationsIn(database: string | undefined, schema: string): Promise<Map<string, ExistingRelation>>;
  remember(relation: Relation, type: undefined): Promise<void>;
  sql(name: 'drop_relation', relation: Relation, type: string): string;
}

export async function dropLeftovers(adapter: Adapter, nodes: GraphNode[], cleaner: LeftoverCleaner, log: (message: string) => void): Promise<number> {
  notices.set(adapter, log);
  const guard = runGuard(adapter);
  if (guard) await stopOrphanedQueries(guard, log);
  const live = guard ? await guard.liveInvocations() : new Set<string>();
  const schemas = new Map<string, { database: string | undefined; schema: string }>();
  for (const n of nodes) if (n.resourceType !== 'test' && n.schema) schemas.set(`${n.database ?? ''}.${n.schema}`, { database: n.database, schema: n.schema });
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
      const [, base, invocation] = m;
      // A live run's staging relation is its work in progress.
      if (invocation && live.has(invocation)) continue;
      const rel = adapter.relation(database, schema, r.name, r.type);
      // A name without the invocation may be another run's: only drop it while no run builds its model.
      const release = guard && !invocation ? await guard.tryLockRelation(adapter.relation(database, schema, base!)) : undefined;
      if (guard && !invocation && !release) continue;
      try {
        await adapter.execute(cleaner.sql('drop_relation', rel, r.type === 'view' ? 'view' : 'table'));
        await cleaner.remember(rel, undefined);
      } finally {
        await release?.();
      }
      log(`dropped ${rel.render()}, left behind by an interrupted run${invocation ? ` (invocation ${invocation})` : ''}`);
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
    const who = `kiln invocation ${o.invocation} (pid ${o.clientPid} on ${o.host || 'an unnamed host'}), which is no longer running`;
    const what = o.state === 'idle' ? 'an idle connection' : `a query`;
    const query = o.query.replace(/\s+/g, ' ').trim();
    const detail = o.state === 'idle' || !query ? '' : `: ${query.length > 100 ? query.slice(0, 100) + '…' : query} (running for ${Math.round(o.seconds)} s)`;
    if (stuck.has(o.backendPid)) log(`could not stop ${what} of ${who}${detail}: ask an administrator to end server process ${o.backendPid} (pg_terminate_backend)`);
    else if (o.state !== 'idle') log(`stopped ${what} of ${who}${detail}`);
  }
}

/**
 * Materializations as control flow: what to create, in which order, in which transaction.
 * How each warehouse spells it comes from dispatched macros in templates/. A table or view
 * is built under a temporary name and swapped in, so a failed build never replaces a good
 * relation with a half-built one.
 *
 * Where the warehouse can tell runs apart (RunGuard, PostgreSQL), a node's relation is built
 * under a lock that other runs wait for, and staging names carry the invocation.
 */
import { KilnError } from '../errors.js';
import type { Adapter, ExistingRelation, RunGuard, Session } from '../adapters/types.js';
import type { Relation, RelationType } from '../adapters/relation.js';
import type { Compiler } from '../compile/compiler.js';
import type { ParsedProject } from '../parse/index.js';
import type { KilnSession } from '../session.js';
import type { GraphNode } from '../parse/nodes.js';
import { dispatchMacro } from '../template/context.js';
import { renderWithWarehouse } from '../template/warehouse.js';
import { readSeedInChunks } from '../seeds/csv.js';
import { join } from 'node:path';
import { buildIncremental } from './incremental-build.js';
import { buildSnapshot } from './snapshot.js';
import { buildInPlace } from './in-place.js';
import { RebuiltViews } from './rebuilt-views.js';
import { GatingTests } from './gating-tests.js';
import { currentNode, withNode } from '../adapters/node-context.js';
import { buildWithContract } from '../contracts/build.js';
import { contractEnforced } from '../parse/contracts.js';
import { describeHolder, noticeFor, runGuard, shortInvocationId } from './leftovers.js';

/** Adapters that count their cancel() calls, so that work between statements can stop too. */
interface CountsCancellations {
  readonly cancellations: number;
}

function cancellations(adapter: Adapter): number | undefined {
  const n = (adapter as Partial<CountsCancellations>).cancellations;
  return typeof n === 'number' ? n : undefined;
}

/** What a step with nothing to do returns: one promise for all of them. */
const nothingToDo: Promise<void> = Promise.resolve();

/** Nodes that build a relation of their own. */
function buildsRelation(node: GraphNode): boolean {
  return (
    (node.resourceType === 'model' && node.config.materialized !== 'ephemeral') ||
    node.resourceType === 'seed' ||
    node.resourceType === 'snapshot'
  );
}

export interface BuildOutcome {
  message: string;
  relation?: Relation;
  rows?: number;
}

export class Materializer {
  private readonly known = new Map<string, Promise<Map<string, ExistingRelation>>>();
  private readonly schemas = new Map<string, Promise<void>>();
  private readonly incremental = new Set<string>();
  private readonly guard?: RunGuard;
  readonly adapter: Adapter;
  /** Build locks held, by node id: taken before a node builds, released when it is done. */
  private readonly locks = new Map<string, Promise<() => Promise<void>>>();
  private readonly building = new Set<string>();
  /**
   * Each adapter macro as dispatched for this run (the project's, a package's or kiln's): the macros are fixed once
   * parsed, and a view's build looked its macro up through every prefix again.
   */
  private readonly dispatched = new Map<string, (...a: unknown[]) => unknown>();
  private readonly rebuiltViews: RebuiltViews;
  /** The tests that gate a model's publication under write-audit-publish (audit.ts). */
  readonly gatingTests: GatingTests;
  /**
   * Suffixes of staging relations (`<model>__kiln_tmp`, `<model>__kiln_audit`), with the
   * invocation appended where runs are told apart, so that one run never touches another's.
   */
  readonly tempSuffix: string;
  readonly auditSuffix: string;

  constructor(
    readonly parsed: ParsedProject,
    readonly compiler: Compiler,
    readonly session: KilnSession,
  ) {
    this.adapter = session.adapter;
    this.rebuiltViews = new RebuiltViews(
      parsed.manifest.nodes,
      () => session.selectedResources,
      this.adapter.defaultSchema,
    );
    this.gatingTests = new GatingTests(parsed.manifest.nodes);
    this.guard = runGuard(this.adapter);
    if (this.guard) {
      const invocation = shortInvocationId(session.invocationId);
      this.guard.claimInvocation(invocation);
      this.tempSuffix = `__kiln_tmp_${invocation}`;
      this.auditSuffix = `__kiln_audit_${invocation}`;
    } else {
      this.tempSuffix = '__kiln_tmp';
      this.auditSuffix = '__kiln_audit';
    }
  }

  /** Renders a dispatched adapter macro (e.g. create_table_as) into SQL. */
  sql(name: string, ...args: unknown[]): string {
    let fn = this.dispatched.get(name);
    if (!fn) {
      fn = dispatchMacro(this.session.engine, this.adapter.type, name) as (...a: unknown[]) => unknown;
      this.dispatched.set(name, fn);
    }
    // Adapter macros read the configs of the node being built (`config.get('cluster_by')`), as dbt's do.
    const building = currentNode(this.adapter);
    const node = building && this.parsed.manifest.nodes.get(building.uniqueId);
    if (node) this.session.engine.install(this.compiler.nodeScope(node));
    // Views the run rebuilds after this node, which a rename may drop (rebuilt-views.ts): only
    // the rename reads them, and walking a node's descendants costs at 10,000 models.
    if (name === 'rename_relation')
      this.session.engine.setGlobal('kiln_rebuilt_views', node ? this.rebuiltViews.of(node) : []);
    return String(fn(...args)).trim();
  }

  private schemaKey(database: string | undefined, schema: string): string {
    return `${database ?? ''}\u0000${schema}`;
  }

  /** The relations of a schema, listed once per invocation and kept up to date. */
  relationsIn(database: string | undefined, schema: string): Promise<Map<string, ExistingRelation>> {
    const key = this.schemaKey(database, schema);
    let p = this.known.get(key);
    if (!p) {
      p = this.adapter.listRelations(database, schema).then((list) => new Map(list.map((r) => [r.name, r])));
      this.known.set(key, p);
      // A schema that does not exist yet may fail to list (before ensureSchema): list it again later.
      p.catch(() => this.known.get(key) === p && this.known.delete(key));
    }
    return p;
  }

  async existing(relation: Relation): Promise<RelationType | undefined> {
    const rels = await this.relationsIn(relation.database, relation.schema ?? this.adapter.defaultSchema);
    return rels.get(relation.identifier)?.type;
  }

  async remember(relation: Relation, type: RelationType | undefined): Promise<void> {
    const rels = await this.relationsIn(relation.database, relation.schema ?? this.adapter.defaultSchema);
    if (type)
      rels.set(relation.identifier, {
        database: relation.database,
        schema: relation.schema!,
        name: relation.identifier,
        type,
      });
    else rels.delete(relation.identifier);
  }

  /** Creates the schema once per invocation, unless its listing already showed relations in it (it exists). */
  ensureSchema(database: string | undefined, schema: string): Promise<void> {
    const key = this.schemaKey(database, schema);
    let p = this.schemas.get(key);
    if (!p) {
      const listed = this.known.get(key)?.then(
        (relations) => relations.size > 0,
        () => false,
      );
      p = (listed ?? Promise.resolve(false)).then((exists) =>
        exists ? undefined : this.adapter.createSchema(database, schema),
      );
      this.schemas.set(key, p);
    }
    return p;
  }

  relationFor(node: GraphNode): Relation {
    return this.adapter.relation(
      node.database,
      node.schema,
      node.alias,
      node.config.materialized === 'view' ? 'view' : 'table',
    );
  }

  /** Whether the node's relation must be rebuilt from scratch (`full_refresh` config wins over the flag). */
  fullRefresh(node: GraphNode): boolean {
    const own = node.config.full_refresh;
    if (own !== undefined && own !== null) return own === true || String(own).toLowerCase() === 'true';
    return this.session.info.flags.FULL_REFRESH === true;
  }

  /**
   * Looks up what a node needs to know before it renders: `is_incremental()` is true only
   * when the relation exists as a table and no full refresh was asked for.
   */
  prepare(node: GraphNode): Promise<void> {
    if (node.config.materialized !== 'incremental' || node.resourceType !== 'model') return nothingToDo;
    return this.prepareIncremental(node);
  }

  private async prepareIncremental(node: GraphNode): Promise<void> {
    // Another run may have built it since the schema was listed.
    if (this.guard) await this.remember(this.relationFor(node), await this.guard.currentType(this.relationFor(node)));
    const existing = await this.existing(this.relationFor(node));
    if (existing === 'table' && !this.fullRefresh(node)) this.incremental.add(node.uniqueId);
    else this.incremental.delete(node.uniqueId);
  }

  /** `is_incremental()` for a node prepared by `prepare`. */
  isIncremental(node: GraphNode): boolean {
    return this.incremental.has(node.uniqueId);
  }

  /** `contractChecked`: set when the contracts module calls back for the usual build. */
  async build(node: GraphNode, compiledSql: string, contractChecked = false): Promise<BuildOutcome> {
    // Everything below (macros, adapter sessions) can ask which node it works for.
    if (currentNode(this.adapter)?.uniqueId !== node.uniqueId)
      return withNode(this.adapter, { uniqueId: node.uniqueId, name: node.name, config: node.config }, () =>
        this.build(node, compiledSql),
      );
    // The contract check calls back here for the usual build: the lock is already held.
    if (this.building.has(node.uniqueId)) return this.materialize(node, compiledSql, contractChecked);
    this.building.add(node.uniqueId);
    try {
      return await this.withBuildLock(node, () => this.materialize(node, compiledSql, contractChecked));
    } finally {
      this.building.delete(node.uniqueId);
    }
  }

  /**
   * Runs fn under the build lock of the node's relation (see holdLock), released however fn
   * ends. An audited build does not pass through here: runOutsideHooks takes its lock.
   */
  private withBuildLock<T>(node: GraphNode, fn: () => Promise<T>): Promise<T> {
    // Where runs are not told apart there is no lock to take or release.
    return this.guard ? this.withLockHeld(node, fn) : fn();
  }

  private async withLockHeld<T>(node: GraphNode, fn: () => Promise<T>): Promise<T> {
    try {
      await this.holdLock(node);
      return await fn();
    } finally {
      await this.releaseLock(node);
    }
  }

  /**
   * Takes the build lock of the node's relation, so that no other run builds it meanwhile;
   * while another run holds it, waits and says for whom. The relation is then looked up
   * again: the other run may have changed it since the schema was listed.
   */
  private async holdLock(node: GraphNode): Promise<void> {
    const guard = this.guard;
    if (!guard || !buildsRelation(node)) return;
    let held = this.locks.get(node.uniqueId);
    if (!held) {
      const target = this.relationFor(node);
      const say = noticeFor(this.adapter);
      held = (async () => {
        // The lock comes with the relation's type read under it, in one round trip.
        const { release, type } = await guard.lockRelation(target, (holder, waited) =>
          say(
            `${waited ? `still waiting (${Math.round(waited)} s)` : 'waiting'} ` +
              `for ${target.render()}: ${describeHolder(holder)}`,
          ),
        );
        try {
          await this.remember(target, type);
        } catch (e) {
          await release();
          throw e;
        }
        return release;
      })();
      this.locks.set(node.uniqueId, held);
      held.catch(() => this.locks.delete(node.uniqueId));
    }
    await held;
  }

  private async releaseLock(node: GraphNode): Promise<void> {
    const held = this.locks.get(node.uniqueId);
    if (!held) return;
    this.locks.delete(node.uniqueId);
    const release = await held.catch(() => undefined);
    await release?.();
  }

  private async materialize(node: GraphNode, compiledSql: string, contractChecked: boolean): Promise<BuildOutcome> {
    const materialized =
      node.resourceType === 'seed'
        ? 'seed'
        : node.resourceType === 'snapshot'
          ? 'snapshot'
          : String(node.config.materialized ?? 'view');
    if (!contractChecked && contractEnforced(node))
      return buildWithContract(this, node, compiledSql, materialized, () => this.build(node, compiledSql, true));
    switch (materialized) {
      case 'view':
        return this.swapIn(node, 'view', (tmp) => this.sql('create_view_as', tmp, compiledSql));
      case 'table':
        return this.swapIn(node, 'table', (tmp) => this.sql('create_table_as', tmp, compiledSql));
      case 'incremental':
        return buildIncremental(this, node, compiledSql);
      case 'snapshot':
        return buildSnapshot(this, node, compiledSql);
      case 'seed':
        return this.seed(node);
      case 'ephemeral':
        return { message: 'ephemeral (inlined as a CTE)' };
      default:
        throw new KilnError('config', `materialization '${materialized}' is not supported`, {
          file: node.originalFilePath,
          hint: 'use view, table, incremental or ephemeral',
        });
    }
  }

  async dropIfExists(relation: Relation, session?: Session): Promise<void> {
    const type = await this.existing(relation);
    if (!type) return;
    const sql = this.sql('drop_relation', relation, type);
    await (session ? session.execute(sql) : this.adapter.execute(sql));
    await this.remember(relation, undefined);
  }

  /**
   * Builds the new relation under a temporary name and renames it into place, all in one
   * transaction with the node's hooks, so a failure anywhere leaves the old relation as it was.
   */
  async swapIn(
    node: GraphNode,
    type: RelationType,
    create: (tmp: Relation) => string,
    fill?: (tmp: Relation, s: Session) => Promise<number>,
  ): Promise<BuildOutcome> {
    if (this.adapter.replacesAtomically) return buildInPlace(this, node, type, create, fill);
    const target = this.relationFor(node).withType(type);
    if (type === 'view' && !fill && this.adapter.replacesViewsAtomically) {
      const refuses = this.adapter.refusesViewReplacement?.bind(this.adapter);
      const old = refuses && (await this.existing(target));
      if (!refuses || !old || old === 'view') {
        try {
          return await buildInPlace(this, node, type, create);
        } catch (e) {
          // Refused before anything changed: the old view stands, and the swap below replaces it.
          if (!refuses?.(e)) throw e;
        }
      }
    }
    const tmp = target.withIdentifier(target.identifier + this.tempSuffix);
    await this.ensureSchema(target.database, target.schema!);
    // A temporary relation left by a crashed run would block the create.
    await this.dropIfExists(tmp);
    // Listing relations needs a connection of its own, so it happens before the transaction.
    const old = await this.existing(target);
    let rows: number | undefined;
    await this.adapter.transaction(async (s) => {
      await this.runHooks(node, 'pre_hook', s);
      await s.execute(create(tmp));
      if (fill) rows = await fill(tmp, s);
      // Where runs are told apart another run may have built it since the listing: the
      // drop (which takes whatever holds the name) always runs.
      if (old || this.guard) await s.execute(this.sql('drop_relation', target.withType(old ?? type), old ?? type));
      await s.execute(this.sql('rename_relation', tmp, type, target.identifier));
      await this.runHooks(node, 'post_hook', s);
    });
    await this.remember(target, type);
    const what = node.resourceType === 'seed' ? `INSERT ${rows ?? 0}` : `CREATE ${type.toUpperCase()}`;
    return { message: what, relation: target, rows };
  }

  /** Whether the node has pre- or post-hooks that run inside its transaction. */
  hasHooksInTransaction(node: GraphNode): boolean {
    return (['pre_hook', 'post_hook'] as const).some((which) =>
      (node.config[which] ?? []).some((h) => typeof h === 'string'),
    );
  }

  /** Runs a node's pre- or post-hooks, rendered with the node's context (`{{ this }}`), on the node's session. */
  async runHooks(node: GraphNode, which: 'pre_hook' | 'post_hook', session: Session): Promise<void> {
    // Hooks with `transaction: false` run outside the transaction: runOutsideHooks.
    const hooks = (node.config[which] ?? []).filter((h): h is string => typeof h === 'string');
    for (const hook of hooks) {
      // A hook may reach the warehouse while it renders (`{% do adapter.drop_relation(this) %}`).
      const template = this.session.engine.compile(hook, node.originalFilePath);
      const sql = (
        await renderWithWarehouse(
          this.adapter,
          () => this.session.engine.render(template, this.compiler.nodeScope(node), node.originalFilePath),
          session,
        )
      ).trim();
      if (sql) await session.execute(sql);
    }
  }

  /**
   * Runs the hooks marked `transaction: false` on a connection of their own: pre-hooks before
   * the model's transaction begins, post-hooks after it commits (for statements such as
   * VACUUM that cannot run in a transaction, or a log entry that must outlive a rollback).
   */
  runOutsideHooks(node: GraphNode, which: 'pre_hook' | 'post_hook'): Promise<void> {
    // Nothing to lock and no such hook (most nodes, where runs are not told apart): no async
    // frame and promises made per node for nothing.
    if (!this.guard && !(node.config[which] ?? []).some((h) => typeof h !== 'string')) return nothingToDo;
    return this.runOutsideHooksLocked(node, which);
  }

  private async runOutsideHooksLocked(node: GraphNode, which: 'pre_hook' | 'post_hook'): Promise<void> {
    // The build lock covers the node from its first hook to its last statement, also for an
    // audited build (which does not pass through build()); it is released before post-hooks.
    if (which === 'pre_hook') await this.holdLock(node);
    else await this.releaseLock(node);
    try {
      await this.runHooksOutside(node, which);
    } catch (e) {
      if (which === 'pre_hook') await this.releaseLock(node);
      throw e;
    }
  }

  private async runHooksOutside(node: GraphNode, which: 'pre_hook' | 'post_hook'): Promise<void> {
    for (const hook of node.config[which] ?? []) {
      if (typeof hook === 'string') continue;
      const template = this.session.engine.compile(hook.sql, node.originalFilePath);
      const sql = (
        await renderWithWarehouse(this.adapter, () =>
          this.session.engine.render(template, this.compiler.nodeScope(node), node.originalFilePath),
        )
      ).trim();
      if (sql) await this.adapter.execute(sql);
    }
  }

  /**
   * A seed is read in chunks that let a cancellation through, and loaded into the staging
   * relation, which replaces the old table only once every row is in (adapters load in
   * batches and stop between them when cancelled).
   */
  private async seed(node: GraphNode): Promise<BuildOutcome> {
    const file = join(this.parsed.project.projectDir, node.originalFilePath);
    const cancelledAt = cancellations(this.adapter);
    const checkpoint = () => {
      if (cancelledAt !== undefined && cancellations(this.adapter) !== cancelledAt) {
        throw new KilnError(
          'database',
          `loading the seed was interrupted; ${this.relationFor(node).render()} was left as it was`,
          { file: node.originalFilePath },
        );
      }
    };
    const seed = await readSeedInChunks(file, node.originalFilePath, node.config.column_types ?? {}, checkpoint);
    const columns = seed.columns.map((c) => ({ name: c.name, type: c.type ?? this.adapter.seedColumnType(c.kind) }));
    return this.swapIn(
      node,
      'table',
      (tmp) => this.sql('create_empty_table', tmp, columns),
      async (tmp, s) => {
        // In the same turn as the adapter starts, which watches for cancellation from there on.
        checkpoint();
        await this.adapter.loadSeed(tmp, seed, s);
        return seed.rows.length;
      },
    );
  }
}

/**
 * Executes selected nodes: seeds and models materialize, tests gate what depends on the
 * models they test (in `build`), failures skip descendants.
 */
import { renderWithWarehouse } from '../template/warehouse.js';
import { errorMessage, KilnError } from '../errors.js';
import { withSourceLocation } from '../compile/error-location.js';
import { retryPolicyFor, withRetries, type AttemptResult } from './retry.js';
import { auditedBuild, isAudited } from './audit.js';
import { dropLeftovers } from './leftovers.js';
import type { Adapter } from '../adapters/types.js';
import type { Compiler } from '../compile/compiler.js';
import type { Dag } from '../graph/dag.js';
import type { ParsedProject } from '../parse/index.js';
import type { KilnSession } from '../session.js';
import type { GraphNode } from '../parse/nodes.js';
import { Materializer } from './materialize.js';
import { buildsOneAtATime } from '../adapters/node-context.js';
import { isUnitTest } from '../parse/nodes.js';
import { executeUnitTest } from '../unit/run.js';
import { orderUnitTests } from '../unit/schedule.js';
import { runDataTest } from './data-test.js';
import { runSchedule, type ScheduledTask } from './scheduler.js';
import { criticalPathPriorities } from './priority.js';
import { isFailure, type NodeEvent, type NodeResult, type TimingInfo } from './results.js';

export interface RunnerOptions {
  parsed: ParsedProject;
  dag: Dag;
  compiler: Compiler;
  /** The invocation: its adapter runs the statements, its engine renders them. */
  session: KilnSession;
  /** Node ids to execute, topologically ordered. */
  ids: string[];
  threads: number;
  /** In `build`, tests gate the children of the nodes they test. */
  testsGate: boolean;
  failFast: boolean;
  signal?: AbortSignal;
  onEvent?: (event: NodeEvent) => void;
  /** Notices for a person (leftovers cleaned up, ...). */
  onLog?: (level: 'info' | 'warn', message: string) => void;
  /** Write-audit-publish for every table model (build --audit); `audit: true` configs apply anyway. */
  audit?: boolean;
  /** Sources stale past error_after (build --fail-on-stale-sources): what reads them is skipped. */
  staleSources?: ReadonlyMap<string, string>;
  /** Most nodes of each `concurrency_group` that may run at once (dbt_project.yml `concurrency_groups:`). */
  concurrencyGroups?: Record<string, number>;
  /** Retries for transient failures when a node sets none (--retries). */
  retries?: number;
  onRetry?: (uniqueId: string, attempt: number, delayMs: number, message: string) => void;
  /** Seconds per node from the previous run, to start the critical path first. */
  previousDurations?: ReadonlyMap<string, number>;
}

export function isExecutable(node: GraphNode): boolean {
  if (node.resourceType === 'model') return node.config.materialized !== 'ephemeral';
  return (
    node.resourceType === 'seed' ||
    node.resourceType === 'test' ||
    node.resourceType === 'snapshot' ||
    node.resourceType === 'unit_test'
  );
}

export async function executeNodes(opts: RunnerOptions): Promise<NodeResult[]> {
  const { parsed, dag, compiler, session } = opts;
  const { adapter } = session;
  const nodes = parsed.manifest.nodes;
  const ids = opts.ids.filter((id) => nodes.has(id) && isExecutable(nodes.get(id)!));
  const inRun = new Set(ids);
  const tasks = ids.map((id) => ({ id, deps: executableParents(id, dag, inRun, nodes) }) satisfies ScheduledTask);
  orderUnitTests(tasks, nodes);
  if (opts.testsGate) addTestGates(tasks, dag, inRun, nodes);
  const materializer = new Materializer(parsed, compiler, session);
  await dropLeftovers(
    adapter,
    ids.map((id) => nodes.get(id)!),
    materializer,
    (m) => opts.onLog?.('warn', m),
  );
  compiler.setIncrementalCheck((node) => materializer.isIncremental(node));
  const cancelRunning = () => void adapter.cancel?.().catch(() => undefined);
  opts.signal?.addEventListener('abort', cancelRunning, { once: true });
  // One thread: builds never interleave, so the node being built needs no async context (node-context.ts).
  const oneAtATime = Math.max(1, opts.threads) === 1 ? buildsOneAtATime(adapter) : undefined;
  try {
    return await runNodes(opts, tasks, ids, inRun, materializer, cancelRunning);
  } finally {
    oneAtATime?.release();
    opts.signal?.removeEventListener('abort', cancelRunning);
  }
}

/** Runs the scheduled tasks; their results in the order of `ids`. */
async function runNodes(
  opts: RunnerOptions,
  tasks: ScheduledTask[],
  ids: string[],
  inRun: Set<string>,
  materializer: Materializer,
  cancelRunning: () => void,
): Promise<NodeResult[]> {
  const { compiler, session, dag } = opts;
  const { adapter } = session;
  const nodes = opts.parsed.manifest.nodes;
  let index = 0;
  let failed = false;
  const total = tasks.length;
  const indexOf = new Map<string, number>();

  const results = await runSchedule(tasks, {
    threads: opts.threads,
    priority: criticalPathPriorities(tasks, opts.previousDurations ?? new Map()),
    continueOnError: (id) => nodes.get(id)?.config.on_error === 'continue',
    group: (id) => {
      const name = nodes.get(id)?.config.concurrency_group;
      if (typeof name !== 'string' || !name) return undefined;
      return { name, limit: Math.max(1, Number(opts.concurrencyGroups?.[name] ?? opts.threads)) };
    },
    stopped: () => (opts.failFast && failed) || opts.signal?.aborted === true,
    describe: (id) => `${nodes.get(id)?.resourceType ?? 'node'} '${nodes.get(id)?.name ?? id}'`,
    onStart: (id, threadId) => {
      indexOf.set(id, ++index);
      opts.onEvent?.({ type: 'started', uniqueId: id, node: nodes.get(id)!, index, total, threadId });
    },
    onFinish: (result) => {
      if (isFailure(result.status) && !failed && opts.failFast) cancelRunning();
      if (isFailure(result.status)) failed = true;
      if (!indexOf.has(result.uniqueId)) indexOf.set(result.uniqueId, ++index);
      opts.onEvent?.({
        type: 'finished',
        uniqueId: result.uniqueId,
        node: nodes.get(result.uniqueId)!,
        index: indexOf.get(result.uniqueId)!,
        total,
        result,
      });
    },
    skipped: (id, cause) => ({
      uniqueId: id,
      status: 'skipped',
      message: cause
        ? `skipped because ${cause} did not succeed`
        : opts.signal?.aborted
          ? 'skipped: the run was cancelled'
          : 'skipped after an earlier failure (--fail-fast)',
      executionTime: 0,
      timing: [],
      failures: null,
      threadId: '',
      adapterResponse: {},
    }),
    execute: async (id, threadId) => {
      const stale = staleParent(id, dag, inRun, nodes, opts.staleSources);
      if (stale)
        return {
          uniqueId: id,
          status: 'skipped',
          message: `skipped because source ${stale} is stale: ${opts.staleSources!.get(stale)}`,
          executionTime: 0,
          timing: [],
          failures: null,
          threadId,
          adapterResponse: {},
        };
      const result = await withRetries(
        () => executeOne(nodes.get(id)!, threadId, compiler, adapter, materializer, Boolean(opts.audit)),
        retryPolicyFor(nodes.get(id)!, opts.retries),
        (attempt, delayMs, failed) => opts.onRetry?.(id, attempt, delayMs, failed.message),
        opts.signal,
      );
      // A statement interrupted by cancellation is not the node's fault.
      return result.status === 'error' && (opts.signal?.aborted || (opts.failFast && failed))
        ? { ...result, status: 'cancelled', message: `cancelled: ${result.message}` }
        : result;
    },
  });
  return ids.map((id) => results.get(id)!).filter(Boolean);
}

/**
 * One attempt at a node. Each result is written out whole, not spread from a shared base: this runs once per node,
 * mostly before V8 optimises it.
 */
async function executeOne(
  node: GraphNode,
  threadId: string,
  compiler: Compiler,
  adapter: Adapter,
  materializer: Materializer,
  auditAll: boolean,
): Promise<AttemptResult> {
  const start = Date.now();
  const timing: TimingInfo[] = [];
  const uniqueId = node.uniqueId;
  let compiledCode: string | undefined;
  if (isUnitTest(node)) return executeUnitTest(node, threadId, materializer);
  try {
    const c0 = new Date();
    if (node.resourceType !== 'seed') {
      await materializer.prepare(node);
      compiledCode = (await renderWithWarehouse(adapter, () => compiler.compile(node.uniqueId))).compiledCode;
      compiler.writeCompiled(node.uniqueId);
    }
    const c1 = new Date();
    timing.push({ name: 'compile', started_at: c0.toISOString(), completed_at: c1.toISOString() });
    if (node.resourceType === 'test') {
      const outcome = await runDataTest(node, compiledCode!, adapter, materializer);
      timing.push({ name: 'execute', started_at: c1.toISOString(), completed_at: new Date().toISOString() });
      return {
        uniqueId,
        threadId,
        adapterResponse: {},
        status: outcome.status,
        message: outcome.message,
        failures: outcome.failures,
        executionTime: (Date.now() - start) / 1000,
        timing,
        compiledCode,
      };
    }
    await materializer.runOutsideHooks(node, 'pre_hook');
    const outcome = isAudited(node, auditAll)
      ? await auditedBuild(node, compiledCode ?? '', compiler.parsedProject, adapter, materializer)
      : await materializer.build(node, compiledCode ?? '');
    await materializer.runOutsideHooks(node, 'post_hook');
    timing.push({ name: 'execute', started_at: c1.toISOString(), completed_at: new Date().toISOString() });
    return {
      uniqueId,
      threadId,
      status: 'success',
      message: outcome.message,
      failures: null,
      executionTime: (Date.now() - start) / 1000,
      timing,
      compiledCode,
      relationName: outcome.relation?.render(),
      adapterResponse:
        outcome.rows !== undefined
          ? { rows_affected: outcome.rows, _message: outcome.message }
          : { _message: outcome.message },
    };
  } catch (e) {
    const message =
      compiledCode === undefined
        ? errorMessage(e)
        : withSourceLocation(errorMessage(e), e, node, compiler, compiler.parsedProject.project.projectDir);
    return {
      uniqueId,
      threadId,
      adapterResponse: {},
      status: 'error',
      message,
      failures: null,
      executionTime: (Date.now() - start) / 1000,
      timing,
      compiledCode,
      retryable: e instanceof KilnError && e.retryable,
    };
  }
}

/** A stale source this node reads directly or through ephemeral models, if any. */
function staleParent(
  id: string,
  dag: Dag,
  inRun: Set<string>,
  nodes: Map<string, GraphNode>,
  stale?: ReadonlyMap<string, string>,
): string | undefined {
  if (!stale?.size) return undefined;
  const seen = new Set<string>();
  const stack = [...dag.parents(id)];
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    if (stale.has(p)) return p;
    if (!inRun.has(p) && (nodes.get(p)?.config.materialized === 'ephemeral' || !nodes.has(p)))
      stack.push(...dag.parents(p));
  }
  return undefined;
}

/** Parents that run in this invocation, looking through ephemeral models and sources to their parents. */
function executableParents(id: string, dag: Dag, inRun: Set<string>, nodes: Map<string, GraphNode>): string[] {
  const out = new Set<string>();
  const visit = (n: string) => {
    for (const p of dag.parents(n)) {
      if (inRun.has(p)) out.add(p);
      else if (!nodes.has(p) || nodes.get(p)!.config.materialized === 'ephemeral') visit(p);
    }
  };
  visit(id);
  return [...out];
}

/**
 * In `build`, a node waits for the tests of its parents, so a failing test keeps bad data
 * from flowing downstream. A test that also reads the node (or its descendants) cannot gate it.
 */
function addTestGates(tasks: ScheduledTask[], dag: Dag, inRun: Set<string>, nodes: Map<string, GraphNode>): void {
  const testsOf = new Map<string, string[]>();
  for (const id of inRun) {
    const n = nodes.get(id)!;
    if (n.resourceType !== 'test') continue;
    for (const p of n.dependsOn.nodes) (testsOf.get(p) ?? testsOf.set(p, []).get(p)!).push(id);
  }
  const descendantsCache = new Map<string, Set<string>>();
  const descendants = (id: string): Set<string> => {
    let d = descendantsCache.get(id);
    if (d) return d;
    d = new Set<string>();
    const stack = [id];
    while (stack.length) {
      for (const c of dag.children(stack.pop()!)) {
        if (d.has(c)) continue;
        d.add(c);
        stack.push(c);
      }
    }
    descendantsCache.set(id, d);
    return d;
  };
  for (const task of tasks) {
    const node = nodes.get(task.id)!;
    if (node.resourceType === 'test' || node.resourceType === 'unit_test') continue;
    const gates = new Set<string>();
    const parents = new Set<string>();
    const visit = (n: string) => {
      for (const p of dag.parents(n)) {
        parents.add(p);
        if (nodes.get(p)?.config.materialized === 'ephemeral') visit(p);
      }
    };
    visit(task.id);
    for (const p of parents) {
      for (const t of testsOf.get(p) ?? []) {
        const testParents = nodes.get(t)!.dependsOn.nodes;
        if (testParents.some((tp) => tp === task.id || (testParents.length > 1 && descendants(task.id).has(tp))))
          continue;
        gates.add(t);
      }
    }
    task.deps.push(...gates);
  }
}

/**
 * Runs a DAG of tasks with at most `threads` at once. A failed task skips everything
 * downstream of it (with the cause); a stop request lets running tasks finish and starts
 * nothing new.
 */
import type { NodeResult } from './results.js';
import { isFailure } from './results.js';

export interface ScheduledTask {
  id: string;
  /** Ids of other tasks in this schedule that must finish first. */
  deps: string[];
}

export interface SchedulerOptions {
  threads: number;
  /** Runs one task; must not throw (errors become an 'error' result). */
  execute(id: string, threadId: string): Promise<NodeResult>;
  skipped(id: string, cause: string | undefined): NodeResult;
  onStart?(id: string, threadId: string): void;
  onFinish?(result: NodeResult): void;
  /** True once the run should start nothing new (fail-fast, cancellation). */
  stopped(): boolean;
  /** Describes a failed task for the message of the tasks it skips. */
  describe(id: string): string;
  /** Higher starts first among ready tasks (critical path); ties keep topological order. */
  priority?: ReadonlyMap<string, number>;
  /** A failed task whose children run anyway (dbt's `on_error: continue`). */
  continueOnError?(id: string): boolean;
  /** The concurrency group of a task and the group's limit, to cap load on one source. */
  group?(id: string): { name: string; limit: number } | undefined;
}

export async function runSchedule(tasks: ScheduledTask[], opts: SchedulerOptions): Promise<Map<string, NodeResult>> {
  const results = new Map<string, NodeResult>();
  const pending = new Map<string, number>();
  const children = new Map<string, string[]>();
  const blockedBy = new Map<string, string>();
  const order = new Map(tasks.map((t, i) => [t.id, i]));
  for (const t of tasks) {
    const deps = t.deps.filter((d) => order.has(d));
    pending.set(t.id, deps.length);
    for (const d of deps) (children.get(d) ?? children.set(d, []).get(d)!).push(t.id);
  }
  // Ready tasks run in the order given (topological), so output is stable.
  const ready: string[] = [];
  // How many of them a failure blocks: while none is, pump need not look for one.
  let blockedReady = 0;
  const freeThreads = Array.from({ length: Math.max(1, opts.threads) }, (_, i) => `Thread-${i + 1}`).reverse();
  let running = 0;
  const groupRunning = new Map<string, number>();

  return new Promise((resolve, reject) => {
    const finish = (id: string, result: NodeResult) => {
      results.set(id, result);
      opts.onFinish?.(result);
      const failed =
        (isFailure(result.status) && !opts.continueOnError?.(id)) ||
        result.status === 'skipped' ||
        result.status === 'cancelled';
      for (const c of children.get(id) ?? []) {
        if (failed && !blockedBy.has(c))
          blockedBy.set(
            c,
            result.status === 'skipped' || result.status === 'cancelled' ? (blockedBy.get(id) ?? id) : id,
          );
        const left = pending.get(c)! - 1;
        pending.set(c, left);
        if (left === 0) insertReady(c);
      }
    };
    const before = (a: string, b: string): boolean => {
      const pa = opts.priority?.get(a) ?? 0;
      const pb = opts.priority?.get(b) ?? 0;
      return pa !== pb ? pa > pb : order.get(a)! < order.get(b)!;
    };
    // `ready` stays sorted by `before`, so the place of a new task is found by bisection: a
    // scan from the end cost a comparison per ready task, quadratic in a wide DAG.
    const insertReady = (id: string) => {
      let lo = 0;
      let hi = ready.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before(id, ready[mid]!)) hi = mid;
        else lo = mid + 1;
      }
      ready.splice(lo, 0, id);
      if (blockedBy.has(id)) blockedReady++;
    };
    for (const t of tasks) if (pending.get(t.id) === 0) insertReady(t.id);
    const pump = () => {
      while (ready.length) {
        const blocked = opts.stopped() ? 0 : blockedReady > 0 ? ready.findIndex((r) => blockedBy.has(r)) : -1;
        if (blocked >= 0) {
          const [id] = ready.splice(blocked, 1) as [string];
          if (blockedBy.has(id)) blockedReady--;
          const cause = blockedBy.get(id);
          finish(id, opts.skipped(id, cause !== undefined ? opts.describe(cause) : undefined));
          continue;
        }
        if (running >= opts.threads) break;
        // The first ready task whose concurrency group has room; the rest wait their turn.
        const pick = ready.findIndex((r) => {
          const g = opts.group?.(r);
          return !g || (groupRunning.get(g.name) ?? 0) < g.limit;
        });
        if (pick < 0) break;
        const [taskId] = ready.splice(pick, 1) as [string];
        const group = opts.group?.(taskId)?.name;
        if (group) groupRunning.set(group, (groupRunning.get(group) ?? 0) + 1);
        const thread = freeThreads.pop()!;
        running++;
        opts.onStart?.(taskId, thread);
        opts
          .execute(taskId, thread)
          .then((result) => {
            running--;
            if (group) groupRunning.set(group, groupRunning.get(group)! - 1);
            freeThreads.push(thread);
            finish(taskId, result);
            pump();
          })
          // A task that breaks its contract (or a listener that throws) fails the schedule
          // instead of leaving it pending forever behind an unhandled rejection.
          .catch(reject);
      }
      if (running === 0 && ready.length === 0) resolve(results);
    };
    pump();
  });
}

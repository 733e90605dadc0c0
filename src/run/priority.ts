/**
 * Critical-path priorities: a task's priority is the longest chain of work from it to the
 * end of the DAG. Starting the highest first keeps the threads busy on what bounds the
 * makespan, instead of on whatever comes first in topological order.
 */
import type { ScheduledTask } from './scheduler.js';

/**
 * `durations` are seconds from the previous run_results.json; a task without one weighs
 * the median of the known durations (or 1), so a first run orders by counts of descendants.
 */
export function criticalPathPriorities(
  tasks: ScheduledTask[],
  durations: ReadonlyMap<string, number>,
): Map<string, number> {
  const known = tasks
    .map((t) => durations.get(t.id))
    .filter((d): d is number => d !== undefined)
    .sort((a, b) => a - b);
  const fallback = known.length ? known[Math.floor(known.length / 2)]! : 1;
  const children = new Map<string, string[]>();
  for (const t of tasks) for (const d of t.deps) (children.get(d) ?? children.set(d, []).get(d)!).push(t.id);
  const priority = new Map<string, number>();
  // Tasks come in topological order, so walking them backwards sees children first.
  for (let i = tasks.length - 1; i >= 0; i--) {
    const id = tasks[i]!.id;
    let longest = 0;
    for (const c of children.get(id) ?? []) longest = Math.max(longest, priority.get(c) ?? 0);
    priority.set(id, (durations.get(id) ?? fallback) + longest);
  }
  return priority;
}

/** Seconds per node id from a run_results.json object, if it has any. */
export function durationsFromRunResults(runResults: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const results =
    (runResults as { results?: Array<{ unique_id?: string; execution_time?: number; status?: string }> } | null)
      ?.results ?? [];
  for (const r of results)
    if (r.unique_id && typeof r.execution_time === 'number' && r.status !== 'skipped')
      out.set(r.unique_id, r.execution_time);
  return out;
}

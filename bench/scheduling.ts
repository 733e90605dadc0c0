/**
 * `node dist/bench/scheduling.js`: makespan of a skewed synthetic DAG with recorded
 * durations, scheduled in topological (depth) order vs critical-path order, with the real
 * scheduler and timers standing in for warehouse queries.
 */
import { runSchedule, type ScheduledTask } from '../src/run/scheduler.js';
import { criticalPathPriorities } from '../src/run/priority.js';
import type { NodeResult } from '../src/run/results.js';
import { createRandom as random } from './generate.js';

/** Many short nodes early in topological order, and a few long chains behind them. */
function skewedDag(seed: number): { tasks: ScheduledTask[]; durations: Map<string, number> } {
  const rnd = random(seed);
  const tasks: ScheduledTask[] = [];
  const durations = new Map<string, number>();
  for (let i = 0; i < 120; i++) {
    const id = `short_${i}`;
    const deps = i >= 40 ? [`short_${Math.floor(rnd() * 40)}`] : [];
    tasks.push({ id, deps });
    durations.set(id, 0.005 + rnd() * 0.015);
  }
  for (let c = 0; c < 3; c++) {
    for (let j = 0; j < 6; j++) {
      const id = `chain_${c}_${j}`;
      tasks.push({ id, deps: j ? [`chain_${c}_${j - 1}`] : [] });
      durations.set(id, 0.04 + rnd() * 0.04);
    }
  }
  return { tasks, durations };
}

async function makespan(
  tasks: ScheduledTask[],
  durations: Map<string, number>,
  threads: number,
  priority?: Map<string, number>,
): Promise<number> {
  const started = performance.now();
  await runSchedule(tasks, {
    threads,
    priority,
    stopped: () => false,
    describe: (id) => id,
    skipped: (id) => ({
      uniqueId: id,
      status: 'skipped',
      message: '',
      executionTime: 0,
      timing: [],
      failures: null,
      threadId: '',
      adapterResponse: {},
    }),
    execute: (id, threadId) =>
      new Promise<NodeResult>((resolve) =>
        setTimeout(
          () =>
            resolve({
              uniqueId: id,
              status: 'success',
              message: '',
              executionTime: durations.get(id)!,
              timing: [],
              failures: null,
              threadId,
              adapterResponse: {},
            }),
          durations.get(id)! * 1000,
        ),
      ),
  });
  return performance.now() - started;
}

async function main(): Promise<void> {
  const { tasks, durations } = skewedDag(7);
  const total = [...durations.values()].reduce((a, b) => a + b, 0);
  console.log(`skewed DAG: ${tasks.length} nodes, ${(total * 1000).toFixed(0)} ms of work; medians of 5 runs`);
  for (const threads of [2, 4]) {
    const depth: number[] = [];
    const critical: number[] = [];
    const priority = criticalPathPriorities(tasks, durations);
    for (let i = 0; i < 5; i++) {
      depth.push(await makespan(tasks, durations, threads));
      critical.push(await makespan(tasks, durations, threads, priority));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
    const lower = Math.max(total / threads, 6 * 0.08) * 1000;
    console.log(
      `  threads=${threads}: depth order ${med(depth).toFixed(0)} ms, ` +
        `critical-path order ${med(critical).toFixed(0)} ms (ratio ${(med(depth) / med(critical)).toFixed(2)}; ` +
        `lower bound about ${lower.toFixed(0)} ms)`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

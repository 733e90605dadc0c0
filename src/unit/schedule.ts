/**
 * Where unit tests go in a run: before their model. A unit test waits for what its model
 * waits for (so the inputs' relations exist to type the fixtures), and the model waits for
 * its unit tests, so a failing one skips the model and everything downstream.
 */
import type { ScheduledTask } from '../run/scheduler.js';
import type { GraphNode } from '../parse/nodes.js';
import { isUnitTest } from '../parse/nodes.js';

export function orderUnitTests(tasks: ScheduledTask[], nodes: Map<string, GraphNode>): void {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const task of tasks) {
    const node = nodes.get(task.id);
    if (!node || !isUnitTest(node)) continue;
    const modelTask = byId.get(node.model);
    task.deps = modelTask ? modelTask.deps.filter((d) => d !== task.id && !isUnitTest(nodes.get(d)!)) : [];
    if (modelTask) modelTask.deps.push(task.id);
  }
}

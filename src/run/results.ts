import type { GraphNode } from '../parse/nodes.js';

/** What happened to one node in one invocation: dbt's run_results entry, typed. */
export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn' | 'cancelled';

export interface TimingInfo {
  name: 'compile' | 'execute';
  started_at: string;
  completed_at: string;
}

export interface NodeResult {
  uniqueId: string;
  status: NodeStatus;
  message: string;
  /** Seconds. */
  executionTime: number;
  timing: TimingInfo[];
  /** Failing rows of a test; null for other nodes. */
  failures: number | null;
  threadId: string;
  compiledCode?: string;
  relationName?: string;
  adapterResponse: Record<string, unknown>;
  /** How many times the node ran (more than 1 after transient failures were retried). */
  attempts?: number;
}

export type NodeEvent =
  | { type: 'started'; uniqueId: string; node: GraphNode; index: number; total: number; threadId: string }
  | { type: 'finished'; uniqueId: string; node: GraphNode; index: number; total: number; result: NodeResult };

export function isFailure(status: NodeStatus): boolean {
  return status === 'error' || status === 'fail';
}

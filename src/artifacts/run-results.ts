/** run_results.json in dbt's shape. */
import type { NodeResult } from '../run/results.js';
import { kilnVersion } from '../version.js';

export function runResultsJson(results: NodeResult[], invocationId: string, elapsedSeconds: number, args: Record<string, unknown>): Record<string, unknown> {
  return {
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json',
      dbt_version: kilnVersion,
      kiln_version: kilnVersion,
      generated_at: new Date().toISOString(),
      invocation_id: invocationId,
      env: {},
    },
    results: results.map((r) => ({
      unique_id: r.uniqueId,
      status: r.status,
      timing: r.timing,
      thread_id: r.threadId,
      execution_time: r.executionTime,
      adapter_response: r.adapterResponse,
      message: r.message,
      failures: r.failures,
      compiled: r.compiledCode !== undefined,
      compiled_code: r.compiledCode ?? null,
      relation_name: r.relationName ?? null,
      attempts: r.attempts ?? 1,
    })),
    elapsed_time: elapsedSeconds,
    args,
  };
}

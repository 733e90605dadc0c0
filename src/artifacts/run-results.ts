/**
 * run_results.json in dbt's shape (run-results v6). The schema closes each result to dbt's
 * fields, so kiln's own facts about a node go into its open `adapter_response`:
 * `kiln_attempts` (how many times a node ran after transient failures) and
 * `kiln_status: "cancelled"` for a node cut off by a cancelled run, which dbt's statuses
 * cannot say (it is written as `error`, its message starting with "cancelled").
 */
import type { NodeResult, NodeStatus } from '../run/results.js';
import { kilnVersion } from '../version.js';

export const runResultsSchemaVersion = 'https://schemas.getdbt.com/dbt/run-results/v6.json';

/** dbt's status for a kiln status: the same word, except `cancelled`, which dbt has no word for. */
export function dbtStatus(status: NodeStatus): string {
  return status === 'cancelled' ? 'error' : status;
}

/** kiln's status as recorded in a run_results.json entry (kiln's or dbt's). */
export function recordedStatus(result: { status?: unknown; adapter_response?: { kiln_status?: unknown } }): string {
  return typeof result.adapter_response?.kiln_status === 'string'
    ? result.adapter_response.kiln_status
    : String(result.status);
}

export function runResultsJson(
  results: NodeResult[],
  invocationId: string,
  elapsedSeconds: number,
  args: Record<string, unknown>,
): Record<string, unknown> {
  return {
    metadata: {
      dbt_schema_version: runResultsSchemaVersion,
      dbt_version: kilnVersion,
      generated_at: new Date().toISOString(),
      invocation_id: invocationId,
      env: { kiln_version: kilnVersion },
    },
    results: results.map((r) => ({
      status: dbtStatus(r.status),
      timing: r.timing,
      thread_id: r.threadId,
      execution_time: r.executionTime,
      adapter_response: adapterResponse(r),
      message: r.message,
      failures: r.failures,
      unique_id: r.uniqueId,
      compiled: r.compiledCode !== undefined,
      compiled_code: r.compiledCode ?? null,
      relation_name: r.relationName ?? null,
    })),
    elapsed_time: elapsedSeconds,
    args,
  };
}

function adapterResponse(r: NodeResult): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r.adapterResponse };
  if (r.attempts !== undefined) out.kiln_attempts = r.attempts;
  if (r.status === 'cancelled') out.kiln_status = 'cancelled';
  return out;
}

/**
 * sources.json in dbt's shape (sources v3). dbt's schema knows two kinds of result: a
 * measured one (max_loaded_at, its age, the criteria) and a runtime error (unique_id, error,
 * status and nothing else). A source that was never loaded has no max_loaded_at, so it is a
 * runtime error here, as dbt reports a null max(loaded_at_field).
 */
import type { FreshnessResult } from '../freshness/check.js';
import { freshnessDict } from '../parse/node-dict.js';
import { kilnVersion } from '../version.js';

export const sourcesSchemaVersion = 'https://schemas.getdbt.com/dbt/sources/v3.json';

export function sourcesJson(
  results: FreshnessResult[],
  invocationId: string,
  elapsed: number,
): Record<string, unknown> {
  return {
    metadata: {
      dbt_schema_version: sourcesSchemaVersion,
      dbt_version: kilnVersion,
      generated_at: new Date().toISOString(),
      invocation_id: invocationId,
      env: { kiln_version: kilnVersion },
    },
    results: results.map(resultJson),
    elapsed_time: elapsed,
  };
}

function resultJson(r: FreshnessResult): Record<string, unknown> {
  if (r.status === 'runtime error' || r.maxLoadedAt === null || r.ageSeconds === null)
    return { unique_id: r.uniqueId, error: r.message, status: 'runtime error' };
  return {
    unique_id: r.uniqueId,
    max_loaded_at: r.maxLoadedAt,
    snapshotted_at: r.snapshottedAt,
    max_loaded_at_time_ago_in_s: r.ageSeconds,
    status: r.status,
    criteria: freshnessDict(r.criteria) ?? { warn_after: null, error_after: null, filter: null },
    adapter_response: {},
    timing: [],
    thread_id: 'Thread-1',
    execution_time: r.executionTime,
  };
}

/** Runs a compiled data test and turns its failing-row count into dbt's pass/warn/fail. */
import type { Adapter } from '../adapters/types.js';
import type { GraphNode } from '../parse/nodes.js';
import type { Materializer } from './materialize.js';
import type { NodeStatus } from './results.js';

export interface TestOutcome {
  status: NodeStatus;
  failures: number;
  message: string;
}

function thresholdClause(value: unknown): string {
  const s = String(value ?? '!= 0').trim();
  if (!/^(=|==|!=|<>|>=|<=|>|<)\s*-?\d+(\.\d+)?$/.test(s))
    throw new Error(`invalid threshold '${s}': expected e.g. '>10' or '!= 0'`);
  return s.replace(/^==/, '=');
}

export async function runDataTest(
  node: GraphNode,
  compiledSql: string,
  adapter: Adapter,
  materializer: Materializer,
): Promise<TestOutcome> {
  const limit = node.config.limit === undefined || node.config.limit === null ? null : Number(node.config.limit);
  const sql = materializer.sql(
    'get_test_sql',
    compiledSql,
    String(node.config.fail_calc ?? 'count(*)'),
    thresholdClause(node.config.warn_if),
    thresholdClause(node.config.error_if),
    limit,
  );
  const result = await adapter.execute(sql);
  const row = result.rows[0] ?? {};
  const failures = Number(row.failures ?? 0);
  const shouldWarn = row.should_warn === true || row.should_warn === 1 || row.should_warn === 't';
  const shouldError = row.should_error === true || row.should_error === 1 || row.should_error === 't';
  const severity = String(node.config.severity ?? 'error').toLowerCase();
  const plural = failures === 1 ? 'result' : 'results';
  if (severity === 'error' && shouldError)
    return {
      status: 'fail',
      failures,
      message: `Got ${failures} ${plural}, configured to fail if ${String(node.config.error_if ?? '!= 0')}`,
    };
  if (shouldWarn)
    return {
      status: 'warn',
      failures,
      message: `Got ${failures} ${plural}, configured to warn if ${String(node.config.warn_if ?? '!= 0')}`,
    };
  return { status: 'pass', failures, message: 'PASS' };
}

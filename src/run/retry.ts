/**
 * Transient warehouse failures (a dropped connection, a serialization failure, a rate
 * limit: whatever the adapter marks retryable) are retried with exponential backoff and
 * jitter. A SQL error is never retried.
 */
import type { GraphNode } from '../parse/nodes.js';
import type { NodeResult } from './results.js';

export interface RetryPolicy {
  retries: number;
  /** Seconds before the first retry; doubled for each further one. */
  backoffSeconds: number;
}

/** The node's `retries` / `retry_backoff` configs, else the invocation's --retries. */
export function retryPolicyFor(node: GraphNode, defaultRetries = 0): RetryPolicy {
  const retries = Number(node.config.retries ?? defaultRetries);
  const backoff = Number(node.config.retry_backoff ?? 1);
  return {
    retries: Number.isFinite(retries) && retries > 0 ? Math.floor(retries) : 0,
    backoffSeconds: Number.isFinite(backoff) && backoff >= 0 ? backoff : 1,
  };
}

export function backoffDelayMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const base = policy.backoffSeconds * 1000 * 2 ** (attempt - 1);
  return Math.round(base * (0.5 + random() / 2));
}

export interface AttemptResult extends NodeResult {
  /** Set by the attempt when its error was one a retry may cure. */
  retryable?: boolean;
}

export async function withRetries(
  attempt: () => Promise<AttemptResult>,
  policy: RetryPolicy,
  onRetry: (attempt: number, delayMs: number, result: AttemptResult) => void,
  signal?: AbortSignal,
): Promise<NodeResult> {
  let result = await attempt();
  let n = 1;
  while (result.status === 'error' && result.retryable && n <= policy.retries && !signal?.aborted) {
    const delay = backoffDelayMs(policy, n);
    onRetry(n, delay, result);
    await new Promise((resolve) => setTimeout(resolve, delay));
    n++;
    result = await attempt();
  }
  // The attempt's own object: a rest-and-spread copy of it cost more than the rest of this function, once per node.
  delete result.retryable;
  result.attempts = n;
  return result;
}

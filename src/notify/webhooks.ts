/**
 * Run notifications: `notifications:` in dbt_project.yml posts a Slack-compatible JSON
 * summary to webhook URLs. Sending is bounded (a timeout, one retry) and its failure is
 * only logged: it never changes the run's result. Values of DBT_ENV_SECRET_* variables in a
 * message (a driver's error, say) are sent as `*****`.
 */
import type { NodeResult } from '../run/results.js';
import { isFailure } from '../run/results.js';
import { stringifyScrubbed } from '../secrets.js';

export interface NotificationTarget {
  url: string;
  /** `failure` (default): only when something failed; `always`: every run. */
  on: 'failure' | 'always';
  timeoutSeconds: number;
  /** e.g. "https://ci.example.com/runs/{invocation_id}", for a link in the message. */
  linkTemplate?: string;
}

export function readNotificationTargets(raw: unknown): NotificationTarget[] {
  const list = Array.isArray(raw)
    ? raw
    : raw && typeof raw === 'object' && Array.isArray((raw as { webhooks?: unknown }).webhooks)
      ? (raw as { webhooks: unknown[] }).webhooks
      : [];
  return list
    .filter(
      (x): x is Record<string, unknown> =>
        Boolean(x) && typeof x === 'object' && typeof (x as { url?: unknown }).url === 'string',
    )
    .map((x) => ({
      url: String(x.url),
      on: x.on === 'always' ? 'always' : 'failure',
      timeoutSeconds: typeof x.timeout === 'number' && x.timeout > 0 ? x.timeout : 5,
      linkTemplate: typeof x.link_template === 'string' ? x.link_template : undefined,
    }));
}

export interface RunSummary {
  project: string;
  command: string;
  invocationId: string;
  success: boolean;
  elapsed: number;
  results: NodeResult[];
}

export function slackPayload(summary: RunSummary, linkTemplate?: string): Record<string, unknown> {
  const count = (pred: (r: NodeResult) => boolean) => summary.results.filter(pred).length;
  const failed = summary.results.filter((r) => isFailure(r.status));
  const passed = count((r) => r.status === 'success' || r.status === 'pass');
  const warned = count((r) => r.status === 'warn');
  const skipped = count((r) => r.status === 'skipped' || r.status === 'cancelled');
  const tally = `PASS=${passed} WARN=${warned} ERROR=${failed.length} SKIP=${skipped}`;
  const icon = summary.success ? ':white_check_mark:' : ':x:';
  const outcome = `${summary.success ? 'succeeded' : 'failed'} in ${summary.elapsed.toFixed(1)}s`;
  const head = `${icon} kiln ${summary.command} on ${summary.project} ${outcome} — ${tally}`;
  const lines = failed
    .slice(0, 10)
    .map((r) => `• ${r.uniqueId}: ${r.message.split('\n').slice(0, 2).join(' ').slice(0, 300)}`);
  if (failed.length > 10) lines.push(`… and ${failed.length - 10} more`);
  const link = linkTemplate ? linkTemplate.replace('{invocation_id}', summary.invocationId) : undefined;
  const text = [head, ...lines, ...(link ? [link] : [])].join('\n');
  return {
    text,
    kiln: {
      project: summary.project,
      command: summary.command,
      invocation_id: summary.invocationId,
      success: summary.success,
      elapsed_time: summary.elapsed,
      failed: failed.map((r) => ({ unique_id: r.uniqueId, status: r.status, message: r.message.split('\n')[0] })),
    },
  };
}

async function postOnce(url: string, body: string, timeoutSeconds: number): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutSeconds * 1000),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  await res.arrayBuffer().catch(() => undefined);
}

/** Sends to every target that wants this run; resolves when all are sent or given up. */
export async function notify(
  targets: NotificationTarget[],
  summary: RunSummary,
  log: (message: string) => void,
): Promise<void> {
  await Promise.all(
    targets
      .filter((t) => t.on === 'always' || !summary.success)
      .map((t) => post(t, slackPayload(summary, t.linkTemplate), log)),
  );
}

/**
 * An alert that is not one run's summary (a missed deadline, a stale source, from the
 * orchestrator): `text` for people, `kiln` for machines. Every target receives it.
 */
export async function sendAlert(
  targets: NotificationTarget[],
  alert: { text: string; kiln: Record<string, unknown> },
  log: (message: string) => void,
): Promise<void> {
  await Promise.all(targets.map((t) => post(t, alert, log)));
}

async function post(
  target: NotificationTarget,
  payload: Record<string, unknown>,
  log: (message: string) => void,
): Promise<void> {
  const body = stringifyScrubbed(payload);
  const host = new URL(target.url).host;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await postOnce(target.url, body, target.timeoutSeconds);
      return;
    } catch (e) {
      if (attempt === 2) {
        const { name, message } = e as Error;
        const reason = name === 'TimeoutError' ? `no answer within ${target.timeoutSeconds}s` : message;
        log(`notification to ${host} not sent: ${reason}`);
      }
    }
  }
}

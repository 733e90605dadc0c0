/** `kiln source freshness`: how long ago each source was last loaded, judged against its rules. */
import { errorMessage } from '../errors.js';
import type { Adapter } from '../adapters/types.js';
import type { SourceNode } from '../parse/nodes.js';
import { effectiveCriteria, judge, type FreshnessCriteria, type FreshnessStatus } from './criteria.js';

export interface FreshnessResult {
  uniqueId: string;
  status: FreshnessStatus;
  maxLoadedAt: string | null;
  snapshottedAt: string;
  ageSeconds: number | null;
  criteria: FreshnessCriteria;
  message: string;
  executionTime: number;
}

/** Sources that have freshness rules and a loaded_at_field. */
export function checkableSources(
  sources: Iterable<SourceNode>,
): Array<{ source: SourceNode; criteria: FreshnessCriteria }> {
  const out: Array<{ source: SourceNode; criteria: FreshnessCriteria }> = [];
  for (const source of sources) {
    const criteria = effectiveCriteria(undefined, source.freshness);
    if (criteria && source.loadedAtField) out.push({ source, criteria });
  }
  return out;
}

export async function checkFreshness(
  adapter: Adapter,
  source: SourceNode,
  criteria: FreshnessCriteria,
): Promise<FreshnessResult> {
  const started = Date.now();
  const relation = adapter.relation(source.database, source.schema, source.identifier).render();
  const where = criteria.filter ? ` where ${criteria.filter}` : '';
  const snapshottedAt = new Date();
  try {
    const result = await adapter.execute(
      `select max(${source.loadedAtField}) as max_loaded_at from ${relation}${where}`,
    );
    const raw = result.rows[0]?.max_loaded_at;
    const maxLoadedAt =
      raw === null || raw === undefined
        ? null
        : raw instanceof Date
          ? raw
          : new Date(String(raw).replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(raw)) ? '' : 'Z'));
    if (!maxLoadedAt || Number.isNaN(maxLoadedAt.getTime())) {
      return {
        uniqueId: source.uniqueId,
        status: 'error',
        maxLoadedAt: null,
        snapshottedAt: snapshottedAt.toISOString(),
        ageSeconds: null,
        criteria,
        message: `no rows with a ${source.loadedAtField}: the source has never been loaded`,
        executionTime: (Date.now() - started) / 1000,
      };
    }
    const age = Math.max(0, (snapshottedAt.getTime() - maxLoadedAt.getTime()) / 1000);
    const status = judge(age, criteria);
    return {
      uniqueId: source.uniqueId,
      status,
      maxLoadedAt: maxLoadedAt.toISOString(),
      snapshottedAt: snapshottedAt.toISOString(),
      ageSeconds: age,
      criteria,
      message: `last loaded ${formatAge(age)} ago`,
      executionTime: (Date.now() - started) / 1000,
    };
  } catch (e) {
    return {
      uniqueId: source.uniqueId,
      status: 'runtime error',
      maxLoadedAt: null,
      snapshottedAt: snapshottedAt.toISOString(),
      ageSeconds: null,
      criteria,
      message: errorMessage(e),
      executionTime: (Date.now() - started) / 1000,
    };
  }
}

export function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} hours`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** Ids of sources stale past error_after, for `build --fail-on-stale-sources`. */
export async function staleSources(sources: Iterable<SourceNode>, adapter: Adapter): Promise<Map<string, string>> {
  const stale = new Map<string, string>();
  for (const { source, criteria } of checkableSources(sources)) {
    const r = await checkFreshness(adapter, source, criteria);
    if (r.status === 'error' || r.status === 'runtime error') stale.set(source.uniqueId, r.message);
  }
  return stale;
}

/** Source freshness rules: `freshness: {warn_after, error_after: {count, period}, filter}`. */
export interface FreshnessThreshold {
  count: number;
  period: 'minute' | 'hour' | 'day';
}

export interface FreshnessCriteria {
  warn_after?: FreshnessThreshold | null;
  error_after?: FreshnessThreshold | null;
  filter?: string | null;
}

const seconds: Record<FreshnessThreshold['period'], number> = { minute: 60, hour: 3600, day: 86400 };

export function thresholdSeconds(t: FreshnessThreshold | null | undefined): number | undefined {
  if (!t || t.count === undefined || t.count === null || !seconds[t.period]) return undefined;
  return Number(t.count) * seconds[t.period];
}

/** A table's freshness wins over its source's; `freshness: null` switches it off. */
export function effectiveCriteria(sourceLevel: unknown, tableLevel: unknown): FreshnessCriteria | null {
  if (tableLevel === null) return null;
  const base = (sourceLevel && typeof sourceLevel === 'object' ? sourceLevel : {}) as FreshnessCriteria;
  const own = (tableLevel && typeof tableLevel === 'object' ? tableLevel : {}) as FreshnessCriteria;
  const merged: FreshnessCriteria = { ...base, ...own };
  if (!thresholdSeconds(merged.warn_after) && !thresholdSeconds(merged.error_after)) return null;
  return merged;
}

export type FreshnessStatus = 'pass' | 'warn' | 'error' | 'runtime error';

export function judge(ageSeconds: number, criteria: FreshnessCriteria): FreshnessStatus {
  const err = thresholdSeconds(criteria.error_after);
  const warn = thresholdSeconds(criteria.warn_after);
  if (err !== undefined && ageSeconds > err) return 'error';
  if (warn !== undefined && ageSeconds > warn) return 'warn';
  return 'pass';
}

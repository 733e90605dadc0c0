/**
 * Version ranges of hub packages, with the semantics of dbt's semver module: a requirement is
 * `1.3.0` (exact), `>=1.0.0`, `>1.0.0`, `<2.0.0`, `<=2.0.0` or a list of them; the requirements
 * of every requirer of one package are intersected into one range, and the highest available
 * version inside it is installed. Prereleases (`1.4.0-rc1`, `1.4.0a1`) are considered only when
 * a requirement names one or `install_prerelease` is set. Pure functions; no I/O.
 */

export type Matcher = '=' | '>=' | '>' | '<=' | '<';

export interface Version {
  matcher: Matcher;
  major: number;
  minor: number;
  patch: number;
  prerelease?: string;
  build?: string;
}

/** A bound of a range: a version, or no bound at all. */
export type Bound = Version | 'unbounded';

export interface VersionRange {
  start: Bound;
  end: Bound;
}

export class VersionError extends Error {}

// X.Y.Z without leading zeros; a prerelease with or without `-`; a `+build`.
const NUMBER = '(0|[1-9]\\d*)';
const PRE_PART = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const VERSION_PATTERN = new RegExp(
  `^(>=|>|<=|<|=)?\\s*${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-?(${PRE_PART}(?:\\.${PRE_PART})*))?(?:\\+([0-9A-Za-z-]*(?:\\.[0-9A-Za-z-]*)*))?$`,
);

/** `>=1.2.3`, `1.2.3`, `1.4.0-rc.1`; throws VersionError for anything else (`1.2`, `v1.2.3`, `~1.2`). */
export function parseVersion(text: string): Version {
  const m = VERSION_PATTERN.exec(text.trim());
  if (!m) throw new VersionError(`"${text}" is not a valid semantic version`);
  const v: Version = {
    matcher: (m[1] as Matcher | undefined) ?? '=',
    major: Number(m[2]),
    minor: Number(m[3]),
    patch: Number(m[4]),
  };
  if (m[5]) v.prerelease = m[5];
  if (m[6]) v.build = m[6];
  return v;
}

export function versionText(v: Version, withMatcher = true): string {
  const suffix = `${v.prerelease ? `-${v.prerelease}` : ''}${v.build ? `+${v.build}` : ''}`;
  return `${withMatcher ? v.matcher : ''}${v.major}.${v.minor}.${v.patch}${suffix}`;
}

export function rangeText(r: VersionRange): string {
  const parts = [r.start, r.end].filter((b): b is Version => b !== 'unbounded').map((b) => versionText(b));
  return parts.length ? parts.join(', ') : 'any version';
}

const isLower = (b: Bound) => b !== 'unbounded' && (b.matcher === '>' || b.matcher === '>=');
const isUpper = (b: Bound) => b !== 'unbounded' && (b.matcher === '<' || b.matcher === '<=');
const isExact = (b: Bound) => b !== 'unbounded' && b.matcher === '=';

/** Prerelease tags compare field by field; numeric fields sort before alphanumeric ones. */
function comparePrerelease(a: string, b: string): number {
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = /^\d+$/.test(as[i]!) ? Number(as[i]) : as[i]!;
    const y = /^\d+$/.test(bs[i]!) ? Number(bs[i]) : bs[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

/**
 * Orders two bounds. Equal numbers are ordered by their matchers, so that `<1.0.0` sorts below
 * `>=1.0.0`; a release bound `<2.0.0` sorts below every 2.0.0 prerelease, which keeps
 * `2.0.0-rc1` out of `<2.0.0`. An unbounded side compares equal to anything.
 */
export function compareBounds(a: Bound, b: Bound): number {
  if (a === 'unbounded' || b === 'unbounded') return 0;
  for (const key of ['major', 'minor', 'patch'] as const) if (a[key] !== b[key]) return a[key] > b[key] ? 1 : -1;
  if (a.prerelease !== undefined || b.prerelease !== undefined) {
    if (a.prerelease === undefined) return a.matcher === '<' ? -1 : 1;
    if (b.prerelease === undefined) return -1;
    const c = comparePrerelease(a.prerelease, b.prerelease);
    if (c !== 0) return c;
  }
  const m = a.matcher;
  const n = b.matcher;
  if ((m === '>=' && n === '<=') || (m === '<=' && n === '>=')) return 0;
  if ((m === '<' && n === '<=') || (n === '>' && m === '>=') || (isUpper(a) && isLower(b))) return -1;
  if ((n === '<' && m === '<=') || (m === '>' && n === '>=') || (isLower(a) && isUpper(b))) return 1;
  return 0;
}

function toRange(v: Version): VersionRange {
  if (v.matcher === '=') return { start: v, end: v };
  return isLower(v) ? { start: v, end: 'unbounded' } : { start: 'unbounded', end: v };
}

function tighterLower(a: Bound, b: Bound): Bound {
  if (b === 'unbounded') return a;
  if (a === 'unbounded') return b;
  if (!isExact(a) && !isExact(b)) return compareBounds(a, b) < 0 ? b : a;
  const [lower, exact] = isExact(a) ? [b, a] : [a, b];
  const c = compareBounds(lower, exact);
  if (c < 0 || (c === 0 && lower.matcher === '>=')) return exact;
  throw new VersionError('incompatible');
}

function tighterUpper(a: Bound, b: Bound): Bound {
  if (b === 'unbounded') return a;
  if (a === 'unbounded') return b;
  if (!isExact(a) && !isExact(b)) return compareBounds(a, b) > 0 ? b : a;
  const [upper, exact] = isExact(a) ? [b, a] : [a, b];
  const c = compareBounds(upper, exact);
  if (c > 0 || (c === 0 && upper.matcher === '<=')) return exact;
  throw new VersionError('incompatible');
}

function intersect(a: VersionRange, b: VersionRange): VersionRange {
  let start: Bound;
  let end: Bound;
  if (isExact(a.start) && isExact(b.start)) {
    if (compareBounds(a.start, b.start) !== 0) throw new VersionError('incompatible');
    start = end = a.start;
  } else {
    start = tighterLower(a.start, b.start);
    end = tighterUpper(a.end, b.end);
  }
  if (compareBounds(start, end) > 0) throw new VersionError('incompatible');
  return { start, end };
}

/** The range every requirement allows; throws VersionError when they have nothing in common. */
export function reduceVersions(requirements: Version[]): VersionRange {
  if (requirements.length === 0) return { start: 'unbounded', end: 'unbounded' };
  const rest = [...requirements];
  let range = toRange(rest.pop()!);
  for (const r of rest) range = intersect(range, toRange(r));
  return range;
}

export function satisfies(version: Version, range: VersionRange): boolean {
  try {
    reduceVersions([version, ...[range.start, range.end].filter((b): b is Version => b !== 'unbounded')]);
    return true;
  } catch (e) {
    if (e instanceof VersionError) return false;
    throw e;
  }
}

/**
 * Available version strings (hub keys) sorted ascending, prereleases left out unless allowed; unparsable ones are
 * skipped.
 */
export function installableVersions(available: string[], allowPrerelease: boolean): string[] {
  const parsed: Array<[string, Version]> = [];
  for (const text of available) {
    let v: Version;
    try {
      v = parseVersion(text);
    } catch {
      continue;
    }
    if (v.matcher !== '=') continue;
    if (allowPrerelease || v.prerelease === undefined) parsed.push([text, v]);
  }
  return parsed.sort((x, y) => compareBounds(x[1], y[1])).map(([t]) => t);
}

/** The highest of `available` inside `range`, or undefined. */
export function highestSatisfying(range: VersionRange, available: string[]): string | undefined {
  let best: [string, Version] | undefined;
  for (const text of available) {
    const v = parseVersion(text);
    if (satisfies(v, range) && (!best || compareBounds(best[1], v) < 0)) best = [text, v];
  }
  return best?.[0];
}

/**
 * Expected against actual rows, order-insensitive, on the expected columns only; and the
 * readable diff printed when they differ: each row marked as matching, missing (expected,
 * not returned), extra (returned, not expected) or changed (the closest expected and actual
 * rows paired, differing cells shown as `expected → actual`).
 */

export type Row = Record<string, unknown>;

export interface Comparison {
  equal: boolean;
  matched: Row[];
  missing: Row[];
  extra: Row[];
  /** Pairs of a missing and an extra row that differ in some cells, by closeness. */
  changed: Array<{ expected: Row; actual: Row }>;
}

/** A cell as text for comparing and printing; both sides come from the same warehouse types. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Date)
    return Number.isNaN(v.getTime())
      ? String(v)
      : v
          .toISOString()
          .replace('T00:00:00.000Z', '')
          .replace(/\.000Z$/, 'Z');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const rowKey = (row: Row, columns: string[]) =>
  JSON.stringify(columns.map((c) => (row[c] === null || row[c] === undefined ? null : cellText(row[c]))));

export function compareRows(expected: Row[], actual: Row[], columns: string[]): Comparison {
  const pool = new Map<string, Row[]>();
  for (const r of actual) {
    const k = rowKey(r, columns);
    (pool.get(k) ?? pool.set(k, []).get(k)!).push(r);
  }
  const matched: Row[] = [];
  const missing: Row[] = [];
  for (const r of expected) {
    const hit = pool.get(rowKey(r, columns));
    if (hit?.length) matched.push(hit.pop()!);
    else missing.push(r);
  }
  const extra = [...pool.values()].flat();
  // Pair each missing row with the extra row sharing most cells (at least one), closest first.
  const changed: Comparison['changed'] = [];
  const freeMissing = [...missing];
  const freeExtra = [...extra];
  const same = (a: Row, b: Row) => columns.filter((c) => cellText(a[c]) === cellText(b[c])).length;
  for (;;) {
    let best: [number, number, number] | undefined;
    freeMissing.forEach((m, i) =>
      freeExtra.forEach((x, j) => {
        const s = same(m, x);
        if (s > 0 && (!best || s > best[0])) best = [s, i, j];
      }),
    );
    if (!best) break;
    changed.push({ expected: freeMissing.splice(best[1], 1)[0]!, actual: freeExtra.splice(best[2], 1)[0]! });
  }
  return {
    equal: missing.length === 0 && extra.length === 0,
    matched,
    missing: freeMissing,
    extra: freeExtra,
    changed,
  };
}

/** The diff as a table; `limit` caps the printed rows of each kind. */
export function formatDiff(c: Comparison, columns: string[], limit = 20): string {
  const lines: Array<[string, string[]]> = [];
  const take = <T>(list: T[]) => list.slice(0, limit);
  for (const r of take(c.matched)) lines.push([' ', columns.map((k) => cellText(r[k]))]);
  for (const p of take(c.changed))
    lines.push([
      '→',
      columns.map((k) =>
        cellText(p.expected[k]) === cellText(p.actual[k])
          ? cellText(p.actual[k])
          : `${cellText(p.expected[k])} → ${cellText(p.actual[k])}`,
      ),
    ]);
  for (const r of take(c.missing)) lines.push(['-', columns.map((k) => cellText(r[k]))]);
  for (const r of take(c.extra)) lines.push(['+', columns.map((k) => cellText(r[k]))]);
  const widths = columns.map((h, i) => Math.max(h.length, ...lines.map(([, cells]) => cells[i]!.length)));
  const fmt = (mark: string, cells: string[]) =>
    `${mark} | ${cells.map((x, i) => x.padEnd(widths[i]!)).join(' | ')}`.trimEnd();
  const count = (n: number, kind: string) => (n ? [`${n} ${kind} row${n === 1 ? '' : 's'}`] : []);
  const counts = [
    ...count(c.changed.length, 'changed'),
    ...count(c.missing.length, 'missing'),
    ...count(c.extra.length, 'extra'),
  ];
  const hidden = [c.matched, c.changed, c.missing, c.extra].reduce((n, l) => n + Math.max(0, l.length - limit), 0);
  return [
    `actual differs from expected (${counts.join(', ')}):`,
    '',
    fmt(' ', columns),
    fmt(
      ' ',
      widths.map((w) => '-'.repeat(w)),
    ),
    ...lines.map(([m, cells]) => fmt(m, cells)),
    ...(hidden ? [`  (${hidden} more rows not shown)`] : []),
    '',
    "  '-' expected but not returned, '+' returned but not expected, '→' changed cells as expected → actual",
  ].join('\n');
}

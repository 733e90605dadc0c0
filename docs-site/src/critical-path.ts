/**
 * The critical path of a run: the chain of dependencies that decided when the
 * run finished. Walks back from the node that finished last to the parent that
 * finished last before it started, and so on. Without timestamps, falls back to
 * the longest chain by execution time.
 * Pure: no DOM, no Node.
 */

export interface TimedNode {
  parents: readonly number[];
  run?: { start?: string; end?: string; time?: number };
}

/** `open`: the node started and never finished (an interrupted run); it is drawn to the run's end. */
export interface Span {
  i: number;
  start: number;
  end: number;
  open?: boolean;
}

/** Start/end in ms since the epoch for nodes that have started. */
export function spans(nodes: readonly TimedNode[]): Span[] {
  const out: Span[] = [];
  const open: Span[] = [];
  let last = -Infinity;
  nodes.forEach((n, i) => {
    const s = n.run?.start ? Date.parse(n.run.start) : NaN;
    const e = n.run?.end ? Date.parse(n.run.end) : NaN;
    if (!Number.isFinite(s)) return;
    if (Number.isFinite(e)) {
      out.push({ i, start: s, end: Math.max(s, e) });
      last = Math.max(last, e);
    } else open.push({ i, start: s, end: s, open: true });
  });
  for (const o of open) o.end = Math.max(o.start + 1, last);
  return [...out, ...open];
}

export function criticalPath(nodes: readonly TimedNode[]): number[] {
  const sp = spans(nodes);
  if (sp.length) {
    const byNode = new Map<number, Span>();
    for (const s of sp) byNode.set(s.i, s);
    const done = sp.filter((s) => !s.open);
    let cur = (done.length ? done : sp).reduce((a, b) => (b.end > a.end ? b : a));
    const chain = [cur.i];
    const seen = new Set(chain);
    for (;;) {
      let best: Span | null = null;
      for (const p of nodes[cur.i]!.parents) {
        const s = byNode.get(p);
        if (!s || seen.has(p) || s.end > cur.start + 1) continue;
        if (!best || s.end > best.end) best = s;
      }
      if (!best) break;
      chain.push(best.i);
      seen.add(best.i);
      cur = best;
    }
    return chain.reverse();
  }
  // Longest path by execution time over nodes that ran.
  const ran = nodes.map((n) => typeof n.run?.time === 'number');
  const memo = new Map<number, { len: number; prev: number }>();
  const visit = (i: number, stack: Set<number>): number => {
    const m = memo.get(i);
    if (m) return m.len;
    stack.add(i);
    let best = 0,
      prev = -1;
    for (const p of nodes[i]!.parents) {
      if (!ran[p] || stack.has(p)) continue;
      const l = visit(p, stack);
      if (l > best) {
        best = l;
        prev = p;
      }
    }
    stack.delete(i);
    const len = best + (nodes[i]!.run?.time ?? 0);
    memo.set(i, { len, prev });
    return len;
  };
  let end = -1,
    endLen = -1;
  nodes.forEach((_n, i) => {
    if (ran[i]) {
      const l = visit(i, new Set());
      if (l > endLen) {
        endLen = l;
        end = i;
      }
    }
  });
  const chain: number[] = [];
  for (let i = end; i >= 0; i = memo.get(i)?.prev ?? -1) chain.push(i);
  return chain.reverse();
}

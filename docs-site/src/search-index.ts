/**
 * Instant search over names, descriptions, column names and SQL.
 * The index is a few lower-cased strings per node; a query is a linear scan with
 * indexOf, narrowed incrementally when the new query extends the previous one.
 * A query that matches nothing is retried with each unknown word replaced by the
 * nearest word of the project (one or two typos away). Results can be narrowed to
 * resource types; the count per type is always over all of them.
 * Pure: no DOM, no Node.
 */
import { markdownToText } from '../../src/docs/markdown.js';

export interface SearchableNode {
  id: string;
  type: string;
  name: string;
  path?: string;
  desc?: string;
  cols?: { name: string; desc?: string }[];
  raw?: string;
  compiled?: string;
  tags?: string[];
  /** `docs.show: false`: never found. */
  hidden?: boolean;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Matches of the types asked for. */
  total: number;
  /** Matches per resource type, whatever types were asked for. */
  byType: Map<string, number>;
  /** The query actually run, when the one typed matched nothing and a spelling fix did. */
  corrected?: string;
}

export type SearchField = 'name' | 'path' | 'tag' | 'column' | 'description' | 'sql';

export interface SearchHit {
  i: number;
  score: number;
  field: SearchField;
  /** Text around the first term's match (empty for a name match). */
  snippet: string;
}

interface RawHit {
  i: number;
  score: number;
  field: SearchField;
  at: number;
  len: number;
}

const TYPE_BONUS: Record<string, number> = {
  model: 6,
  source: 5,
  seed: 4,
  snapshot: 4,
  exposure: 3,
  metric: 3,
  analysis: 1,
  macro: 0,
  test: -6,
};

export class SearchIndex {
  private readonly name: string[];
  private readonly path: string[];
  private readonly tags: string[];
  private desc: string[] | null = null;
  private readonly cols: string[];
  private sql: string[] | null = null;
  private lastQuery = '';
  private lastMatches: number[] | null = null;
  private words: string[] | null = null;

  constructor(private readonly nodes: readonly SearchableNode[]) {
    this.name = nodes.map((n) => n.name.toLowerCase());
    this.path = nodes.map((n) => (n.path ?? '').toLowerCase());
    this.tags = nodes.map((n) => (n.tags ?? []).join(' ').toLowerCase());
    this.cols = nodes.map((n) =>
      n.cols
        ? n.cols
            .map((c) => c.name)
            .join('\n')
            .toLowerCase()
        : '',
    );
  }

  /** Descriptions and SQL are the bulk of the index; build them on first need (or ahead, when idle). */
  warm(): void {
    if (!this.desc) this.desc = this.nodes.map((n) => (n.desc ? markdownToText(n.desc).toLowerCase() : ''));
    if (!this.sql) this.sql = this.nodes.map((n) => (n.raw ?? '').toLowerCase());
  }

  search(query: string, limit = 50, types?: ReadonlySet<string>): SearchResult {
    const q = query.trim().toLowerCase();
    if (!q) {
      this.lastQuery = '';
      this.lastMatches = null;
      return { hits: [], total: 0, byType: new Map() };
    }
    this.warm();
    const exact = this.run(q, limit, types);
    if (exact.byType.size) return exact;
    const corrected = this.correct(q);
    if (!corrected) return exact;
    const fixed = this.run(corrected, limit, types);
    return fixed.byType.size ? { ...fixed, corrected } : exact;
  }

  private run(q: string, limit: number, types: ReadonlySet<string> | undefined): SearchResult {
    const terms = q.split(/\s+/).filter(Boolean);
    const pool =
      this.lastMatches &&
      this.lastQuery &&
      q.startsWith(this.lastQuery) &&
      !/\s/.test(q.slice(this.lastQuery.length - 1))
        ? this.lastMatches
        : null;
    const matches: number[] = [];
    const scored: RawHit[] = [];
    const n = pool ? pool.length : this.nodes.length;
    for (let k = 0; k < n; k++) {
      const i = pool ? pool[k]! : k;
      const hit = this.scoreNode(i, terms);
      if (hit) {
        matches.push(i);
        scored.push(hit);
      }
    }
    this.lastQuery = q;
    this.lastMatches = matches;
    const byType = new Map<string, number>();
    for (const h of scored) {
      const t = this.nodes[h.i]!.type;
      byType.set(t, (byType.get(t) ?? 0) + 1);
    }
    const wanted = types?.size ? scored.filter((h) => types.has(this.nodes[h.i]!.type)) : scored;
    wanted.sort(
      (a, b) =>
        b.score - a.score ||
        this.name[a.i]!.length - this.name[b.i]!.length ||
        (this.name[a.i]! < this.name[b.i]! ? -1 : 1),
    );
    const hits = wanted
      .slice(0, limit)
      .map((h): SearchHit => ({ i: h.i, score: h.score, field: h.field, snippet: this.snippet(h) }));
    return { hits, total: wanted.length, byType };
  }

  /** The query with each word no node contains replaced by the nearest known word, or null. */
  private correct(q: string): string | null {
    const words = this.vocabulary();
    let changed = false;
    const out = q
      .split(/\s+/)
      .filter(Boolean)
      .map((t) => {
        if (t.length < 4 || words.some((w) => w.includes(t))) return t;
        const fix = nearestWord(t, words);
        if (fix) changed = true;
        return fix ?? t;
      });
    return changed ? out.join(' ') : null;
  }

  /** Distinct words of names, columns, tags and descriptions, built on the first miss. */
  private vocabulary(): string[] {
    if (!this.words) {
      const set = new Set<string>();
      const addAll = (text: string) => {
        for (const w of text.split(/[^a-z0-9]+/)) if (w.length >= 3 && !/^\d+$/.test(w)) set.add(w);
      };
      this.nodes.forEach((_n, i) => {
        if (!this.nodes[i]!.hidden) {
          addAll(this.name[i]!);
          addAll(this.cols[i]!);
          addAll(this.tags[i]!);
          addAll(this.desc![i]!);
        }
      });
      this.words = [...set];
    }
    return this.words;
  }

  private snippet(h: RawHit): string {
    const text =
      h.field === 'name'
        ? ''
        : h.field === 'tag'
          ? this.tags[h.i]!
          : h.field === 'column'
            ? this.cols[h.i]!
            : h.field === 'path'
              ? (this.nodes[h.i]!.path ?? '')
              : h.field === 'description'
                ? this.desc![h.i]!
                : this.sql![h.i]!;
    return text ? excerpt(text, h.at, h.len, h.field === 'column') : '';
  }

  private scoreNode(i: number, terms: string[]): RawHit | null {
    if (this.nodes[i]!.hidden) return null;
    let score = 0;
    let first: RawHit | null = null;
    for (const t of terms) {
      const name = this.name[i]!;
      let s: number;
      let field: SearchField;
      let at = name.indexOf(t);
      if (at >= 0) {
        s = name === t ? 100 : at === 0 ? 60 : 40;
        field = 'name';
      } else if ((at = this.tags[i]!.indexOf(t)) >= 0) {
        s = 25;
        field = 'tag';
      } else if ((at = this.cols[i]!.indexOf(t)) >= 0) {
        s = 20;
        field = 'column';
      } else if ((at = this.path[i]!.indexOf(t)) >= 0) {
        s = 15;
        field = 'path';
      } else if ((at = this.desc![i]!.indexOf(t)) >= 0) {
        s = 10;
        field = 'description';
      } else if ((at = this.sql![i]!.indexOf(t)) >= 0) {
        s = 5;
        field = 'sql';
      } else return null;
      score += s;
      if (!first) first = { i, score: 0, field, at, len: t.length };
    }
    first!.score = score + (TYPE_BONUS[this.nodes[i]!.type] ?? 0);
    return first;
  }
}

/**
 * The known word closest to a misspelt one: whole words or their beginnings within one
 * edit (two for words of 8 letters or more), fewest edits first, then the shortest word.
 */
function nearestWord(term: string, words: readonly string[]): string | null {
  const max = term.length >= 8 ? 2 : 1;
  let best: string | null = null,
    bestD = max + 1;
  for (const w of words) {
    if (Math.abs(w.length - term.length) > max && w.length < term.length) continue;
    let d = editDistance(term, w, max);
    for (let len = term.length - max; len <= term.length + max && d > 0; len++)
      if (len > 2 && len < w.length) d = Math.min(d, editDistance(term, w.slice(0, len), max));
    if (d < bestD || (d === bestD && best !== null && w.length < best.length)) {
      best = w;
      bestD = d;
    }
  }
  return bestD <= max ? best : null;
}

/** Optimal string alignment distance (adjacent swaps count once), or max + 1 once over max. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [],
    prev = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

function excerpt(text: string, at: number, len: number, line: boolean): string {
  if (line) {
    const s = text.lastIndexOf('\n', at) + 1;
    const e = text.indexOf('\n', at);
    return text.slice(s, e < 0 ? undefined : e);
  }
  const s = Math.max(0, at - 40);
  const e = Math.min(text.length, at + len + 60);
  return (s > 0 ? '…' : '') + text.slice(s, e).replace(/\s+/g, ' ') + (e < text.length ? '…' : '');
}

/**
 * Instant search over names, descriptions, column names and SQL.
 * The index is a few lower-cased strings per node; a query is a linear scan with
 * indexOf, narrowed incrementally when the new query extends the previous one.
 * Pure: no DOM, no Node.
 */
import { markdownToText } from './markdown.js';

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
}

export type SearchField = 'name' | 'path' | 'tag' | 'column' | 'description' | 'sql';

export interface SearchHit {
  i: number;
  score: number;
  field: SearchField;
  /** Text around the first term's match (empty for a name match). */
  snippet: string;
}

interface RawHit { i: number; score: number; field: SearchField; at: number; len: number }

const TYPE_BONUS: Record<string, number> = { model: 6, source: 5, seed: 4, snapshot: 4, exposure: 3, metric: 3, analysis: 1, macro: 0, test: -6 };

export class SearchIndex {
  private readonly name: string[];
  private readonly path: string[];
  private readonly tags: string[];
  private desc: string[] | null = null;
  private readonly cols: string[];
  private sql: string[] | null = null;
  private lastQuery = '';
  private lastMatches: number[] | null = null;

  constructor(private readonly nodes: readonly SearchableNode[]) {
    this.name = nodes.map((n) => n.name.toLowerCase());
    this.path = nodes.map((n) => (n.path ?? '').toLowerCase());
    this.tags = nodes.map((n) => (n.tags ?? []).join(' ').toLowerCase());
    this.cols = nodes.map((n) => (n.cols ? n.cols.map((c) => c.name).join('\n').toLowerCase() : ''));
  }

  /** Descriptions and SQL are the bulk of the index; build them on first need (or ahead, when idle). */
  warm(): void {
    if (!this.desc) this.desc = this.nodes.map((n) => (n.desc ? markdownToText(n.desc).toLowerCase() : ''));
    if (!this.sql) this.sql = this.nodes.map((n) => (n.raw ?? '').toLowerCase());
  }

  search(query: string, limit = 50): { hits: SearchHit[]; total: number } {
    const q = query.trim().toLowerCase();
    if (!q) { this.lastQuery = ''; this.lastMatches = null; return { hits: [], total: 0 }; }
    this.warm();
    const terms = q.split(/\s+/).filter(Boolean);
    const pool = this.lastMatches && this.lastQuery && q.startsWith(this.lastQuery) && !/\s/.test(q.slice(this.lastQuery.length - 1)) ? this.lastMatches : null;
    const matches: number[] = [];
    const scored: RawHit[] = [];
    const n = pool ? pool.length : this.nodes.length;
    for (let k = 0; k < n; k++) {
      const i = pool ? pool[k]! : k;
      const hit = this.scoreNode(i, terms);
      if (hit) { matches.push(i); scored.push(hit); }
    }
    this.lastQuery = q;
    this.lastMatches = matches;
    scored.sort((a, b) => b.score - a.score || this.name[a.i]!.length - this.name[b.i]!.length || (this.name[a.i]! < this.name[b.i]! ? -1 : 1));
    const hits = scored.slice(0, limit).map((h): SearchHit => ({ i: h.i, score: h.score, field: h.field, snippet: this.snippet(h) }));
    return { hits, total: scored.length };
  }

  private snippet(h: RawHit): string {
    const text = h.field === 'name' ? '' : h.field === 'tag' ? this.tags[h.i]! : h.field === 'column' ? this.cols[h.i]!
      : h.field === 'path' ? this.nodes[h.i]!.path ?? '' : h.field === 'description' ? this.desc![h.i]! : this.sql![h.i]!;
    return text ? excerpt(text, h.at, h.len, h.field === 'column') : '';
  }

  private scoreNode(i: number, terms: string[]): RawHit | null {
    let score = 0;
    let first: RawHit | null = null;
    for (const t of terms) {
      const name = this.name[i]!;
      let s = 0;
      let field: SearchField;
      let at = name.indexOf(t);
      if (at >= 0) { s = name === t ? 100 : at === 0 ? 60 : 40; field = 'name'; }
      else if ((at = this.tags[i]!.indexOf(t)) >= 0) { s = 25; field = 'tag'; }
      else if ((at = this.cols[i]!.indexOf(t)) >= 0) { s = 20; field = 'column'; }
      else if ((at = this.path[i]!.indexOf(t)) >= 0) { s = 15; field = 'path'; }
      else if ((at = this.desc![i]!.indexOf(t)) >= 0) { s = 10; field = 'description'; }
      else if ((at = this.sql![i]!.indexOf(t)) >= 0) { s = 5; field = 'sql'; }
      else return null;
      score += s;
      if (!first) first = { i, score: 0, field, at, len: t.length };
    }
    first!.score = score + (TYPE_BONUS[this.nodes[i]!.type] ?? 0);
    return first;
  }
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

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
  /** Where the first term matched, in the field's text: [text, start, end]. */
  snippet: string;
}

const TYPE_BONUS: Record<string, number> = { model: 6, source: 5, seed: 4, snapshot: 4, exposure: 3, metric: 3, analysis: 1, macro: 0, test: -6 };

export class SearchIndex {
  private readonly name: string[];
  private readonly path: string[];
  private readonly tags: string[];
  private readonly desc: string[];
  private readonly cols: string[];
  private sql: string[] | null = null;
  private lastQuery = '';
  private lastMatches: number[] | null = null;

  constructor(private readonly nodes: readonly SearchableNode[]) {
    this.name = nodes.map((n) => n.name.toLowerCase());
    this.path = nodes.map((n) => (n.path ?? '').toLowerCase());
    this.tags = nodes.map((n) => (n.tags ?? []).join(' ').toLowerCase());
    this.desc = nodes.map((n) => (n.desc ? markdownToText(n.desc).toLowerCase() : ''));
    this.cols = nodes.map((n) => (n.cols ? n.cols.map((c) => c.name).join('\n').toLowerCase() : ''));
  }

  /** SQL text is the bulk of the index; build it on first need (or ahead, when idle). */
  warm(): void {
    if (!this.sql) this.sql = this.nodes.map((n) => ((n.raw ?? '') + (n.compiled && n.compiled !== n.raw ? '\n' + n.compiled : '')).toLowerCase());
  }

  search(query: string, limit = 50): { hits: SearchHit[]; total: number } {
    const q = query.trim().toLowerCase();
    if (!q) { this.lastQuery = ''; this.lastMatches = null; return { hits: [], total: 0 }; }
    this.warm();
    const terms = q.split(/\s+/).filter(Boolean);
    const pool = this.lastMatches && this.lastQuery && q.startsWith(this.lastQuery) && !/\s/.test(q.slice(this.lastQuery.length - 1)) ? this.lastMatches : null;
    const matches: number[] = [];
    const scored: SearchHit[] = [];
    const n = pool ? pool.length : this.nodes.length;
    for (let k = 0; k < n; k++) {
      const i = pool ? pool[k]! : k;
      const hit = this.scoreNode(i, terms);
      if (hit) { matches.push(i); scored.push(hit); }
    }
    this.lastQuery = q;
    this.lastMatches = matches;
    scored.sort((a, b) => b.score - a.score || this.name[a.i]!.length - this.name[b.i]!.length || (this.name[a.i]! < this.name[b.i]! ? -1 : 1));
    return { hits: scored.slice(0, limit), total: scored.length };
  }

  private scoreNode(i: number, terms: string[]): SearchHit | null {
    let score = 0;
    let firstField: SearchField | null = null;
    let snippet = '';
    for (const t of terms) {
      const name = this.name[i]!;
      let s = 0;
      let field: SearchField | null = null;
      let text = '';
      let at = -1;
      const ni = name.indexOf(t);
      if (ni >= 0) { s = name === t ? 100 : ni === 0 ? 60 : 40; field = 'name'; text = this.nodes[i]!.name; at = ni; }
      else if ((at = this.tags[i]!.indexOf(t)) >= 0) { s = 25; field = 'tag'; text = this.tags[i]!; }
      else if ((at = this.cols[i]!.indexOf(t)) >= 0) { s = 20; field = 'column'; text = this.cols[i]!; }
      else if ((at = this.path[i]!.indexOf(t)) >= 0) { s = 15; field = 'path'; text = this.nodes[i]!.path ?? ''; }
      else if ((at = this.desc[i]!.indexOf(t)) >= 0) { s = 10; field = 'description'; text = this.desc[i]!; }
      else if ((at = this.sql![i]!.indexOf(t)) >= 0) { s = 5; field = 'sql'; text = this.sql![i]!; }
      else return null;
      score += s;
      if (!firstField) { firstField = field; snippet = field === 'name' ? '' : excerpt(text, at, t.length, field === 'column'); }
    }
    return { i, score: score + (TYPE_BONUS[this.nodes[i]!.type] ?? 0), field: firstField!, snippet };
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

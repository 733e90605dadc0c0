/**
 * Most models only call ref(), source(), config() and var() with literal arguments. Those
 * are recognised here without the template engine, so parsing and compiling them is string work.
 * Anything else (tags, filters, macros, expressions) returns null: the caller renders fully.
 */
export type SimpleCallName = 'ref' | 'source' | 'config' | 'var';

export interface SimpleCall {
  fn: SimpleCallName;
  args: unknown[];
  kwargs: Record<string, unknown>;
  line: number;
}

export type SimplePart = string | SimpleCall;

const callNames = new Set<string>(['ref', 'source', 'config', 'var']);

export function analyseSimpleTemplate(source: string): SimplePart[] | null {
  if (source.includes('{%')) return null;
  const parts: SimplePart[] = [];
  let pos = 0;
  let scan = 0;
  let line = 1;
  while (scan < source.length) {
    const open = source.indexOf('{', scan);
    if (open < 0 || open === source.length - 1) break;
    const next = source[open + 1];
    if (next !== '{' && next !== '#') {
      // A brace of the SQL itself (a struct literal, JSON, a regex count): keep scanning.
      scan = open + 1;
      continue;
    }
    const text = source.slice(pos, open);
    if (text) parts.push(text);
    line += countLines(text);
    if (next === '#') {
      const end = source.indexOf('#}', open + 2);
      if (end < 0) return null;
      line += countLines(source.slice(open, end));
      pos = scan = end + 2;
      continue;
    }
    const end = source.indexOf('}}', open + 2);
    if (end < 0) return null;
    const expr = source.slice(open + 2, end);
    const call = parseCall(expr.replace(/^-/, '').replace(/-$/, ''));
    if (!call) return null;
    parts.push({ ...call, line });
    line += countLines(expr);
    pos = scan = end + 2;
  }
  if (pos < source.length) parts.push(source.slice(pos));
  // Merge adjacent text parts so callers can stream them.
  return parts;
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function parseCall(expr: string): Omit<SimpleCall, 'line'> | null {
  const p = new LiteralParser(expr);
  p.ws();
  const name = p.ident();
  if (!name || !callNames.has(name)) return null;
  p.ws();
  if (!p.eat('(')) return null;
  const args: unknown[] = [];
  const kwargs: Record<string, unknown> = {};
  p.ws();
  if (!p.eat(')')) {
    for (;;) {
      p.ws();
      const save = p.pos;
      const key = p.ident();
      p.ws();
      if (key && p.peek() === '=' && p.peekAt(1) !== '=') {
        p.eat('=');
        const v = p.value();
        if (v === NOT_LITERAL) return null;
        kwargs[key] = v;
      } else {
        p.pos = save;
        const v = p.value();
        if (v === NOT_LITERAL) return null;
        args.push(v);
      }
      p.ws();
      if (p.eat(')')) break;
      if (!p.eat(',')) return null;
      p.ws();
      if (p.eat(')')) break;
    }
  }
  p.ws();
  if (!p.done()) return null;
  return { fn: name as SimpleCallName, args, kwargs };
}

const NOT_LITERAL = Symbol('not a literal');

class LiteralParser {
  pos = 0;
  constructor(private readonly s: string) {}
  done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string | undefined {
    return this.s[this.pos];
  }
  peekAt(n: number): string | undefined {
    return this.s[this.pos + n];
  }
  ws(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos]!)) this.pos++;
  }
  eat(ch: string): boolean {
    if (this.s[this.pos] === ch) {
      this.pos++;
      return true;
    }
    return false;
  }
  ident(): string | undefined {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.pos));
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  value(): unknown {
    this.ws();
    const c = this.peek();
    if (c === "'" || c === '"') return this.string(c);
    if (c === '[') {
      this.pos++;
      const out: unknown[] = [];
      for (;;) {
        this.ws();
        if (this.eat(']')) return out;
        const v = this.value();
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out.push(v);
        this.ws();
        if (this.eat(']')) return out;
        if (!this.eat(',')) return NOT_LITERAL;
      }
    }
    if (c === '{') {
      this.pos++;
      const out: Record<string, unknown> = {};
      for (;;) {
        this.ws();
        if (this.eat('}')) return out;
        const q = this.peek();
        if (q !== "'" && q !== '"') return NOT_LITERAL;
        const k = this.string(q);
        this.ws();
        if (!this.eat(':')) return NOT_LITERAL;
        const v = this.value();
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out[k] = v;
        this.ws();
        if (this.eat('}')) return out;
        if (!this.eat(',')) return NOT_LITERAL;
      }
    }
    const num = /^-?\d+(\.\d+)?/.exec(this.s.slice(this.pos));
    if (num) {
      this.pos += num[0].length;
      return Number(num[0]);
    }
    const word = this.ident();
    if (word === 'true' || word === 'True') return true;
    if (word === 'false' || word === 'False') return false;
    if (word === 'none' || word === 'None') return null;
    return NOT_LITERAL;
  }
  string(q: string): string {
    this.pos++;
    let out = '';
    while (this.pos < this.s.length && this.s[this.pos] !== q) {
      if (this.s[this.pos] === '\\') {
        const n = this.s[this.pos + 1];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : (n ?? '');
        this.pos += 2;
      } else out += this.s[this.pos++];
    }
    this.pos++;
    return out;
  }
}

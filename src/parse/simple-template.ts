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

export function analyseSimpleTemplate(text: string): SimplePart[] | null {
  // The engine reads `\r\n` and `\r` as `\n`: a text that has them is left to it.
  if (text.includes('{%') || text.includes('\r')) return null;
  // Nor is one trailing newline output, as Jinja's keep_trailing_newline=False (dbt's setting) drops it.
  const source = text.endsWith('\n') ? text.slice(0, -1) : text;
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
      if (end < 0 || trimsAround(source.slice(open + 2, end))) return null;
      line += countLines(source.slice(open, end));
      pos = scan = end + 2;
      continue;
    }
    const end = source.indexOf('}}', open + 2);
    if (end < 0) return null;
    const expr = source.slice(open + 2, end);
    if (trimsAround(expr)) return null;
    const call = parseCall(expr);
    if (!call) return null;
    // Not `{ ...call, line }`: on Node 20's V8 that gives each call a hidden class of its own.
    call.line = line;
    parts.push(call);
    line += countLines(expr);
    pos = scan = end + 2;
  }
  if (pos < source.length) parts.push(source.slice(pos));
  // Merge adjacent text parts so callers can stream them.
  return exact(parts);
}

/** `{{-`, `-}}`, `{#-`, `-#}`: whitespace control trims the text beside the tag, which the engine does. */
const trimsAround = (inside: string) => inside.startsWith('-') || inside.endsWith('-');

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** The call in `expr`, its line still to be set (0). */
function parseCall(expr: string): SimpleCall | null {
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
  return { fn: name as SimpleCallName, args: exact(args), kwargs, line: 0 };
}

/**
 * An array built by push(), copied to its length: V8 gives an array's first push room for 17 elements, and the parse
 * keeps tens of thousands of these (each call's arguments, each file's parts and refs) live to the end, where the young
 * generation copies them, empty slots and all (~12 MB of a cold compile's 83 at 10,000 models).
 */
export const exact = <T>(array: T[]): T[] => (array.length ? array.slice() : []);

const NOT_LITERAL = Symbol('not a literal');
// Sticky: matched where the parser stands, without slicing the rest of the text.
const identifier = /[A-Za-z_][A-Za-z0-9_]*/y;
const numberLiteral = /-?\d+(\.\d+)?/y;

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
    for (; this.pos < this.s.length; this.pos++) {
      const c = this.s.charCodeAt(this.pos);
      // ASCII whitespace as \s has it (space, \t \n \v \f \r); the regular expression only for the rest.
      if (c !== 32 && (c < 9 || c > 13) && (c < 128 || !/\s/.test(this.s[this.pos]!))) return;
    }
  }
  eat(ch: string): boolean {
    if (this.s[this.pos] === ch) {
      this.pos++;
      return true;
    }
    return false;
  }
  ident(): string | undefined {
    return this.match(identifier);
  }
  /** The text `re` (sticky) matches at the current position, consumed. */
  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
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
        if (k === NOT_LITERAL) return NOT_LITERAL;
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
    const num = this.match(numberLiteral);
    // An integral float (`3.0`) is a Python float the engine keeps as one where it matters (var()'s
    // default prints `3.0`); a JavaScript number cannot say so, so such a literal goes to the engine.
    if (num !== undefined) return num.includes('.') && Number.isInteger(Number(num)) ? NOT_LITERAL : Number(num);
    const word = this.ident();
    if (word === 'true' || word === 'True') return true;
    if (word === 'false' || word === 'False') return false;
    if (word === 'none' || word === 'None') return null;
    return NOT_LITERAL;
  }
  /** A quoted string; other escapes than these (`\\x41`, `\\d`, ...) mean what Python says, so the engine reads them. */
  string(q: string): string | typeof NOT_LITERAL {
    this.pos++;
    let out = '';
    while (this.pos < this.s.length && this.s[this.pos] !== q) {
      if (this.s[this.pos] === '\\') {
        const n = this.s[this.pos + 1];
        if (n === 'n') out += '\n';
        else if (n === 't') out += '\t';
        else if (n === '\\' || n === "'" || n === '"') out += n;
        else return NOT_LITERAL;
        this.pos += 2;
      } else out += this.s[this.pos++];
    }
    if (this.pos >= this.s.length) return NOT_LITERAL;
    this.pos++;
    return out;
  }
}

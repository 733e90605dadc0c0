/**
 * Python's `re` for dbt templates: compiled patterns, match objects and the module functions,
 * with Python's semantics on JavaScript's regular expressions (re-translate.ts converts the
 * syntax). Positions are Python's: code points, not UTF-16 units. Empty matches follow
 * Python 3.7+: one may directly follow a non-empty match, but never another empty match at
 * the same place.
 *
 * Known differences: a group inside a repeated group keeps its last participating capture in
 * Python, while JavaScript clears it on each repetition (`(?:(a)|b)+` on "ab"); a backreference
 * to a group that did not take part fails in Python and matches empty in JavaScript; and
 * Python rejects variable-width look-behinds, which JavaScript accepts.
 */
import {
  bindArgs,
  callable,
  makeTuple,
  pyError,
  PyClassStub,
  PyIterator,
  strRepr,
  toInt,
  typeError,
  typeName,
  valueError,
} from './py.js';
import { FLAG, IDENTIFIER, reError, translate, type Translation } from './re-translate.js';

/** Conversions between Python's code-point positions and JavaScript's UTF-16 indices. */
class Positions {
  private readonly astral: boolean;
  constructor(private readonly text: string) {
    this.astral = /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text);
  }
  get length(): number {
    return this.astral ? [...this.text].length : this.text.length;
  }
  toCp(unit: number): number {
    return this.astral ? [...this.text.slice(0, unit)].length : unit;
  }
  toUnit(cp: number): number {
    if (!this.astral) return cp;
    let unit = 0;
    for (let i = 0; i < cp && unit < this.text.length; i++) unit += this.text.codePointAt(unit)! > 0xffff ? 2 : 1;
    return unit;
  }
}

const charLength = (s: string, at: number) => ((s.codePointAt(at) ?? 0) > 0xffff ? 2 : 1);

function stringArg(v: unknown): string {
  if (typeof v !== 'string') throw typeError(`expected string or bytes-like object, got '${typeName(v)}'`);
  return v;
}

/** Python's pos/endpos: clamped into the string, as code points. */
function window(text: string, pos: unknown, endpos: unknown): { positions: Positions; from: number; to: number } {
  const positions = new Positions(text);
  const n = positions.length;
  const clamp = (v: unknown, dflt: number) =>
    v === undefined || v === null ? dflt : Math.min(Math.max(toInt(v), 0), n);
  return { positions, from: positions.toUnit(clamp(pos, 0)), to: positions.toUnit(clamp(endpos, n)) };
}

export class PyMatch {
  readonly string: string;
  readonly re: PyPattern;
  readonly pos: number;
  readonly endpos: number;

  constructor(
    private readonly _m: RegExpExecArray,
    pattern: PyPattern,
    text: string,
    private readonly _positions: Positions,
    from: number,
    to: number,
  ) {
    this.string = text;
    this.re = pattern;
    this.pos = _positions.toCp(from);
    this.endpos = _positions.toCp(to);
    Object.freeze(this);
  }

  get __class_name__(): string {
    return 're.Match';
  }

  /** A group argument (number or name) as Python's group number. */
  private _index(g: unknown): number {
    if (typeof g === 'string') {
      const n = this.re._t.groupIndex.get(g);
      if (n !== undefined) return n;
    } else if (typeof g === 'number' || typeof g === 'bigint' || typeof g === 'boolean') {
      const n = Number(g);
      if (Number.isInteger(n) && n >= 0 && n <= this.re.groups) return n;
    }
    throw pyError('IndexError', 'no such group');
  }

  private _value(n: number): string | undefined {
    return n === 0 ? this._m[0] : this._m.groups![`p${n}`];
  }

  /** Start and end of group n in code points, or [-1, -1] if it did not take part. */
  private _span(n: number): [number, number] {
    const span = n === 0 ? this._m.indices![0] : this._m.indices!.groups![`p${n}`];
    if (!span) return [-1, -1];
    return [this._positions.toCp(span[0]), this._positions.toCp(span[1])];
  }

  /** `m.group()`, `m.group(1)`, `m.group('name')`, `m.group(1, 2)` (a tuple). */
  group(...args: unknown[]): string | null | Array<string | null> {
    if (args.length === 0) return this._m[0];
    const values = args.map((g) => this._value(this._index(g)) ?? null);
    return args.length === 1 ? values[0]! : makeTuple(values);
  }

  groups(...args: unknown[]): unknown[] {
    const { default: dflt = null } = bindArgs('groups', args, ['default']);
    return makeTuple(Array.from({ length: this.re.groups }, (_, i) => this._value(i + 1) ?? dflt));
  }

  groupdict(...args: unknown[]): Record<string, unknown> {
    const { default: dflt = null } = bindArgs('groupdict', args, ['default']);
    const out: Record<string, unknown> = {};
    for (const [name, n] of this.re._t.groupIndex) out[name] = this._value(n) ?? dflt;
    return out;
  }

  start(g: unknown = 0): number {
    return this._span(this._index(g))[0];
  }

  end(g: unknown = 0): number {
    return this._span(this._index(g))[1];
  }

  span(g: unknown = 0): number[] {
    return makeTuple(this._span(this._index(g)));
  }

  /** The number of the last group to close (outer groups close after the groups inside them). */
  get lastindex(): number | null {
    const parent = this.re._t.groupParent;
    const within = (inner: number, outer: number) => {
      for (let g = parent[inner]!; g; g = parent[g]!) if (g === outer) return true;
      return false;
    };
    let best: number | null = null;
    for (let n = 1; n <= this.re.groups; n++) {
      const end = this._span(n)[1];
      if (end < 0) continue;
      if (best === null || end > this._span(best)[1] || (end === this._span(best)[1] && !within(n, best))) best = n;
    }
    return best;
  }

  get lastgroup(): string | null {
    const n = this.lastindex;
    for (const [name, i] of this.re._t.groupIndex) if (i === n) return name;
    return null;
  }

  /** `m.expand(template)`: the template with its backreferences filled in, as sub() would. */
  expand(template: unknown): string {
    return parseTemplate(stringArg(template), this.re)(this);
  }

  __getitem__(g: unknown): string | null {
    return this.group(g) as string | null;
  }

  __bool__(): boolean {
    return true;
  }

  __repr__(): string {
    const [a, b] = this._span(0);
    return `<re.Match object; span=(${a}, ${b}), match=${strRepr(this._m[0])}>`;
  }

  __str__(): string {
    return this.__repr__();
  }

  toString(): string {
    return this.__repr__();
  }
}

/** A compiled substitution template: a function from a match to its replacement text. */
type Template = (m: PyMatch) => string;

const TEMPLATE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

/** Python's parse of a sub() replacement: `\1`, `\g<name>`, `\g<1>`, escapes; other backslashes stay. */
function parseTemplate(repl: string, pattern: PyPattern): Template {
  const parts: Array<string | number> = [];
  const group = (n: number, at: number) => {
    if (n > pattern.groups) throw reError(`invalid group reference ${n}`, at);
    parts.push(n);
  };
  let i = 0;
  while (i < repl.length) {
    const slash = repl.indexOf('\\', i);
    if (slash < 0) {
      parts.push(repl.slice(i));
      break;
    }
    parts.push(repl.slice(i, slash));
    const c = repl[slash + 1];
    i = slash + 2;
    if (c === undefined) throw reError('bad escape (end of pattern)', slash);
    if (c === 'g') i = templateNamedGroup(repl, i, pattern, group);
    else if (c === '0' || (/[0-7]/.test(c) && /^[0-7]{2}/.test(repl.slice(i)))) {
      const digits = c + /^[0-7]{0,2}/.exec(repl.slice(i))![0];
      i += digits.length - 1;
      if (parseInt(digits, 8) > 0o377) throw reError(`octal escape value \\${digits} outside of range 0-0o377`, slash);
      parts.push(String.fromCharCode(parseInt(digits, 8)));
    } else if (/\d/.test(c)) {
      const digits = c + (/\d/.test(repl[i] ?? '') ? repl[i++] : '');
      group(Number(digits), slash + 1);
    } else if (c in TEMPLATE_ESCAPES) parts.push(TEMPLATE_ESCAPES[c]!);
    else if (/[A-Za-z]/.test(c)) throw reError(`bad escape \\${c}`, slash);
    else parts.push('\\' + c);
  }
  return (m) => parts.map((p) => (typeof p === 'number' ? ((m.group(p) as string | null) ?? '') : p)).join('');
}

/** `\g<name>` or `\g<number>` in a template; returns where parsing continues. */
function templateNamedGroup(
  repl: string,
  at: number,
  pattern: PyPattern,
  group: (n: number, at: number) => void,
): number {
  if (repl[at] !== '<') throw reError('missing <', at);
  const end = repl.indexOf('>', at + 1);
  if (end < 0) throw reError('missing >, unterminated name', at + 1);
  const name = repl.slice(at + 1, end);
  if (!name) throw reError('missing group name', at + 1);
  if (/^\d+$/.test(name)) group(Number(name), at + 1);
  else if (!IDENTIFIER.test(name)) throw reError(`bad character in group name '${name}'`, at + 1);
  else {
    const n = pattern._t.groupIndex.get(name);
    if (n === undefined) throw pyError('IndexError', `unknown group name '${name}'`);
    group(n, at + 1);
  }
  return end + 1;
}

const FLAG_NAMES = Object.entries(FLAG).sort((a, b) => a[1] - b[1]);

export class PyPattern {
  readonly pattern: string;
  readonly flags: number;
  readonly groups: number;
  readonly groupindex: Record<string, number>;
  readonly _t: Translation;
  private readonly _regexes = new Map<string, RegExp>();

  constructor(pattern: string, flags: number) {
    checkFlags(flags);
    this._t = translate(pattern, flags);
    this.pattern = pattern;
    this.flags = this._t.pyFlags & FLAG.ASCII ? this._t.pyFlags : this._t.pyFlags | FLAG.UNICODE;
    this.groups = this._t.groups;
    this.groupindex = Object.fromEntries(this._t.groupIndex);
    try {
      this._regex('g');
    } catch (e) {
      throw reError(`kiln cannot translate this pattern to JavaScript: ${(e as Error).message}`);
    }
    Object.freeze(this);
  }

  get __class_name__(): string {
    return 're.Pattern';
  }

  /**
   * The JavaScript regex for a way of matching: `g` (search), `y` (at a position), `full`, and
   * two that refuse an empty match (Python's rule against repeating one): `nonempty`, for text
   * that starts where the match must, and `nonempty-anywhere`, whose match must leave text
   * different from the text after its start, i.e. must have moved.
   */
  private _regex(kind: 'g' | 'y' | 'full' | 'nonempty' | 'nonempty-anywhere'): RegExp {
    let re = this._regexes.get(kind);
    if (re) return re;
    const { source, flags } = this._t;
    if (kind === 'g' || kind === 'y') re = new RegExp(source, flags + 'd' + kind);
    else if (kind === 'full') re = new RegExp(`(?:${source})(?![\\s\\S])`, flags + 'dy');
    else if (kind === 'nonempty') re = new RegExp(`(?:${source})(?<=[\\s\\S])`, flags + 'dy');
    else re = new RegExp(`(?=(?<rest>[\\s\\S]*))(?:${source})(?!\\k<rest>)`, flags + 'dy');
    this._regexes.set(kind, re);
    return re;
  }

  private _exec(kind: 'g' | 'y' | 'full' | 'nonempty-anywhere', text: string, at: number): RegExpExecArray | null {
    const re = this._regex(kind);
    re.lastIndex = at;
    return re.exec(text);
  }

  /**
   * A non-empty match starting at `at`. Matching the text from `at` on is quick, but only right
   * for a pattern that never looks behind (`^`, `\b` and look-behinds see the text before).
   */
  private _nonEmptyAt(text: string, at: number): RegExpExecArray | null {
    if (/\(\?<[=!]/.test(this._t.source)) return this._exec('nonempty-anywhere', text, at);
    const re = this._regex('nonempty');
    re.lastIndex = 0;
    const m = re.exec(text.slice(at));
    if (!m) return null;
    // Back to positions in the whole text.
    const shift = (span: [number, number] | undefined) => span && ([span[0] + at, span[1] + at] as [number, number]);
    m.index += at;
    const indices = m.indices!;
    for (let i = 0; i < indices.length; i++) indices[i] = shift(indices[i])!;
    for (const name of Object.keys(indices.groups ?? {})) indices.groups![name] = shift(indices.groups![name])!;
    return m;
  }

  /** match/search/fullmatch on `string` between pos and endpos. */
  private _one(kind: 'g' | 'y' | 'full', name: string, args: unknown[]): PyMatch | null {
    const a = bindArgs(name, args, ['string', 'pos', 'endpos'], 1);
    const text = stringArg(a.string);
    const { positions, from, to } = window(text, a.pos, a.endpos);
    if (to < from) return null;
    const m = this._exec(kind, text.slice(0, to), from);
    return m ? new PyMatch(m, this, text, positions, from, to) : null;
  }

  match(...args: unknown[]): PyMatch | null {
    return this._one('y', 'match', args);
  }

  search(...args: unknown[]): PyMatch | null {
    return this._one('g', 'search', args);
  }

  fullmatch(...args: unknown[]): PyMatch | null {
    return this._one('full', 'fullmatch', args);
  }

  /** Every match from `from`, as Python finds them (see the module comment on empty matches). */
  *_iter(text: string, from: number, to: number): Generator<RegExpExecArray> {
    const slice = text.slice(0, to);
    let at = from;
    let emptyAt = -1;
    while (at <= slice.length) {
      let m: RegExpExecArray | null = null;
      if (emptyAt === at) {
        m = this._nonEmptyAt(slice, at);
        if (!m) {
          if (at >= slice.length) return;
          at += charLength(slice, at);
        }
      }
      m ??= this._exec('g', slice, at);
      if (!m) return;
      yield m;
      at = m.index + m[0].length;
      emptyAt = m[0].length === 0 ? at : -1;
    }
  }

  private _matches(name: string, args: unknown[]): PyMatch[] {
    const a = bindArgs(name, args, ['string', 'pos', 'endpos'], 1);
    const text = stringArg(a.string);
    const { positions, from, to } = window(text, a.pos, a.endpos);
    return [...this._iter(text, from, to)].map((m) => new PyMatch(m, this, text, positions, from, to));
  }

  /** An iterator over the matches, read once as Python's. */
  finditer(...args: unknown[]): PyIterator {
    return new PyIterator(this._matches('finditer', args), 'callable_iterator');
  }

  /** Whole matches, the only group's text, or tuples of all groups ('' for a group that did not take part). */
  findall(...args: unknown[]): unknown[] {
    return this._matches('findall', args).map((m) => {
      if (this.groups === 0) return m.group();
      const groups = m.groups('');
      return this.groups === 1 ? groups[0] : groups;
    });
  }

  subn(...args: unknown[]): unknown[] {
    const a = bindArgs('subn', args, ['repl', 'string', 'count'], 2);
    const text = stringArg(a.string);
    const count = a.count === undefined ? 0 : toInt(a.count);
    const replace = this._replacer(a.repl);
    const positions = new Positions(text);
    let out = '';
    let last = 0;
    let n = 0;
    if (count >= 0) {
      for (const m of this._iter(text, 0, text.length)) {
        if (count && n >= count) break;
        out += text.slice(last, m.index) + replace(new PyMatch(m, this, text, positions, 0, text.length));
        last = m.index + m[0].length;
        n++;
      }
    }
    return makeTuple([out + text.slice(last), n]);
  }

  sub(...args: unknown[]): string {
    return this.subn(...args)[0] as string;
  }

  /** The replacement for each match: a template string, or a function of the match. */
  private _replacer(repl: unknown): Template {
    if (typeof repl === 'string') return parseTemplate(repl, this);
    const fn = callable(repl);
    return (m) => {
      const r = fn(m);
      if (typeof r === 'string') return r;
      // A macro's output is a string-like object; anything else is Python's TypeError.
      if (
        r !== null &&
        typeof r === 'object' &&
        !Array.isArray(r) &&
        typeof (r as { length?: unknown }).length === 'number'
      )
        return String(r);
      throw typeError(`expected str instance, ${typeName(r)} found`);
    };
  }

  /** Pieces between matches, with each match's groups between them. */
  split(...args: unknown[]): Array<string | null> {
    const a = bindArgs('split', args, ['string', 'maxsplit'], 1);
    const text = stringArg(a.string);
    const maxsplit = a.maxsplit === undefined ? 0 : toInt(a.maxsplit);
    if (maxsplit < 0) return [text];
    const out: Array<string | null> = [];
    let last = 0;
    let n = 0;
    for (const m of this._iter(text, 0, text.length)) {
      if (maxsplit && n >= maxsplit) break;
      out.push(text.slice(last, m.index));
      for (let g = 1; g <= this.groups; g++) out.push(m.groups![`p${g}`] ?? null);
      last = m.index + m[0].length;
      n++;
    }
    out.push(text.slice(last));
    return out;
  }

  __repr__(): string {
    const shown = this.flags & ~FLAG.UNICODE;
    const names = FLAG_NAMES.filter(([, v]) => shown & v).map(([k]) => `re.${k}`);
    const rest = shown & ~FLAG_NAMES.reduce((acc, [, v]) => acc | v, 0);
    if (rest) names.push(`0x${rest.toString(16)}`);
    const text = strRepr(this.pattern).slice(0, 200);
    return `re.compile(${text}${names.length ? ', ' + names.join('|') : ''})`;
  }

  __str__(): string {
    return this.__repr__();
  }

  __eq__(o: unknown): boolean {
    return o instanceof PyPattern && o.pattern === this.pattern && o.flags === this.flags;
  }

  toString(): string {
    return this.__repr__();
  }
}

function checkFlags(flags: number): void {
  if (flags & FLAG.LOCALE) throw valueError('cannot use LOCALE flag with a str pattern');
  if (flags & FLAG.ASCII && flags & FLAG.UNICODE) throw valueError('ASCII and UNICODE flags are incompatible');
}

/** Compiled patterns by flags and source, as Python's re caches them. */
const cache = new Map<string, PyPattern>();
const CACHE_SIZE = 512;

/** `re.compile(pattern, flags=0)`: a str, or an already compiled pattern (then without flags). */
function compile(pattern: unknown, flags: unknown = 0): PyPattern {
  const f = toInt(flags ?? 0);
  if (pattern instanceof PyPattern) {
    if (f) throw valueError('cannot process flags argument with a compiled pattern');
    return pattern;
  }
  if (typeof pattern !== 'string') throw typeError('first argument must be string or compiled pattern');
  const key = `${f}:${pattern}`;
  let compiled = cache.get(key);
  if (!compiled) {
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, (compiled = new PyPattern(pattern, f)));
  }
  return compiled;
}

/** A module-level function `re.name(pattern, <params>, flags=0)` calling the pattern's method with <params>. */
function viaPattern<K extends 'match' | 'search' | 'fullmatch' | 'findall' | 'finditer' | 'split' | 'sub' | 'subn'>(
  name: K,
  params: string[],
  required: number,
) {
  return (...args: unknown[]): ReturnType<PyPattern[K]> => {
    const a = bindArgs(name, args, ['pattern', ...params, 'flags'], required + 1);
    const p = compile(a.pattern, a.flags);
    const values = params.map((k) => a[k]);
    while (values.length && values[values.length - 1] === undefined) values.pop();
    return (p[name] as (...x: unknown[]) => ReturnType<PyPattern[K]>)(...values);
  };
}

/** Python 3.7+'s re.escape: only characters special in a pattern get a backslash. */
const escape = (s: unknown) => stringArg(s).replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, '\\$&');

export const reModule = {
  compile: (...args: unknown[]) => {
    const a = bindArgs('compile', args, ['pattern', 'flags'], 1);
    return compile(a.pattern, a.flags);
  },
  match: viaPattern('match', ['string'], 1),
  search: viaPattern('search', ['string'], 1),
  fullmatch: viaPattern('fullmatch', ['string'], 1),
  findall: viaPattern('findall', ['string'], 1),
  finditer: viaPattern('finditer', ['string'], 1),
  split: viaPattern('split', ['string', 'maxsplit'], 1),
  sub: viaPattern('sub', ['repl', 'string', 'count'], 2),
  subn: viaPattern('subn', ['repl', 'string', 'count'], 2),
  /** Python 3.11's deprecated `re.template`: compile with the TEMPLATE flag. */
  template: (...args: unknown[]) => {
    const a = bindArgs('template', args, ['pattern', 'flags'], 1);
    return compile(a.pattern, toInt(a.flags ?? 0) | FLAG.TEMPLATE);
  },
  escape,
  purge: () => (cache.clear(), null),
  error: new PyClassStub('re.error'),
  Pattern: new PyClassStub('re.Pattern'),
  Match: new PyClassStub('re.Match'),
  RegexFlag: new PyClassStub('RegexFlag', 'flag'),
  NOFLAG: 0,
  I: FLAG.IGNORECASE,
  IGNORECASE: FLAG.IGNORECASE,
  L: FLAG.LOCALE,
  LOCALE: FLAG.LOCALE,
  M: FLAG.MULTILINE,
  MULTILINE: FLAG.MULTILINE,
  S: FLAG.DOTALL,
  DOTALL: FLAG.DOTALL,
  U: FLAG.UNICODE,
  UNICODE: FLAG.UNICODE,
  X: FLAG.VERBOSE,
  VERBOSE: FLAG.VERBOSE,
  A: FLAG.ASCII,
  ASCII: FLAG.ASCII,
  T: FLAG.TEMPLATE,
  TEMPLATE: FLAG.TEMPLATE,
  DEBUG: FLAG.DEBUG,
};

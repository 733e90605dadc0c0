/**
 * Translates a Python regular expression into an equivalent JavaScript one (with the `v`
 * flag), so that Python's semantics hold where the two dialects differ:
 *
 * - `.` `^` `$` `\A` `\Z` `\b` follow Python: `$` also matches before a final newline, only
 *   `\n` ends a line, and word characters are Unicode (ASCII under re.ASCII);
 * - `\d` `\w` `\s` are Python's Unicode classes;
 * - `(?P<name>...)`, `(?P=name)`, `(?#...)`, `{,n}`, octal escapes, verbose mode, global inline
 *   flags `(?ix)` and scoped ones `(?i:...)`, atomic groups and possessive quantifiers;
 * - Python's syntax errors are raised as `re.error` with Python's messages.
 *
 * Every capture group is emitted as a JavaScript named group `p<n>` (n = Python's group
 * number), so that the capture groups only JavaScript has (atomic groups are emulated with a
 * lookahead and a backreference to `a<k>`) never shift Python's numbering.
 */
import { pyError } from './py.js';

export const FLAG = {
  TEMPLATE: 1,
  IGNORECASE: 2,
  LOCALE: 4,
  MULTILINE: 8,
  DOTALL: 16,
  UNICODE: 32,
  VERBOSE: 64,
  DEBUG: 128,
  ASCII: 256,
} as const;
const LETTER_FLAGS: Record<string, number> = {
  i: FLAG.IGNORECASE,
  L: FLAG.LOCALE,
  m: FLAG.MULTILINE,
  s: FLAG.DOTALL,
  u: FLAG.UNICODE,
  x: FLAG.VERBOSE,
  a: FLAG.ASCII,
};

export interface Translation {
  source: string;
  /** JavaScript flags besides g/y/d: `v`, plus `i` when case-insensitivity is global. */
  flags: string;
  /** Python's flags, with the pattern's inline global flags and UNICODE. */
  pyFlags: number;
  groups: number;
  groupIndex: Map<string, number>;
  /** Parent group of each Python group (0 for top level), for Match.lastindex. */
  groupParent: number[];
}

export const reError = (message: string, pos?: number) =>
  pyError('re.error', pos === undefined ? message : `${message} at position ${pos}`);

/** Python's Unicode classes, as contents of a `v`-mode class (so they nest inside other classes). */
const UNICODE_CLASS: Record<string, string> = {
  d: '\\p{Nd}',
  w: '\\p{L}\\p{N}_',
  s: '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000',
};
const ASCII_CLASS: Record<string, string> = { d: '0-9', w: 'A-Za-z0-9_', s: '\\t-\\r ' };

/** Python's limit on a repetition count (`{n}`). */
const MAX_REPEAT = 2 ** 32 - 1;

/** A Python identifier, as group names must be. */
export const IDENTIFIER = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** A literal code point in JavaScript regex syntax: letters and digits as they are, the rest escaped. */
const lit = (cp: number) =>
  /[A-Za-z0-9_]/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`;

/** The code points a case-insensitive match accepts for `cp` (simple case mapping). */
function caseVariants(cp: number): number[] {
  const c = String.fromCodePoint(cp);
  const out = new Set([cp]);
  for (const v of [c.toLowerCase(), c.toUpperCase()]) if ([...v].length === 1) out.add(v.codePointAt(0)!);
  return [...out];
}

/** Scoped state while parsing: the flags in force (scoped groups such as `(?i:...)` change them). */
interface Scope {
  flags: number;
}

/** What `parseItem` produced: JavaScript source, and whether a quantifier may follow. */
interface Item {
  js: string;
  repeatable: boolean;
}

class Translator {
  private pos = 0;
  private groups = 0;
  private atomics = 0;
  private readonly groupIndex = new Map<string, number>();
  private readonly groupParent: number[] = [0];
  private readonly openGroups: number[] = [];

  /**
   * `manualCase` is set when a scoped group switches case-insensitivity: JavaScript's `i` flag
   * is then off and letters under `i` are expanded by hand into their case variants.
   */
  constructor(
    private readonly src: string,
    private flags: number,
    private readonly manualCase: boolean,
  ) {}

  translate(): Translation {
    this.readGlobalFlags();
    const source = this.parseAlternation({ flags: this.flags });
    if (this.pos < this.src.length) throw reError('unbalanced parenthesis', this.pos);
    const ignoreCase = (this.flags & FLAG.IGNORECASE) !== 0 && !this.manualCase;
    return {
      source,
      flags: 'v' + (ignoreCase ? 'i' : ''),
      pyFlags: this.flags,
      groups: this.groups,
      groupIndex: this.groupIndex,
      groupParent: this.groupParent,
    };
  }

  /** `(?aiLmsux)` groups at the very start of the pattern set flags for all of it. */
  private readGlobalFlags(): void {
    for (;;) {
      const m = /^\(\?([aiLmsux]+)\)/.exec(this.src.slice(this.pos));
      if (!m) return;
      if (m[1]!.includes('L'))
        throw reError("bad inline flag: cannot use 'L' flag with a str pattern", this.pos + 2 + m[1]!.indexOf('L'));
      for (const c of m[1]!) this.flags |= LETTER_FLAGS[c]!;
      if (this.flags & FLAG.ASCII && m[1]!.includes('u'))
        throw reError("bad inline flag: flags 'a', 'u' and 'L' are incompatible", this.pos + m[0].length - 1);
      this.pos += m[0].length;
    }
  }

  private peek(n = 0): string | undefined {
    return this.src[this.pos + n];
  }

  /** Verbose mode: whitespace and `#` comments outside classes are not part of the pattern. */
  private skipVerbose(scope: Scope): void {
    if (!(scope.flags & FLAG.VERBOSE)) return;
    for (;;) {
      const c = this.peek();
      if (c !== undefined && /\s/.test(c)) this.pos++;
      else if (c === '#') while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      else return;
    }
  }

  private parseAlternation(scope: Scope): string {
    const branches = [this.parseSequence(scope)];
    while (this.peek() === '|') {
      this.pos++;
      branches.push(this.parseSequence(scope));
    }
    return branches.join('|');
  }

  private parseSequence(scope: Scope): string {
    let out = '';
    for (;;) {
      this.skipVerbose(scope);
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') return out;
      out += this.parseQuantifier(scope, this.parseItem(scope));
    }
  }

  /** A quantifier after an item (`*`, `+?`, `{2,}`, possessive `*+`...), if any. */
  private parseQuantifier(scope: Scope, item: Item): string {
    this.skipVerbose(scope);
    const at = this.pos;
    const q = this.readQuantifier();
    if (q === undefined) return item.js;
    if (!item.repeatable) throw reError('nothing to repeat', at);
    let suffix = '';
    if (this.peek() === '?') suffix = (this.pos++, '?');
    else if (this.peek() === '+') suffix = (this.pos++, '+');
    this.skipVerbose(scope);
    const next = this.pos;
    if (this.readQuantifier() !== undefined) throw reError('multiple repeat', next);
    const repeated = `(?:${item.js})${q}`;
    return suffix === '+' ? this.atomic(repeated) : repeated + suffix;
  }

  /** Reads `*`, `+`, `?` or a valid `{m,n}` (as JavaScript text); a `{` that is not one is a literal. */
  private readQuantifier(): string | undefined {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') return (this.pos++, c);
    if (c !== '{') return undefined;
    const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(this.src.slice(this.pos));
    if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
    const [, min = '', comma, max = ''] = m;
    if (Number(min) >= MAX_REPEAT || Number(max) >= MAX_REPEAT)
      throw pyError('OverflowError', 'the repetition number is too large');
    if (min && max && Number(min) > Number(max)) throw reError('min repeat greater than max repeat', this.pos + 1);
    this.pos += m[0].length;
    return comma ? `{${min || 0},${max}}` : `{${min}}`;
  }

  /**
   * An atomic group: JavaScript has none, but a lookahead's match, once captured and re-consumed, is never backtracked
   * into.
   */
  private atomic(js: string): string {
    const name = `a${++this.atomics}`;
    return `(?=(?<${name}>${js}))\\k<${name}>`;
  }

  private parseItem(scope: Scope): Item {
    const c = this.peek()!;
    switch (c) {
      case '(':
        return this.parseGroup(scope);
      case '[':
        return { js: this.parseClass(scope), repeatable: true };
      case '.':
        this.pos++;
        return { js: scope.flags & FLAG.DOTALL ? '[\\s\\S]' : '[^\\n]', repeatable: true };
      case '^':
        this.pos++;
        return { js: scope.flags & FLAG.MULTILINE ? '(?<![^\\n])' : '(?<![\\s\\S])', repeatable: false };
      case '$':
        this.pos++;
        return { js: scope.flags & FLAG.MULTILINE ? '(?![^\\n])' : '(?=\\n?(?![\\s\\S]))', repeatable: false };
      case '\\':
        return this.parseEscape(scope);
      case '*':
      case '+':
      case '?':
        throw reError('nothing to repeat', this.pos);
      case '{': {
        const at = this.pos;
        if (this.readQuantifier() !== undefined) throw reError('nothing to repeat', at);
        this.pos++;
        return { js: this.literal(scope, 0x7b), repeatable: true };
      }
      default: {
        const cp = this.src.codePointAt(this.pos)!;
        this.pos += cp > 0xffff ? 2 : 1;
        return { js: this.literal(scope, cp), repeatable: true };
      }
    }
  }

  /** A literal outside a class; under a scoped (?i) its case variants become a class. */
  private literal(scope: Scope, cp: number): string {
    if (!(this.manualCase && scope.flags & FLAG.IGNORECASE)) return lit(cp);
    const vs = caseVariants(cp);
    return vs.length === 1 ? lit(cp) : `[${vs.map(lit).join('')}]`;
  }

  private wordClass(scope: Scope): string {
    return `[${(scope.flags & FLAG.ASCII ? ASCII_CLASS : UNICODE_CLASS).w}]`;
  }

  /** `\d` `\w` `\s` and their negations as a `v`-mode class. */
  private shorthand(scope: Scope, c: string): string | undefined {
    const table = scope.flags & FLAG.ASCII ? ASCII_CLASS : UNICODE_CLASS;
    const body = table[c.toLowerCase()];
    if (body === undefined || !'dDwWsS'.includes(c)) return undefined;
    return c === c.toLowerCase() ? `[${body}]` : `[^${body}]`;
  }

  private parseEscape(scope: Scope): Item {
    const start = this.pos;
    this.pos++;
    const c = this.peek();
    if (c === undefined) throw reError('bad escape (end of pattern)', start);
    this.pos++;
    const cls = this.shorthand(scope, c);
    if (cls) return { js: cls, repeatable: true };
    const w = this.wordClass(scope);
    switch (c) {
      case 'A':
        return { js: '(?<![\\s\\S])', repeatable: false };
      case 'Z':
        return { js: '(?![\\s\\S])', repeatable: false };
      case 'b':
        return { js: `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`, repeatable: false };
      case 'B':
        return { js: `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))`, repeatable: false };
    }
    if (/\d/.test(c)) return this.parseNumericEscape(scope, c, start);
    return { js: this.literal(scope, this.escapedCodePoint(c, start)), repeatable: true };
  }

  /** The character of an escape that stands for one: `\n`, `\x41`, `\u00e9`, `\.`... */
  private escapedCodePoint(c: string, start: number): number {
    if (c in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[c]!;
    const hex = { x: 2, u: 4, U: 8 }[c];
    if (hex !== undefined) {
      const digits = this.src.slice(this.pos, this.pos + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits))
        throw reError(`incomplete escape \\${c}${digits.match(/^[0-9a-fA-F]*/)![0]}`, start);
      this.pos += hex;
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) throw reError(`bad escape \\${c}${digits}`, start);
      return cp;
    }
    if (c === 'N') throw reError('kiln does not support \\N{...} named characters', start);
    if (/[A-Za-z]/.test(c)) throw reError(`bad escape \\${c}`, start);
    return c.codePointAt(0)!;
  }

  /** `\0` and three octal digits are characters; `\1`-`\99` refer back to groups. */
  private parseNumericEscape(scope: Scope, c: string, start: number): Item {
    const next = this.src.slice(this.pos, this.pos + 2);
    if (c === '0' || (/[0-7]/.test(c) && /^[0-7]{2}$/.test(next))) {
      const digits = c + (c === '0' ? /^[0-7]{0,2}/.exec(next)![0] : next);
      this.pos += digits.length - 1;
      const cp = parseInt(digits, 8);
      if (cp > 0o377) throw reError(`octal escape value \\${digits} outside of range 0-0o377`, start);
      return { js: this.literal(scope, cp), repeatable: true };
    }
    let digits = c;
    if (/\d/.test(this.peek() ?? '')) digits += this.src[this.pos++];
    return { js: this.backReference(Number(digits), start), repeatable: true };
  }

  private backReference(n: number, start: number): string {
    if (n > this.groups) throw reError(`invalid group reference ${n}`, start + 1);
    if (this.openGroups.includes(n)) throw reError('cannot refer to an open group', start);
    return `\\k<p${n}>`;
  }

  /** A character class: Python allows `]` first, and a literal `[`; members are re-escaped for `v` mode. */
  private parseClass(scope: Scope): string {
    const start = this.pos++;
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    const members: string[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw reError('unterminated character set', start);
      if (c === ']' && !first) break;
      first = false;
      const itemStart = this.pos;
      const lo = this.classAtom(scope);
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classAtom(scope);
        if (typeof lo !== 'number' || typeof hi !== 'number')
          throw reError(`bad character range ${this.src.slice(itemStart, this.pos)}`, itemStart);
        if (hi < lo) throw reError(`bad character range ${this.src.slice(itemStart, this.pos)}`, itemStart);
        members.push(this.classRange(scope, lo, hi));
      } else members.push(typeof lo === 'number' ? this.classLiteral(scope, lo) : lo);
    }
    this.pos++;
    return `[${negate ? '^' : ''}${members.join('')}]`;
  }

  /** One member of a class: a code point, or a nested class for `\d` and the like. */
  private classAtom(scope: Scope): number | string {
    const c = this.src.codePointAt(this.pos)!;
    this.pos += c > 0xffff ? 2 : 1;
    if (c !== 0x5c) return c;
    const start = this.pos - 1;
    const e = this.peek();
    if (e === undefined) throw reError('bad escape (end of pattern)', start);
    this.pos++;
    const cls = this.shorthand(scope, e);
    if (cls) return cls;
    if (e === 'b') return 8;
    if (/[0-7]/.test(e)) {
      const digits = e + /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
      this.pos += digits.length - 1;
      const cp = parseInt(digits, 8);
      if (cp > 0o377) throw reError(`octal escape value \\${digits} outside of range 0-0o377`, start);
      return cp;
    }
    if (/\d/.test(e)) throw reError(`bad escape \\${e}`, start);
    return this.escapedCodePoint(e, start);
  }

  private classLiteral(scope: Scope, cp: number): string {
    const manual = this.manualCase && scope.flags & FLAG.IGNORECASE;
    return (manual ? caseVariants(cp) : [cp]).map(lit).join('');
  }

  /** A range; under a scoped (?i), the other case of each member too (for ranges of a sensible size). */
  private classRange(scope: Scope, lo: number, hi: number): string {
    let js = `${lit(lo)}-${lit(hi)}`;
    if (this.manualCase && scope.flags & FLAG.IGNORECASE && hi - lo <= 1000) {
      const extra = new Set<number>();
      for (let cp = lo; cp <= hi; cp++) for (const v of caseVariants(cp)) if (v < lo || v > hi) extra.add(v);
      js += [...extra].map(lit).join('');
    }
    return js;
  }

  private parseGroup(scope: Scope): Item {
    const start = this.pos++;
    if (this.peek() !== '?') return this.capture(scope, null, start);
    this.pos++;
    const c = this.peek();
    if (c === undefined) throw reError('unexpected end of pattern', this.pos);
    if (c === ':') return (this.pos++, { js: `(?:${this.groupBody(scope, start)})`, repeatable: true });
    if (c === '=' || c === '!') return (this.pos++, { js: `(?${c}${this.groupBody(scope, start)})`, repeatable: true });
    const lookbehind = c === '<' ? this.peek(1) : undefined;
    if (lookbehind === '=' || lookbehind === '!') {
      this.pos += 2;
      return { js: `(?<${lookbehind}${this.groupBody(scope, start)})`, repeatable: true };
    }
    if (c === '>') return (this.pos++, { js: this.atomic(`(?:${this.groupBody(scope, start)})`), repeatable: true });
    if (c === '#') return this.comment(start);
    if (c === 'P') return this.parsePGroup(scope, start);
    if (c !== undefined && /[aiLmsux-]/.test(c)) return this.scopedFlags(scope, start);
    if (c === '(') throw reError('kiln does not support conditional groups (?(...)...)', start);
    throw reError(`unknown extension ?${c ?? ''}${c === '<' ? (this.peek(1) ?? '') : ''}`, start + 1);
  }

  /** The inside of a group up to its `)`. */
  private groupBody(scope: Scope, start: number): string {
    const body = this.parseAlternation(scope);
    if (this.peek() !== ')') throw reError('missing ), unterminated subpattern', start);
    this.pos++;
    return body;
  }

  private capture(scope: Scope, name: string | null, start: number): Item {
    const n = ++this.groups;
    this.groupParent[n] = this.openGroups[this.openGroups.length - 1] ?? 0;
    if (name !== null) this.groupIndex.set(name, n);
    this.openGroups.push(n);
    const body = this.groupBody(scope, start);
    this.openGroups.pop();
    return { js: `(?<p${n}>${body})`, repeatable: true };
  }

  private comment(start: number): Item {
    const end = this.src.indexOf(')', this.pos);
    if (end < 0) throw reError('missing ), unterminated comment', start);
    this.pos = end + 1;
    return { js: '', repeatable: false };
  }

  /** `(?P<name>...)` and `(?P=name)`. */
  private parsePGroup(scope: Scope, start: number): Item {
    this.pos++;
    const kind = this.peek();
    const close = kind === '<' ? '>' : ')';
    if (kind !== '<' && kind !== '=') throw reError(`unknown extension ?P${kind ?? ''}`, start + 1);
    this.pos++;
    const end = this.src.indexOf(close, this.pos);
    if (end < 0) throw reError(`missing ${close}, unterminated name`, this.pos);
    const name = this.src.slice(this.pos, end);
    const nameAt = this.pos;
    this.pos = end + 1;
    if (!name) throw reError('missing group name', nameAt);
    if (!IDENTIFIER.test(name)) throw reError(`bad character in group name '${name}'`, nameAt);
    if (kind === '=') {
      const n = this.groupIndex.get(name);
      if (n === undefined) throw reError(`unknown group name '${name}'`, nameAt);
      return { js: this.backReference(n, start), repeatable: true };
    }
    const previous = this.groupIndex.get(name);
    if (previous !== undefined)
      throw reError(`redefinition of group name '${name}' as group ${this.groups + 1}; was group ${previous}`, nameAt);
    return this.capture(scope, name, start);
  }

  /** `(?i:...)`, `(?-i:...)`, `(?s-i:...)`; global flags `(?i)` are only allowed at the start. */
  private scopedFlags(scope: Scope, start: number): Item {
    let flags = scope.flags;
    let adding = true;
    for (;;) {
      const c = this.peek();
      const missing = adding ? 'missing -, : or )' : 'missing :';
      if (c === undefined) throw reError(missing, this.pos);
      if (c === ':') break;
      if (c === ')') {
        if (!adding) throw reError(missing, this.pos);
        throw reError('global flags not at the start of the expression', start);
      }
      if (c === '-' && adding) {
        adding = false;
        this.pos++;
        if (!/[imsx]/.test(this.peek() ?? ''))
          throw reError(/\p{L}/u.test(this.peek() ?? '') ? 'unknown flag' : 'missing flag', this.pos);
        continue;
      }
      if (!(adding ? 'aiLmsux' : 'imsx').includes(c))
        throw reError(/\p{L}/u.test(c) ? 'unknown flag' : missing, this.pos);
      if (c === 'L') throw reError("bad inline flag: cannot use 'L' flag with a str pattern", this.pos);
      flags = adding ? flags | LETTER_FLAGS[c]! : flags & ~LETTER_FLAGS[c]!;
      this.pos++;
    }
    this.pos++;
    return { js: `(?:${this.groupBody({ flags }, start)})`, repeatable: true };
  }
}

/** Whether the pattern has a scoped group that turns case-insensitivity on or off. */
const scopesCase = (pattern: string) =>
  /\(\?[aLmsux]*i[aiLmsux]*(?:-[imsx]*)?:|\(\?[aiLmsux]*-[msx]*i[imsx]*:/.test(pattern);

export function translate(pattern: string, flags: number): Translation {
  return new Translator(pattern, flags, scopesCase(pattern)).translate();
}

/**
 * The methods of Python's built-in types as templates call them (`s.split(',')`,
 * `d.items()`, `l.append(x)`), with Python's signatures, results and exceptions. Strings are
 * treated as sequences of code points; equality is Python's (1 == 1.0 == True).
 */
import {
  DictView,
  PyBytes,
  PyFloat,
  JinjaError,
  makeTuple,
  makeSet,
  isTuple,
  isPySet,
  isDict,
  isInt,
  dictKeys,
  dictSet,
  dictKeyOf,
  hasKey,
  iterate,
  typeName,
  typeError,
  valueError,
  type Kwargs,
} from './values.js';
import { pyRepr } from './repr.js';
import { pyEq, pyOrder } from './compare.js';
import { bindArgs, type Param } from './arguments.js';
import { strFormat, strFormatMap } from './format.js';
import type { Method, RenderEnv } from './render-env.js';

const keyError = (key: unknown) => new JinjaError('KeyError', pyRepr(key));
const indexError = (message: string) => new JinjaError('IndexError', message);

/** Marks an argument that was not passed, where None is a meaningful value. */
const MISSING = Symbol('missing');

const hasKw = (kw: Kwargs) => kw !== undefined && Object.keys(kw).length > 0;

/** Binds a signature whose parameters are positional-only, as most built-in methods are. */
function args(name: string, params: Param[], pos: unknown[], kw: Kwargs): unknown[] {
  if (hasKw(kw)) throw typeError(`${name}() takes no keyword arguments`);
  if (pos.length > params.length) {
    throw typeError(
      params.length === 0
        ? `${name}() takes no arguments (${pos.length} given)`
        : `${name}() takes at most ${params.length} arguments (${pos.length} given)`,
    );
  }
  return bindArgs(name, params, pos, undefined);
}

/** An int argument (bool counts), as Python's __index__ conversion takes it. */
function toIndex(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint')
    return v > BigInt(Number.MAX_SAFE_INTEGER)
      ? Number.MAX_SAFE_INTEGER
      : v < BigInt(Number.MIN_SAFE_INTEGER)
        ? Number.MIN_SAFE_INTEGER
        : Number(v);
  throw typeError(`'${typeName(v)}' object cannot be interpreted as an integer`);
}

/** A slice bound: an int or None. */
function sliceIndex(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (isInt(v) || typeof v === 'boolean') return toIndex(v);
  throw typeError('slice indices must be integers or None or have an __index__ method');
}

/** Python's start/end adjustment for `s[start:end]` searches: [start, end], start not clamped above. */
function adjust(len: number, start: unknown, end: unknown): [number, number] {
  let a = sliceIndex(start) ?? 0;
  let b = sliceIndex(end) ?? len;
  if (b > len) b = len;
  else if (b < 0) b = Math.max(0, b + len);
  if (a < 0) a = Math.max(0, a + len);
  return [a, b];
}

function needStr(v: unknown, what = 'must be str'): string {
  if (typeof v !== 'string') throw typeError(`${what}, not ${typeName(v)}`);
  return v;
}

const SIZE_LIMIT = 1 << 28;
function checkSize(n: number): void {
  if (n > SIZE_LIMIT) throw new JinjaError('MemoryError', '');
}

// ---------------------------------------------------------------------------------------
// Code points

const hasSurrogates = (s: string) => /[\uD800-\uDFFF]/.test(s);

/** A string as code points, with its length in code points. */
class Text {
  readonly cps: string[] | undefined;
  readonly length: number;
  constructor(readonly s: string) {
    this.cps = hasSurrogates(s) ? Array.from(s) : undefined;
    this.length = this.cps ? this.cps.length : s.length;
  }
  slice(a: number, b?: number): string {
    return this.cps ? this.cps.slice(a, b).join('') : this.s.slice(a, b);
  }
  /** The code point index of a UTF-16 index within `slice(from)`. */
  cpIndex(from: number, text: string, unitIndex: number): number {
    return from + (this.cps ? Array.from(text.slice(0, unitIndex)).length : unitIndex);
  }
}

function find(s: string, sub: unknown, start: unknown, end: unknown, fromRight: boolean): number {
  const needle = needStr(sub);
  const t = new Text(s);
  const [a, b] = adjust(t.length, start, end);
  const subLen = new Text(needle).length;
  if (b - a < subLen) return -1;
  const hay = t.slice(a, b);
  const i = fromRight ? hay.lastIndexOf(needle) : hay.indexOf(needle);
  return i < 0 ? -1 : t.cpIndex(a, hay, i);
}

function countIn(s: string, sub: unknown, start: unknown, end: unknown): number {
  const needle = needStr(sub);
  const t = new Text(s);
  const [a, b] = adjust(t.length, start, end);
  if (b - a < 0) return 0;
  const hay = t.slice(a, b);
  if (needle === '') return new Text(hay).length + 1;
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) n++;
  return n;
}

function matchEnd(s: string, affix: unknown, start: unknown, end: unknown, atEnd: boolean, name: string): boolean {
  const t = new Text(s);
  const test = (x: string) => {
    const [a, b] = adjust(t.length, start, end);
    const len = new Text(x).length;
    if (a > t.length) return false;
    if (b - a < len) return false;
    const part = t.slice(a, b);
    return atEnd ? part.endsWith(x) : part.startsWith(x);
  };
  if (isTuple(affix)) {
    return affix.some((x) => test(needStr(x, `tuple for ${name} must only contain str`)));
  }
  if (typeof affix !== 'string')
    throw typeError(`${name} first arg must be str or a tuple of str, not ${typeName(affix)}`);
  return test(affix);
}

// Python's whitespace (str.isspace, str.split(), str.strip()).
const WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const isWs = new RegExp(`^[${WS}]$`);
const allWs = new RegExp(`^[${WS}]+$`);
const leadWs = new RegExp(`^[${WS}]+`);
const trailWs = new RegExp(`[${WS}]+$`);
const LINE_BREAKS = '\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029';

function strip(s: string, chars: unknown, left: boolean, right: boolean, name: string): string {
  if (chars === null || chars === undefined) {
    let out = s;
    if (left) out = out.replace(leadWs, '');
    if (right) out = out.replace(trailWs, '');
    return out;
  }
  if (typeof chars !== 'string') throw typeError(`${name} arg must be None or str`);
  const set = new Set(Array.from(chars));
  const cps = Array.from(s);
  let a = 0;
  let b = cps.length;
  while (left && a < b && set.has(cps[a]!)) a++;
  while (right && b > a && set.has(cps[b - 1]!)) b--;
  return cps.slice(a, b).join('');
}

function splitWhitespace(s: string, max: number): string[] {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  while (true) {
    while (i < n && isWs.test(s[i]!)) i++;
    if (i >= n) break;
    if (max >= 0 && out.length >= max) {
      out.push(s.slice(i));
      break;
    }
    let j = i;
    while (j < n && !isWs.test(s[j]!)) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

function rsplitWhitespace(s: string, max: number): string[] {
  const out: string[] = [];
  let i = s.length;
  while (true) {
    while (i > 0 && isWs.test(s[i - 1]!)) i--;
    if (i <= 0) break;
    if (max >= 0 && out.length >= max) {
      out.push(s.slice(0, i));
      break;
    }
    let j = i;
    while (j > 0 && !isWs.test(s[j - 1]!)) j--;
    out.push(s.slice(j, i));
    i = j;
  }
  return out.reverse();
}

function splitArgs(name: string, pos: unknown[], kw: Kwargs): [string | null, number] {
  const [sep, maxsplit] = bindArgs(
    name,
    [
      ['sep', null],
      ['maxsplit', -1],
    ],
    pos,
    kw,
  );
  if (sep !== null && sep !== undefined && typeof sep !== 'string')
    throw typeError(`must be str or None, not ${typeName(sep)}`);
  if (sep === '') throw valueError('empty separator');
  return [(sep as string | null) ?? null, toIndex(maxsplit)];
}

function justify(name: string, s: string, pos: unknown[], kw: Kwargs, where: 'l' | 'r' | 'c'): string {
  const [w, fillArg] = args(name, ['width', ['fillchar', ' ']], pos, kw);
  const width = toIndex(w);
  if (typeof fillArg !== 'string')
    throw typeError(`The fill character must be a unicode character, not ${typeName(fillArg)}`);
  const fill = fillArg;
  if (new Text(fill).length !== 1) throw typeError('The fill character must be exactly one character long');
  const len = new Text(s).length;
  if (width <= len) return s;
  checkSize(width);
  const pad = width - len;
  if (where === 'l') return s + fill.repeat(pad);
  if (where === 'r') return fill.repeat(pad) + s;
  // Python's centring puts the odd space on the left when the width is odd.
  const left = Math.floor(pad / 2) + (pad & width & 1);
  return fill.repeat(left) + s + fill.repeat(pad - left);
}

function partition(s: string, sep: unknown, fromRight: boolean): unknown[] {
  const p = needStr(sep);
  if (p === '') throw valueError('empty separator');
  const i = fromRight ? s.lastIndexOf(p) : s.indexOf(p);
  if (i < 0) return makeTuple(fromRight ? ['', '', s] : [s, '', '']);
  return makeTuple([s.slice(0, i), p, s.slice(i + p.length)]);
}

// ---------------------------------------------------------------------------------------
// Unicode case and character classes, as Python 3 defines them.

const reCased = /\p{Cased}/u;
const reCaseIgnorable = /\p{Case_Ignorable}/u;
const reUpper = /\p{Uppercase}/u;
const reLower = /\p{Lowercase}/u;
const reTitle = /\p{Lt}/u;

const isUpperCp = (c: string) => reUpper.test(c);
const isLowerCp = (c: string) => reLower.test(c);
const isTitleCp = (c: string) => reTitle.test(c);
const isCasedCp = (c: string) => reCased.test(c);

/** Title-case mappings that are not "upper-case the first, lower-case the rest". */
const TITLE_SPECIAL: Record<string, string> = (() => {
  const out: Record<string, string> = {};
  // Digraphs with a title-case form of their own.
  const pairs: [number, number][] = [
    [0x1c4, 0x1c5],
    [0x1c5, 0x1c5],
    [0x1c6, 0x1c5],
    [0x1c7, 0x1c8],
    [0x1c8, 0x1c8],
    [0x1c9, 0x1c8],
    [0x1ca, 0x1cb],
    [0x1cb, 0x1cb],
    [0x1cc, 0x1cb],
    [0x1f1, 0x1f2],
    [0x1f2, 0x1f2],
    [0x1f3, 0x1f2],
  ];
  for (const [from, to] of pairs) out[String.fromCodePoint(from)] = String.fromCodePoint(to);
  // Greek with ypogegrammeni / prosgegrammeni title-case to the single capital with prosgegrammeni.
  for (let c = 0x1f80; c <= 0x1faf; c++) out[String.fromCodePoint(c)] = String.fromCodePoint((c & ~0x8) | 0x8);
  out['\u1fb3'] = '\u1fbc';
  out['\u1fbc'] = '\u1fbc';
  out['\u1fc3'] = '\u1fcc';
  out['\u1fcc'] = '\u1fcc';
  out['\u1ff3'] = '\u1ffc';
  out['\u1ffc'] = '\u1ffc';
  out['\u1fb2'] = '\u1fba\u0345';
  out['\u1fb4'] = '\u0386\u0345';
  out['\u1fc2'] = '\u1fca\u0345';
  out['\u1fc4'] = '\u0389\u0345';
  out['\u1ff2'] = '\u1ffa\u0345';
  out['\u1ff4'] = '\u038f\u0345';
  out['\u1fb7'] = '\u0391\u0342\u0345';
  out['\u1fc7'] = '\u0397\u0342\u0345';
  out['\u1ff7'] = '\u03a9\u0342\u0345';
  out['\u0149'] = '\u02bcN';
  // Georgian Mkhedruli has capitals (Mtavruli) but title-cases to itself.
  for (let c = 0x10d0; c <= 0x10ff; c++)
    if (c <= 0x10fa || c >= 0x10fd) out[String.fromCodePoint(c)] = String.fromCodePoint(c);
  return out;
})();

function titleCp(c: string): string {
  const special = TITLE_SPECIAL[c];
  if (special !== undefined) return special;
  const upper = c.toUpperCase();
  const cps = Array.from(upper);
  if (cps.length <= 1) return upper;
  // Special casings: the first letter stays a capital, the rest take lower case ('ß' -> 'Ss').
  return cps[0]! + cps.slice(1).join('').toLowerCase();
}

/** The lower case of cps[i], with Greek final sigma decided by its neighbours. */
function lowerAt(cps: string[], i: number): string {
  const c = cps[i]!;
  if (c !== '\u03a3') return c.toLowerCase();
  let j = i - 1;
  while (j >= 0 && reCaseIgnorable.test(cps[j]!)) j--;
  const after = j >= 0 && reCased.test(cps[j]!);
  let k = i + 1;
  while (k < cps.length && reCaseIgnorable.test(cps[k]!)) k++;
  const before = k < cps.length && reCased.test(cps[k]!);
  return after && !before ? '\u03c2' : '\u03c3';
}

/** Case folding exceptions to "upper-case, then lower-case". */
const FOLD_SPECIAL: Record<string, string> = {
  '\u0130': 'i\u0307',
  '\u0131': '\u0131',
  '\u1e9e': 'ss',
};

function casefoldCp(c: string): string {
  const special = FOLD_SPECIAL[c];
  if (special !== undefined) return special;
  const code = c.codePointAt(0)!;
  // Cherokee folds to its capitals.
  if ((code >= 0x13a0 && code <= 0x13f5) || (code >= 0xab70 && code <= 0xabbf) || (code >= 0x13f8 && code <= 0x13fd))
    return c.toUpperCase();
  return c.toUpperCase().toLowerCase();
}

const reAlpha = /^\p{L}+$/u;
const reDecimal = /^\p{Nd}+$/u;
/** Code points that are digits without being decimals (superscripts, circled digits...). */
const DIGIT_EXTRA =
  /[\u00b2\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792\u{10a40}-\u{10a43}\u{10e60}-\u{10e68}\u{11052}-\u{1105a}\u{1f100}-\u{1f10a}]/u;
/** Code points Python counts as numeric beyond categories Nd, Nl and No (CJK numerals...). */
const NUMERIC_EXTRA =
  /[\u3405\u3483\u382a\u3b4d\u4e00\u4e03\u4e07\u4e09\u4e5d\u4e8c\u4e94\u4e96\u4ebf\u4ec0\u4edf\u4ee8\u4f0d\u4f70\u5104\u5146\u5169\u516b\u516d\u5341\u5343-\u5345\u534c\u53c1-\u53c4\u56db\u58f1\u58f9\u5e7a\u5efe\u5eff\u5f0c-\u5f0e\u5f10\u62fe\u634c\u67d2\u6f06\u7396\u767e\u8086\u842c\u8cae\u8cb3\u8d30\u9621\u9646\u964c\u9678\u96f6\uf96b\uf973\uf978\uf9b2\uf9d1\uf9d3\uf9fd\u{20001}\u{20064}\u{200e2}\u{20121}\u{2092a}\u{20983}\u{2098c}\u{2099c}\u{20aea}\u{20afd}\u{20b19}\u{22390}\u{22998}\u{23b1b}\u{2626d}\u{2f890}]/u;

const isDigitCp = (c: string) => /\p{Nd}/u.test(c) || DIGIT_EXTRA.test(c);
const isNumericCp = (c: string) => /\p{N}/u.test(c) || NUMERIC_EXTRA.test(c);
const isAlnumCp = (c: string) => /\p{L}/u.test(c) || isNumericCp(c);
const rePrintable = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const reIdentifier = /^[\p{XID_Start}_][\p{XID_Continue}]*$/u;

function every(s: string, test: (c: string) => boolean): boolean {
  if (s === '') return false;
  for (const c of s) if (!test(c)) return false;
  return true;
}

function title(s: string): string {
  const cps = Array.from(s);
  let out = '';
  let previousCased = false;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    out += previousCased ? lowerAt(cps, i) : titleCp(c);
    previousCased = isCasedCp(c);
  }
  return out;
}

function capitalize(s: string): string {
  const cps = Array.from(s);
  let out = cps.length ? titleCp(cps[0]!) : '';
  for (let i = 1; i < cps.length; i++) out += lowerAt(cps, i);
  return out;
}

function swapcase(s: string): string {
  const cps = Array.from(s);
  let out = '';
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    out += isUpperCp(c) ? lowerAt(cps, i) : isLowerCp(c) ? c.toUpperCase() : c;
  }
  return out;
}

function isTitle(s: string): boolean {
  let cased = false;
  let previousCased = false;
  for (const c of s) {
    if (isUpperCp(c) || isTitleCp(c)) {
      if (previousCased) return false;
      previousCased = cased = true;
    } else if (isLowerCp(c)) {
      if (!previousCased) return false;
      previousCased = cased = true;
    } else previousCased = false;
  }
  return cased;
}

function caseTest(s: string, want: 'upper' | 'lower'): boolean {
  let cased = false;
  for (const c of s) {
    const up = isUpperCp(c);
    const low = isLowerCp(c);
    if (isTitleCp(c) || (want === 'upper' ? low : up)) return false;
    if (want === 'upper' ? up : low) cased = true;
  }
  return cased;
}

function splitlines(s: string, keepends: boolean): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (!LINE_BREAKS.includes(c)) {
      i++;
      continue;
    }
    const eol = c === '\r' && s[i + 1] === '\n' ? i + 2 : i + 1;
    out.push(s.slice(start, keepends ? eol : i));
    start = i = eol;
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

function expandtabs(s: string, tabsize: number): string {
  let out = '';
  let col = 0;
  for (const c of s) {
    if (c === '\t') {
      if (tabsize > 0) {
        const n = tabsize - (col % tabsize);
        checkSize(out.length + n);
        out += ' '.repeat(n);
        col += n;
      }
    } else {
      out += c;
      col = c === '\n' || c === '\r' ? 0 : col + 1;
    }
  }
  return out;
}

/** Python's str.replace(old, new, count); a negative count replaces all. */
export function strReplace(s: string, old: string, rep: string, count: number): string {
  if (count < 0) count = Infinity;
  if (old === '') {
    const cps = Array.from(s);
    let out = '';
    let n = 0;
    for (let i = 0; i <= cps.length; i++) {
      if (n < count) {
        out += rep;
        n++;
      }
      if (i < cps.length) out += cps[i];
    }
    return out;
  }
  let out = '';
  let from = 0;
  let n = 0;
  while (n < count) {
    const i = s.indexOf(old, from);
    if (i < 0) break;
    out += s.slice(from, i) + rep;
    from = i + old.length;
    n++;
  }
  return out + s.slice(from);
}

const noArgs =
  (name: string, fn: (s: string) => unknown): Method<string> =>
  (s, pos, kw) => {
    args(name, [], pos, kw);
    return fn(s);
  };

export const strMethods: Record<string, Method<string>> = {
  capitalize: noArgs('capitalize', capitalize),
  casefold: noArgs('casefold', (s) => Array.from(s, casefoldCp).join('')),
  center: (s, pos, kw) => justify('center', s, pos, kw, 'c'),
  count: (s, pos, kw) => {
    const [sub, start, end] = args('count', ['sub', ['start', null], ['end', null]], pos, kw);
    return countIn(s, sub, start, end);
  },
  encode: (s, pos, kw) => {
    const [encoding, errors] = bindArgs(
      'encode',
      [
        ['encoding', 'utf-8'],
        ['errors', 'strict'],
      ],
      pos,
      kw,
    );
    needStr(encoding, "encode() argument 'encoding' must be str");
    needStr(errors, "encode() argument 'errors' must be str");
    return new PyBytes(s);
  },
  endswith: (s, pos, kw) => {
    const [suffix, start, end] = args('endswith', ['suffix', ['start', null], ['end', null]], pos, kw);
    return matchEnd(s, suffix, start, end, true, 'endswith');
  },
  expandtabs: (s, pos, kw) => {
    const [tabsize] = bindArgs('expandtabs', [['tabsize', 8]], pos, kw);
    return expandtabs(s, toIndex(tabsize));
  },
  find: (s, pos, kw) => {
    const [sub, start, end] = args('find', ['sub', ['start', null], ['end', null]], pos, kw);
    return find(s, sub, start, end, false);
  },
  format: (s, pos, kw, env) =>
    strFormat(
      s,
      pos,
      kw ?? {},
      (o, n) => env.getattr(o, n),
      (o, k) => env.getitem(o, k),
    ),
  format_map: (s, pos, kw, env) => {
    const [mapping] = args('format_map', ['mapping'], pos, kw);
    return strFormatMap(
      s,
      mapping,
      (o, n) => env.getattr(o, n),
      (o, k) => env.getitem(o, k),
    );
  },
  index: (s, pos, kw) => {
    const [sub, start, end] = args('index', ['sub', ['start', null], ['end', null]], pos, kw);
    const i = find(s, sub, start, end, false);
    if (i < 0) throw valueError('substring not found');
    return i;
  },
  isalnum: noArgs('isalnum', (s) => every(s, isAlnumCp)),
  isalpha: noArgs('isalpha', (s) => s !== '' && reAlpha.test(s)),
  isascii: noArgs('isascii', (s) => /^[\x00-\x7f]*$/.test(s)),
  isdecimal: noArgs('isdecimal', (s) => s !== '' && reDecimal.test(s)),
  isdigit: noArgs('isdigit', (s) => every(s, isDigitCp)),
  isidentifier: noArgs('isidentifier', (s) => reIdentifier.test(s)),
  islower: noArgs('islower', (s) => caseTest(s, 'lower')),
  isnumeric: noArgs('isnumeric', (s) => every(s, isNumericCp)),
  isprintable: noArgs('isprintable', (s) => {
    for (const c of s) if (c !== ' ' && rePrintable.test(c)) return false;
    return true;
  }),
  isspace: noArgs('isspace', (s) => allWs.test(s)),
  istitle: noArgs('istitle', isTitle),
  isupper: noArgs('isupper', (s) => caseTest(s, 'upper')),
  join: (s, pos, kw) => {
    const [iterable] = args('join', ['iterable'], pos, kw);
    let items: unknown[];
    try {
      items = iterate(iterable);
    } catch (e) {
      if (e instanceof JinjaError && e.pyType === 'TypeError') throw typeError('can only join an iterable');
      throw e;
    }
    items.forEach((item, i) => {
      if (typeof item !== 'string')
        throw typeError(`sequence item ${i}: expected str instance, ${typeName(item)} found`);
    });
    return items.join(s);
  },
  ljust: (s, pos, kw) => justify('ljust', s, pos, kw, 'l'),
  lower: noArgs('lower', (s) => s.toLowerCase()),
  lstrip: (s, pos, kw) => strip(s, args('lstrip', [['chars', null]], pos, kw)[0], true, false, 'lstrip'),
  partition: (s, pos, kw) => partition(s, args('partition', ['sep'], pos, kw)[0], false),
  removeprefix: (s, pos, kw) => {
    const p = needStr(args('removeprefix', ['prefix'], pos, kw)[0], 'removeprefix() argument must be str');
    return p && s.startsWith(p) ? s.slice(p.length) : s;
  },
  removesuffix: (s, pos, kw) => {
    const p = needStr(args('removesuffix', ['suffix'], pos, kw)[0], 'removesuffix() argument must be str');
    return p && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  },
  replace: (s, pos, kw) => {
    const [old, rep, count] = args('replace', ['old', 'new', ['count', -1]], pos, kw);
    const from = needStr(old, 'replace() argument 1 must be str');
    const to = needStr(rep, 'replace() argument 2 must be str');
    const n = toIndex(count);
    // Bounds the result before building it: each replacement grows it by at most to.length.
    const most = from === '' ? new Text(s).length + 1 : Math.floor(s.length / from.length);
    checkSize(s.length + Math.min(n < 0 ? most : n, most) * Math.max(0, to.length - from.length));
    return strReplace(s, from, to, n);
  },
  rfind: (s, pos, kw) => {
    const [sub, start, end] = args('rfind', ['sub', ['start', null], ['end', null]], pos, kw);
    return find(s, sub, start, end, true);
  },
  rindex: (s, pos, kw) => {
    const [sub, start, end] = args('rindex', ['sub', ['start', null], ['end', null]], pos, kw);
    const i = find(s, sub, start, end, true);
    if (i < 0) throw valueError('substring not found');
    return i;
  },
  rjust: (s, pos, kw) => justify('rjust', s, pos, kw, 'r'),
  rpartition: (s, pos, kw) => partition(s, args('rpartition', ['sep'], pos, kw)[0], true),
  rsplit: (s, pos, kw) => {
    const [sep, max] = splitArgs('rsplit', pos, kw);
    if (sep === null) return rsplitWhitespace(s, max);
    const out: string[] = [];
    let end = s.length;
    while (max < 0 || out.length < max) {
      const i = s.lastIndexOf(sep, end - sep.length);
      if (i < 0 || end - sep.length < 0) break;
      out.push(s.slice(i + sep.length, end));
      end = i;
    }
    out.push(s.slice(0, end));
    return out.reverse();
  },
  rstrip: (s, pos, kw) => strip(s, args('rstrip', [['chars', null]], pos, kw)[0], false, true, 'rstrip'),
  split: (s, pos, kw) => {
    const [sep, max] = splitArgs('split', pos, kw);
    if (sep === null) return splitWhitespace(s, max);
    const out: string[] = [];
    let start = 0;
    while (max < 0 || out.length < max) {
      const i = s.indexOf(sep, start);
      if (i < 0) break;
      out.push(s.slice(start, i));
      start = i + sep.length;
    }
    out.push(s.slice(start));
    return out;
  },
  splitlines: (s, pos, kw) => {
    const [keepends] = bindArgs('splitlines', [['keepends', false]], pos, kw);
    return splitlines(s, toIndex(keepends) !== 0);
  },
  startswith: (s, pos, kw) => {
    const [prefix, start, end] = args('startswith', ['prefix', ['start', null], ['end', null]], pos, kw);
    return matchEnd(s, prefix, start, end, false, 'startswith');
  },
  strip: (s, pos, kw) => strip(s, args('strip', [['chars', null]], pos, kw)[0], true, true, 'strip'),
  swapcase: noArgs('swapcase', swapcase),
  title: noArgs('title', title),
  upper: noArgs('upper', (s) => s.toUpperCase()),
  zfill: (s, pos, kw) => {
    const width = toIndex(args('zfill', ['width'], pos, kw)[0]);
    const len = new Text(s).length;
    if (width <= len) return s;
    checkSize(width);
    const zeros = '0'.repeat(width - len);
    return s[0] === '+' || s[0] === '-' ? s[0] + zeros + s.slice(1) : zeros + s;
  },
};

// ---------------------------------------------------------------------------------------
// list, tuple

function indexOf(items: unknown[], x: unknown, start: unknown, end: unknown): number {
  const [a, b] = adjust(items.length, start, end);
  for (let i = a; i < b && i < items.length; i++) if (pyEq(items[i], x)) return i;
  return -1;
}

const countOf = (items: unknown[], x: unknown) => items.reduce<number>((n, y) => (pyEq(y, x) ? n + 1 : n), 0);

function pushAll(target: unknown[], items: unknown[]): void {
  const copy = items === target ? [...items] : items;
  for (const x of copy) target.push(x);
}

function sortList(items: unknown[], key: unknown, reverse: boolean, env: RenderEnv): void {
  const keys = key === null || key === undefined ? items : items.map((x) => env.call(key, [x]));
  const order = items.map((_, i) => i);
  order.sort(reverse ? (a, b) => pyOrder(keys[b], keys[a]) : (a, b) => pyOrder(keys[a], keys[b]));
  const sorted = order.map((i) => items[i]);
  for (let i = 0; i < sorted.length; i++) items[i] = sorted[i];
}

export const tupleMethods: Record<string, Method<unknown[]>> = {
  count: (l, pos, kw) => countOf(l, args('count', ['value'], pos, kw)[0]),
  index: (l, pos, kw) => {
    const [x, start, end] = args('index', ['value', ['start', 0], ['stop', null]], pos, kw);
    const i = indexOf(l, x, start, end);
    if (i < 0) throw valueError(`${isTuple(l) ? 'tuple.index(x): x not in tuple' : `${pyRepr(x)} is not in list`}`);
    return i;
  },
};

export const listMethods: Record<string, Method<unknown[]>> = {
  append: (l, pos, kw) => {
    l.push(args('append', ['object'], pos, kw)[0]);
    return null;
  },
  clear: (l, pos, kw) => {
    args('clear', [], pos, kw);
    l.length = 0;
    return null;
  },
  copy: (l, pos, kw) => {
    args('copy', [], pos, kw);
    return [...l];
  },
  count: tupleMethods.count!,
  extend: (l, pos, kw) => {
    pushAll(l, iterate(args('extend', ['iterable'], pos, kw)[0]));
    return null;
  },
  index: tupleMethods.index!,
  insert: (l, pos, kw) => {
    const [i, x] = args('insert', ['index', 'object'], pos, kw);
    let at = toIndex(i);
    if (at < 0) at = Math.max(0, at + l.length);
    if (at > l.length) at = l.length;
    l.splice(at, 0, x);
    return null;
  },
  pop: (l, pos, kw) => {
    const [i] = args('pop', [['index', -1]], pos, kw);
    if (l.length === 0) throw indexError('pop from empty list');
    let at = toIndex(i);
    if (at < 0) at += l.length;
    if (at < 0 || at >= l.length) throw indexError('pop index out of range');
    return l.splice(at, 1)[0];
  },
  remove: (l, pos, kw) => {
    const [x] = args('remove', ['value'], pos, kw);
    const i = indexOf(l, x, null, null);
    if (i < 0) throw valueError('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  reverse: (l, pos, kw) => {
    args('reverse', [], pos, kw);
    l.reverse();
    return null;
  },
  sort: (l, pos, kw, env) => {
    if (pos.length) throw typeError('sort() takes no positional arguments');
    const [key, reverse] = bindArgs(
      'sort',
      [
        ['key', null],
        ['reverse', false],
      ],
      [],
      kw,
    );
    sortList(l, key, toIndex(reverse) !== 0, env);
    return null;
  },
};

// ---------------------------------------------------------------------------------------
// dict

/** The stored key for `key`, or undefined when no stored key can equal it (a tuple). */
function lookupKey(key: unknown): string | undefined {
  if (isTuple(key)) {
    for (const item of key) lookupKey(item);
    return undefined;
  }
  if (Array.isArray(key) || isDict(key)) throw typeError(`unhashable type: '${typeName(key)}'`);
  return dictKeyOf(key);
}

function storeKey(key: unknown): unknown {
  lookupKey(key);
  return key;
}

function dictUpdate(d: Record<string, unknown>, other: unknown): void {
  if (isDict(other)) {
    for (const k of dictKeys(other)) dictSet(d, k, other[k]);
    return;
  }
  if (other instanceof Map) {
    for (const [k, v] of other) dictSet(d, storeKey(k), v);
    return;
  }
  iterate(other).forEach((item, i) => {
    let pair: unknown[];
    try {
      pair = iterate(item);
    } catch {
      throw typeError(`cannot convert dictionary update sequence element #${i} to a sequence`);
    }
    if (pair.length !== 2)
      throw valueError(`dictionary update sequence element #${i} has length ${pair.length}; 2 is required`);
    dictSet(d, storeKey(pair[0]), pair[1]);
  });
}

export const dictMethods: Record<string, Method<Record<string, unknown>>> = {
  clear: (d, pos, kw) => {
    args('clear', [], pos, kw);
    for (const k of dictKeys(d)) delete d[k];
    return null;
  },
  copy: (d, pos, kw) => {
    args('copy', [], pos, kw);
    const out: Record<string, unknown> = {};
    for (const k of dictKeys(d)) dictSet(out, k, d[k]);
    return out;
  },
  fromkeys: (_d, pos, kw) => {
    const [iterable, value] = args('fromkeys', ['iterable', ['value', null]], pos, kw);
    const out: Record<string, unknown> = {};
    for (const k of iterate(iterable)) dictSet(out, storeKey(k), value);
    return out;
  },
  get: (d, pos, kw) => {
    const [key, dflt] = args('get', ['key', ['default', null]], pos, kw);
    const k = lookupKey(key);
    return k !== undefined && hasKey(d, k) ? d[k] : dflt;
  },
  items: (d, pos, kw) => {
    args('items', [], pos, kw);
    return new DictView('items', d);
  },
  keys: (d, pos, kw) => {
    args('keys', [], pos, kw);
    return new DictView('keys', d);
  },
  pop: (d, pos, kw) => {
    const [key, dflt] = args('pop', ['key', ['default', MISSING]], pos, kw);
    const k = lookupKey(key);
    if (k !== undefined && hasKey(d, k)) {
      const v = d[k];
      delete d[k];
      return v;
    }
    if (dflt === MISSING) throw keyError(key);
    return dflt;
  },
  popitem: (d, pos, kw) => {
    args('popitem', [], pos, kw);
    const keys = dictKeys(d);
    if (keys.length === 0) throw keyError('popitem(): dictionary is empty');
    const k = keys[keys.length - 1]!;
    const v = d[k];
    delete d[k];
    return makeTuple([k, v]);
  },
  setdefault: (d, pos, kw) => {
    const [key, dflt] = args('setdefault', ['key', ['default', null]], pos, kw);
    const k = lookupKey(key);
    if (k !== undefined && hasKey(d, k)) return d[k];
    dictSet(d, key, dflt);
    return dflt;
  },
  update: (d, pos, kw) => {
    if (pos.length > 1) throw typeError(`update expected at most 1 argument, got ${pos.length}`);
    if (pos.length === 1) dictUpdate(d, pos[0]);
    if (kw) for (const k of Object.keys(kw)) dictSet(d, k, kw[k]);
    return null;
  },
  values: (d, pos, kw) => {
    args('values', [], pos, kw);
    return new DictView('values', d);
  },
};

// ---------------------------------------------------------------------------------------
// set

function hashable(x: unknown): unknown {
  if (isTuple(x)) {
    x.forEach(hashable);
    return x;
  }
  if (Array.isArray(x) || isDict(x)) throw typeError(`unhashable type: '${typeName(x)}'`);
  return x;
}

const member = (items: unknown[], x: unknown) => items.some((y) => pyEq(x, y));

function addTo(target: unknown[], x: unknown): void {
  if (!member(target, hashable(x))) target.push(x);
}

/** The distinct items of an iterable argument. */
function setOf(other: unknown): unknown[] {
  const out: unknown[] = [];
  for (const x of iterate(other)) addTo(out, x);
  return out;
}

function replaceItems(target: unknown[], items: unknown[]): null {
  target.length = 0;
  for (const x of items) target.push(x);
  return null;
}

const union = (s: unknown[], others: unknown[]) => {
  const out = [...s];
  for (const o of others) for (const x of iterate(o)) addTo(out, x);
  return out;
};
const intersection = (s: unknown[], others: unknown[]) =>
  others.reduce<unknown[]>(
    (acc, o) => {
      const other = setOf(o);
      return acc.filter((x) => member(other, x));
    },
    [...s],
  );
const difference = (s: unknown[], others: unknown[]) =>
  others.reduce<unknown[]>(
    (acc, o) => {
      const other = setOf(o);
      return acc.filter((x) => !member(other, x));
    },
    [...s],
  );
const symmetricDifference = (s: unknown[], o: unknown) => {
  const other = setOf(o);
  return [...s.filter((x) => !member(other, x)), ...other.filter((x) => !member(s, x))];
};

const varargs =
  (name: string, fn: (s: unknown[], others: unknown[]) => unknown): Method<unknown[]> =>
  (s, pos, kw) => {
    if (hasKw(kw)) throw typeError(`${name}() takes no keyword arguments`);
    return fn(s, pos);
  };

export const setMethods: Record<string, Method<unknown[]>> = {
  add: (s, pos, kw) => {
    addTo(s, args('add', ['elem'], pos, kw)[0]);
    return null;
  },
  clear: (s, pos, kw) => {
    args('clear', [], pos, kw);
    s.length = 0;
    return null;
  },
  copy: (s, pos, kw) => {
    args('copy', [], pos, kw);
    return makeSet([...s]);
  },
  difference: varargs('difference', (s, others) => makeSet(difference(s, others))),
  difference_update: varargs('difference_update', (s, others) => replaceItems(s, difference(s, others))),
  discard: (s, pos, kw) => {
    const [x] = args('discard', ['elem'], pos, kw);
    const i = s.findIndex((y) => pyEq(hashable(x), y));
    if (i >= 0) s.splice(i, 1);
    return null;
  },
  intersection: varargs('intersection', (s, others) => makeSet(intersection(s, others))),
  intersection_update: varargs('intersection_update', (s, others) => replaceItems(s, intersection(s, others))),
  isdisjoint: (s, pos, kw) => {
    const other = setOf(args('isdisjoint', ['other'], pos, kw)[0]);
    return !s.some((x) => member(other, x));
  },
  issubset: (s, pos, kw) => {
    const other = setOf(args('issubset', ['other'], pos, kw)[0]);
    return s.every((x) => member(other, x));
  },
  issuperset: (s, pos, kw) => {
    const other = setOf(args('issuperset', ['other'], pos, kw)[0]);
    return other.every((x) => member(s, x));
  },
  pop: (s, pos, kw) => {
    args('pop', [], pos, kw);
    if (s.length === 0) throw keyError('pop from an empty set');
    return s.shift();
  },
  remove: (s, pos, kw) => {
    const [x] = args('remove', ['elem'], pos, kw);
    const i = s.findIndex((y) => pyEq(hashable(x), y));
    if (i < 0) throw keyError(x);
    s.splice(i, 1);
    return null;
  },
  symmetric_difference: (s, pos, kw) =>
    makeSet(symmetricDifference(s, args('symmetric_difference', ['other'], pos, kw)[0])),
  symmetric_difference_update: (s, pos, kw) =>
    replaceItems(s, symmetricDifference(s, args('symmetric_difference_update', ['other'], pos, kw)[0])),
  union: varargs('union', (s, others) => makeSet(union(s, others))),
  update: varargs('update', (s, others) => replaceItems(s, union(s, others))),
};

// ---------------------------------------------------------------------------------------
// int, float

const bigOf = (v: number | bigint | boolean): bigint =>
  typeof v === 'bigint' ? v : BigInt(typeof v === 'boolean' ? Number(v) : v);
const intOf = (v: number | bigint | boolean): number | bigint => (typeof v === 'boolean' ? Number(v) : v);

export const intMethods: Record<string, Method<number | bigint | boolean>> = {
  as_integer_ratio: (n, pos, kw) => {
    args('as_integer_ratio', [], pos, kw);
    return makeTuple([intOf(n), 1]);
  },
  bit_count: (n, pos, kw) => {
    args('bit_count', [], pos, kw);
    const b = bigOf(n);
    return Array.from((b < 0n ? -b : b).toString(2)).filter((c) => c === '1').length;
  },
  bit_length: (n, pos, kw) => {
    args('bit_length', [], pos, kw);
    const b = bigOf(n);
    return b === 0n ? 0 : (b < 0n ? -b : b).toString(2).length;
  },
  conjugate: (n, pos, kw) => {
    args('conjugate', [], pos, kw);
    return intOf(n);
  },
};

const floatValue = (v: number | PyFloat) => (v instanceof PyFloat ? v.value : v);

/** |x| = mantissa * 2^exponent, the mantissa odd (or zero). */
function floatParts(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exp = expBits === 0 ? -1074 : expBits - 1075;
  if (expBits !== 0) mant |= 1n << 52n;
  while (mant !== 0n && (mant & 1n) === 0n) {
    mant >>= 1n;
    exp++;
  }
  return [mant, exp];
}

const smallInt = (b: bigint): number | bigint =>
  b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;

export const floatMethods: Record<string, Method<number | PyFloat>> = {
  as_integer_ratio: (v, pos, kw) => {
    args('as_integer_ratio', [], pos, kw);
    const x = floatValue(v);
    if (Number.isNaN(x)) throw valueError('cannot convert NaN to integer ratio');
    if (!Number.isFinite(x)) throw new JinjaError('OverflowError', 'cannot convert Infinity to integer ratio');
    if (x === 0) return makeTuple([0, 1]);
    const [mant, exp] = floatParts(x);
    const sign = x < 0 ? -1n : 1n;
    if (exp >= 0) return makeTuple([smallInt(sign * (mant << BigInt(exp))), 1]);
    return makeTuple([smallInt(sign * mant), smallInt(1n << BigInt(-exp))]);
  },
  conjugate: (v, pos, kw) => {
    args('conjugate', [], pos, kw);
    return v;
  },
  hex: (v, pos, kw) => {
    args('hex', [], pos, kw);
    const x = floatValue(v);
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    const sign = x < 0 || Object.is(x, -0) ? '-' : '';
    if (x === 0) return `${sign}0x0.0p+0`;
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const hi = view.getUint32(0);
    const expBits = (hi >>> 20) & 0x7ff;
    const frac = ((BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4))).toString(16).padStart(13, '0');
    const exp = expBits === 0 ? -1022 : expBits - 1023;
    return `${sign}0x${expBits === 0 ? 0 : 1}.${frac}p${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
  },
  is_integer: (v, pos, kw) => {
    args('is_integer', [], pos, kw);
    return Number.isInteger(floatValue(v));
  },
};

/** Tells whether the array is a set, a tuple or a list, for choosing a method table. */
export function methodsFor(value: unknown): Record<string, Method<never>> | undefined {
  if (typeof value === 'string') return strMethods;
  if (isPySet(value)) return setMethods;
  if (isTuple(value)) return tupleMethods;
  if (Array.isArray(value)) return listMethods;
  if (isDict(value)) return dictMethods;
  if (typeof value === 'boolean' || isInt(value)) return intMethods;
  if (typeof value === 'number' || value instanceof PyFloat) return floatMethods;
  return undefined;
}

/**
 * Jinja2 3.1's built-in filters, behaving as Jinja2 does with autoescaping off (`escape`,
 * `forceescape` and `safe` give plain strings), plus dbt's `as_text`, `as_bool`, `as_number`
 * and `as_native`. Filters that Python defines as generators (`map`, `select`, `batch`, ...)
 * return lists: the engine has no lazy iterators, and `list()` of Jinja's answer is the same.
 */
import type { Filter, RenderEnv } from './render-env.js';
import {
  PyFloat,
  PyIterator,
  Undefined,
  JinjaError,
  typeError,
  valueError,
  undefinedError,
  makeFloat,
  makeInt,
  makeTuple,
  makeSet,
  isTuple,
  isPySet,
  isDict,
  isInt,
  isFloat,
  isNumber,
  isUndefined,
  dictKeys,
  dictSet,
  iterate,
  pyLen,
  truthy,
  typeName,
  toNumber,
  type Kwargs,
} from './values.js';
import { pyStr, pyRepr, stringRepr } from './repr.js';
import { pyEq, pyOrder } from './compare.js';
import { binary, negate } from './numbers.js';
import { bindArgs, type Param } from './arguments.js';
import { percentFormat } from './format.js';
import { jsonDumps } from './json.js';
import { strReplace } from './methods.js';
import { markupText } from './markup.js';

// ---------------------------------------------------------------------------------------------
// Errors and small conversions

const filterArgumentError = (message: string) => new JinjaError('FilterArgumentError', message);
const attributeError = (message: string) => new JinjaError('AttributeError', message);

function undefinedHint(v: unknown): Undefined | undefined {
  return v instanceof Undefined ? v : undefined;
}

/** Python's `str(value)` for a value that is not a string yet (markupsafe's soft_str). */
function softStr(v: unknown): string {
  return typeof v === 'string' ? v : pyStr(v);
}

/** A Python int argument (bools count as ints), as `range()` or `str.center()` require. */
function intArg(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw typeError(`'${typeName(v)}' object cannot be interpreted as an integer`);
}

/** The code points of a string: Python indexes and measures strings by them. */
const cps = (s: string): string[] => Array.from(s);
const cpLen = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n++;
    }
  }
  return n;
};
const cpSlice = (s: string, start: number, end?: number): string => {
  if (/^[\u0000-\ud7ff\ue000-\uffff]*$/.test(s)) return s.slice(start, end);
  return cps(s).slice(start, end).join('');
};

/** Python's str.isspace() characters. */
const PY_SPACE = new Set(
  Array.from(
    '\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000',
  ),
);
const LINE_BREAKS = new Set(Array.from('\n\r\u000b\u000c\u001c\u001d\u001e\u0085\u2028\u2029'));

/** Python's str.strip(chars). */
function pyStrip(s: string, chars?: string | null, left = true, right = true): string {
  const chars_ = chars === undefined || chars === null ? undefined : new Set(cps(chars));
  const strip = (c: string) => (chars_ ? chars_.has(c) : PY_SPACE.has(c));
  const list = cps(s);
  let a = 0;
  let b = list.length;
  if (left) while (a < b && strip(list[a]!)) a++;
  if (right) while (b > a && strip(list[b - 1]!)) b--;
  return list.slice(a, b).join('');
}

/** Python's str.splitlines(keepends). */
function splitlines(s: string, keepends = false): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (LINE_BREAKS.has(c)) {
      const end = c === '\r' && s[i + 1] === '\n' ? i + 2 : i + 1;
      out.push(keepends ? s.slice(start, end) : s.slice(start, i));
      start = i = end;
    } else i++;
  }
  if (start < s.length) out.push(s.slice(start));
  return out;
}

/** Python's str.split() without arguments: runs of whitespace separate, ends are dropped. */
function splitWhitespace(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const c of s) {
    if (PY_SPACE.has(c)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** Non-overlapping occurrences of `sub` in `s` (str.count). */
function countOf(s: string, sub: string): number {
  if (!sub) return cpLen(s) + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** Title-case forms that differ from the upper-case ones (str.capitalize uses title case). */
const TITLE_CASE: Record<string, string> = {
  ß: 'Ss',
  Ǆ: 'ǅ',
  ǅ: 'ǅ',
  ǆ: 'ǅ',
  Ǉ: 'ǈ',
  ǈ: 'ǈ',
  ǉ: 'ǈ',
  Ǌ: 'ǋ',
  ǋ: 'ǋ',
  ǌ: 'ǋ',
  Ǳ: 'ǲ',
  ǲ: 'ǲ',
  ǳ: 'ǲ',
  ﬀ: 'Ff',
  ﬁ: 'Fi',
  ﬂ: 'Fl',
  ﬃ: 'Ffi',
  ﬄ: 'Ffl',
  ﬅ: 'St',
  ﬆ: 'St',
};

function pyCapitalize(s: string): string {
  const chars = cps(s);
  if (!chars.length) return '';
  const first = chars[0]!;
  return (TITLE_CASE[first] ?? first.toUpperCase()) + chars.slice(1).join('').toLowerCase();
}

function pyCenter(s: string, width: number): string {
  const len = cpLen(s);
  if (width <= len) return s;
  const marg = width - len;
  const left = Math.floor(marg / 2) + (marg & width & 1);
  return ' '.repeat(left) + s + ' '.repeat(marg - left);
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** Python's float(str): None when the text is not a float literal. */
function parsePyFloat(text: string): number | undefined {
  const s = pyStrip(text);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  const digits = '[0-9](?:_?[0-9])*';
  const re = new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`);
  if (!re.test(s)) return undefined;
  return Number(s.replace(/_/g, ''));
}

/** Python's int(str, base): undefined when Python raises ValueError. */
function parsePyInt(text: string, base: number): bigint | undefined {
  if (!(base === 0 || (base >= 2 && base <= 36))) return undefined;
  let s = pyStrip(text);
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  const prefix = s.slice(0, 2).toLowerCase();
  const prefixBase = prefix === '0x' ? 16 : prefix === '0o' ? 8 : prefix === '0b' ? 2 : 0;
  let b = base;
  if (prefixBase && (b === 0 || b === prefixBase)) {
    b = prefixBase;
    s = s.slice(2);
    if (s.startsWith('_')) s = s.slice(1);
  }
  if (!s || s.startsWith('_') || s.endsWith('_') || s.includes('__')) return undefined;
  const digits = s.replace(/_/g, '');
  if (b === 0) {
    b = 10;
    if (digits.length > 1 && digits[0] === '0' && /[^0]/.test(digits)) return undefined;
  }
  let value = 0n;
  const bigBase = BigInt(b);
  for (const ch of digits.toLowerCase()) {
    const d = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch >= 'a' && ch <= 'z' ? ch.charCodeAt(0) - 87 : 99;
    if (d >= b) return undefined;
    value = value * bigBase + BigInt(d);
  }
  return negative ? -value : value;
}

/** Python's float(value); undefined where Python raises TypeError or ValueError. */
function toPyFloat(v: unknown): number | undefined {
  if (typeof v === 'string') return parsePyFloat(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat) return toNumber(v);
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new JinjaError('OverflowError', 'int too large to convert to float');
    return n;
  }
  if (v instanceof Undefined || v === undefined) throw undefinedError(undefinedHint(v));
  const own = v === null ? undefined : (v as { __float__?: () => unknown }).__float__;
  if (typeof own === 'function') return toNumber(own.call(v));
  return undefined;
}

/** Python's int() of a float: truncation, exact for any size. */
function floatToInt(x: number): number | bigint {
  if (Number.isNaN(x)) throw valueError('cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw new JinjaError('OverflowError', 'cannot convert float infinity to integer');
  const t = Math.trunc(x);
  return Number.isSafeInteger(t) ? t + 0 : makeInt(BigInt(t));
}

/** The absolute value of a double as mantissa * 2^exp, both exact. */
function decompose(x: number): { mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const e = (hi >>> 20) & 0x7ff;
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return e === 0 ? { mant: m, exp: -1074 } : { mant: m | (1n << 52n), exp: e - 1075 };
}

/** num/den rounded to the nearest integer, ties to even. */
function divRoundHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && q % 2n === 1n)) return q + 1n;
  return q;
}

/** |x| * 10^digits rounded half-even on the exact binary value. */
function scaledRound(x: number, digits: number): bigint {
  const { mant, exp } = decompose(x);
  let num = mant;
  let den = 1n;
  if (exp >= 0) num <<= BigInt(exp);
  else den <<= BigInt(-exp);
  if (digits >= 0) num *= 10n ** BigInt(digits);
  else den *= 10n ** BigInt(-digits);
  return divRoundHalfEven(num, den);
}

/** Python's round(float, ndigits): correctly rounded, ties to even. */
function roundFloat(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (ndigits > 323) return x;
  if (ndigits < -308) return x < 0 ? -0 : 0;
  const q = scaledRound(x, ndigits);
  const r = Number(`${q}e${-ndigits}`);
  if (!Number.isFinite(r)) throw new JinjaError('OverflowError', 'rounded value too large to represent');
  return x < 0 ? -r : r;
}

/** Python's f'{x:.{digits}f}'. */
export function toFixedExact(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const q = scaledRound(x, digits).toString();
  if (digits === 0) return sign + q;
  const padded = q.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/** Python's round(value, ndigits) for ints, bools and floats. */
function pyRound(value: unknown, ndigits: unknown): unknown {
  if (!isNumber(value) && typeof value !== 'boolean')
    throw typeError(`type ${typeName(value)} doesn't define __round__ method`);
  if (ndigits === null || ndigits === undefined) {
    if (isInt(value) || typeof value === 'boolean') return typeof value === 'boolean' ? (value ? 1 : 0) : value;
    const x = toNumber(value);
    if (Number.isNaN(x)) throw valueError('cannot convert float NaN to integer');
    if (!Number.isFinite(x)) throw new JinjaError('OverflowError', 'cannot convert float infinity to integer');
    const q = scaledRound(x, 0);
    return makeInt(x < 0 ? -q : q);
  }
  const nd = intArg(ndigits);
  if (isInt(value) || typeof value === 'boolean') {
    const n = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
    if (nd >= 0) return makeInt(n);
    const p = 10n ** BigInt(-nd);
    const q = divRoundHalfEven(n < 0n ? -n : n, p) * p;
    return makeInt(n < 0n ? -q : q);
  }
  return makeFloat(roundFloat(toNumber(value), nd));
}

/** math.ceil / math.floor: an int. */
function ceilOrFloor(value: unknown, method: 'ceil' | 'floor'): number | bigint {
  if (isInt(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (!isNumber(value)) throw typeError(`must be real number, not ${typeName(value)}`);
  const x = toNumber(value);
  return floatToInt(method === 'ceil' ? Math.ceil(x) : Math.floor(x));
}

/** `a + b` as Python adds (Undefined raises UndefinedError, as Jinja's Undefined does). */
function pyAdd(a: unknown, b: unknown): unknown {
  if (isUndefined(a)) throw undefinedError(undefinedHint(a));
  if (isUndefined(b)) throw undefinedError(undefinedHint(b));
  return binary('add', a, b);
}

// ---------------------------------------------------------------------------------------------
// Ordering, hashing and attribute paths

/** Python's `<` ordering for sorting, min and max (NaN compares as neither less nor greater). */
function order(a: unknown, b: unknown, op = 'lt'): number {
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b) && !isPySet(a) && !isPySet(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (pyEq(a[i], b[i])) continue;
      return order(a[i], b[i], op);
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }
  if (isUndefined(a)) throw undefinedError(undefinedHint(a));
  if (isUndefined(b)) throw undefinedError(undefinedHint(b));
  const c = pyOrder(a, b, op);
  return Number.isNaN(c) ? 0 : c;
}

/** Python's sorted(items, key=key, reverse=reverse): stable in both directions. */
function sortedBy<T>(items: T[], key: (v: T) => unknown, reverse: boolean): T[] {
  const keyed = items.map((v, i) => ({ v, k: key(v), i }));
  keyed.sort((x, y) => {
    const c = order(x.k, y.k);
    return (reverse ? -c : c) || x.i - y.i;
  });
  return keyed.map((e) => e.v);
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** A string that two values share exactly when Python's set would hold them as one. */
function hashKey(v: unknown): string {
  if (typeof v === 'string') return 's' + v;
  if (v === null) return 'N';
  if (isUndefined(v)) return 'U';
  if (typeof v === 'boolean') return v ? 'n1' : 'n0';
  if (typeof v === 'bigint') return 'n' + v.toString();
  if (typeof v === 'number' || v instanceof PyFloat) {
    const x = toNumber(v);
    if (Number.isNaN(x)) return 'nan';
    if (Number.isInteger(x)) return 'n' + BigInt(x).toString();
    return 'n' + String(x);
  }
  if (isTuple(v)) return 't(' + v.map(hashKey).join(',') + ')';
  if (Array.isArray(v) || isDict(v)) throw typeError(`unhashable type: '${typeName(v)}'`);
  if (typeof v === 'object' || typeof v === 'function') {
    let id = identities.get(v);
    if (id === undefined) identities.set(v, (id = nextIdentity++));
    return 'o' + id;
  }
  return 'x' + String(v);
}

/** Jinja's ignore_case: strings lower-cased, other values as they are. */
const ignoreCase = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

/** Jinja's _prepare_attribute_parts: `a.0.b` is a name, an index, a name. */
function attributeParts(attribute: unknown): unknown[] {
  if (attribute === null || attribute === undefined) return [];
  if (typeof attribute === 'string') return attribute.split('.').map((p) => (/^[0-9]+$/.test(p) ? Number(p) : p));
  return [attribute];
}

/** Jinja's make_attrgetter: item lookups along a dotted path, as `env.getitem` resolves them. */
function makeAttrGetter(
  env: RenderEnv,
  attribute: unknown,
  postprocess?: (v: unknown) => unknown,
  dflt: unknown = null,
): (item: unknown) => unknown {
  const parts = attributeParts(attribute);
  const hasDefault = dflt !== null && dflt !== undefined;
  return (item) => {
    for (const part of parts) {
      item = env.getitem(item, part);
      if (hasDefault && isUndefined(item)) item = dflt;
    }
    return postprocess ? postprocess(item) : item;
  };
}

/** Jinja's make_multi_attrgetter: `attribute="age,name"` gives a list of keys. */
function makeMultiAttrGetter(
  env: RenderEnv,
  attribute: unknown,
  postprocess?: (v: unknown) => unknown,
): (item: unknown) => unknown[] {
  const split = typeof attribute === 'string' ? attribute.split(',') : [attribute];
  const getters = split.map((a) => makeAttrGetter(env, a, postprocess));
  return (item) => getters.map((g) => g(item));
}

/** Python's dict.items() of a mapping. */
function mappingItems(value: unknown): [unknown, unknown][] {
  if (isDict(value)) return dictKeys(value).map((k) => [k, value[k]]);
  if (value instanceof Map) return [...value.entries()];
  if (isUndefined(value)) throw undefinedError(undefinedHint(value));
  const own = value === null ? undefined : (value as { items?: () => unknown }).items;
  if (value !== null && typeof value === 'object' && typeof own === 'function')
    return iterate(own.call(value)).map((p) => unpackPair(p));
  throw attributeError(`'${typeName(value)}' object has no attribute 'items'`);
}

/** `k, v = pair` as Python unpacks it. */
function unpackPair(pair: unknown): [unknown, unknown] {
  if (typeof pair !== 'string' && !Array.isArray(pair) && !isDict(pair))
    throw typeError(`cannot unpack non-iterable ${typeName(pair)} object`);
  const items = iterate(pair);
  if (items.length > 2) throw valueError('too many values to unpack (expected 2)');
  if (items.length < 2) throw valueError(`not enough values to unpack (expected 2, got ${items.length})`);
  return [items[0], items[1]];
}

/** A `groupby` group: the tuple (grouper, list) that also has `.grouper` and `.list`. */
function groupTuple(grouper: unknown, list: unknown[]): unknown[] {
  const t = makeTuple([grouper, list]);
  Object.defineProperty(t, 'grouper', { value: grouper, enumerable: false });
  Object.defineProperty(t, 'list', { value: list, enumerable: false });
  return t;
}

/** Python's len(), where Jinja's Undefined has length 0. */
function lengthOf(v: unknown): number {
  if (isUndefined(v)) return 0;
  return pyLen(v);
}

/** Python's list(value). */
function toList(v: unknown): unknown[] {
  return [...iterate(v)];
}

/** Python's `reversed(seq)` where it exists (sequences and dicts). */
function reversedSeq(value: unknown): unknown[] | undefined {
  if (typeof value === 'string') return cps(value).reverse();
  if (isUndefined(value)) return [];
  if (Array.isArray(value) && !isPySet(value)) return [...(value as unknown[])].reverse();
  if (isDict(value)) return dictKeys(value).reverse();
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// HTML

/** markupsafe.escape of a string. */
function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/>/g, '&gt;')
    .replace(/</g, '&lt;')
    .replace(/'/g, '&#39;')
    .replace(/"/g, '&#34;');
}

/** markupsafe.escape of any value: a markup value's own text, else its escaped str(). */
function escapeValue(v: unknown): string {
  return markupText(v) ?? escapeHtml(softStr(v));
}

/** Named character references html.unescape knows; those also valid without ';' are marked. */
const NAMED_REFS: Record<string, [string, boolean]> = {
  amp: ['&', true],
  lt: ['<', true],
  gt: ['>', true],
  quot: ['"', true],
  apos: ["'", false],
  nbsp: ['\u00a0', true],
  copy: ['©', true],
  reg: ['®', true],
  deg: ['°', true],
  laquo: ['«', true],
  raquo: ['»', true],
  middot: ['·', true],
  para: ['¶', true],
  sect: ['§', true],
  pound: ['£', true],
  yen: ['¥', true],
  cent: ['¢', true],
  times: ['×', true],
  divide: ['÷', true],
  plusmn: ['±', true],
  euro: ['€', false],
  trade: ['™', false],
  hellip: ['…', false],
  mdash: ['—', false],
  ndash: ['–', false],
  lsquo: ['‘', false],
  rsquo: ['’', false],
  ldquo: ['“', false],
  rdquo: ['”', false],
  bull: ['•', false],
};

/** Windows-1252 meanings html.unescape gives to the C1 numeric references. */
const CP1252: Record<number, string> = {
  0x00: '\ufffd',
  0x0d: '\r',
  0x80: '\u20ac',
  0x81: '\x81',
  0x82: '\u201a',
  0x83: '\u0192',
  0x84: '\u201e',
  0x85: '\u2026',
  0x86: '\u2020',
  0x87: '\u2021',
  0x88: '\u02c6',
  0x89: '\u2030',
  0x8a: '\u0160',
  0x8b: '\u2039',
  0x8c: '\u0152',
  0x8d: '\x8d',
  0x8e: '\u017d',
  0x8f: '\x8f',
  0x90: '\x90',
  0x91: '\u2018',
  0x92: '\u2019',
  0x93: '\u201c',
  0x94: '\u201d',
  0x95: '\u2022',
  0x96: '\u2013',
  0x97: '\u2014',
  0x98: '\u02dc',
  0x99: '\u2122',
  0x9a: '\u0161',
  0x9b: '\u203a',
  0x9c: '\u0153',
  0x9d: '\x9d',
  0x9e: '\u017e',
  0x9f: '\u0178',
};

function invalidCodepoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) ||
    n === 0xb ||
    (n >= 0xe && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe
  );
}

/** Python's html.unescape (numeric references and the common named ones). */
function htmlUnescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const n =
        ref[1] === 'x' || ref[1] === 'X'
          ? parseInt(ref.slice(2).replace(';', ''), 16)
          : parseInt(ref.slice(1).replace(';', ''), 10);
      if (n in CP1252) return CP1252[n]!;
      if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return '\ufffd';
      if (invalidCodepoint(n)) return '';
      return String.fromCodePoint(n);
    }
    const named = ref.endsWith(';') ? NAMED_REFS[ref.slice(0, -1)] : undefined;
    if (named) return named[0];
    for (let x = ref.length - (ref.endsWith(';') ? 1 : 0); x > 1; x--) {
      const legacy = NAMED_REFS[ref.slice(0, x)];
      if (legacy && legacy[1]) return legacy[0] + ref.slice(x);
    }
    return whole;
  });
}

// ---------------------------------------------------------------------------------------------
// URLs

function urlQuote(v: unknown, forQs: boolean): string {
  const bytes = Buffer.from(softStr(v), 'utf8');
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9_.\-~]/.test(c) || (!forQs && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return forQs ? out.replace(/%20/g, '+') : out;
}

function isPyIterable(v: unknown): boolean {
  if (typeof v === 'string' || Array.isArray(v) || isDict(v) || isUndefined(v)) return true;
  if (v === null || typeof v !== 'object') return false;
  return typeof (v as { __iter__?: unknown }).__iter__ === 'function' || Symbol.iterator in v;
}

/**
 * A regular expression made on first use: those of urlize and wordwrap spell Unicode classes (\p{L}), which V8 expands
 * when it makes them, ~1 ms a start that few templates use.
 */
function lazyRegExp(source: () => string, flags: string): () => RegExp {
  let made: RegExp | undefined;
  return () => (made ??= new RegExp(source(), flags));
}

const W = '\\p{L}\\p{N}_';
const HTTP_RE = lazyRegExp(
  () =>
    '^(' +
    `(https?://|www\\.)(([${W}%-]+\\.)+)?([a-z]{2,63}|xn--[${W}%]{2,59})` +
    `|([${W}%-]{2,63}\\.)+(com|net|int|edu|gov|org|info|mil)` +
    '|(https?://)((([\\d]{1,3})(\\.[\\d]{1,3}){3})|(\\[([\\da-f]{0,4}:){2}([\\da-f]{0,4}:?){1,6}\\]))' +
    ')(?::[\\d]{1,5})?(?:[/?#]\\S*)?$',
  'iu',
);
const EMAIL_RE = lazyRegExp(() => `^\\S+@[${W}][${W}.-]*\\.[${W}]+$`, 'u');
const SCHEME_RE = lazyRegExp(() => `^([${W}.+-]{2,}:(/){0,2})$`, 'u');

function urlize(
  text: string,
  trimLimit: number | null,
  rel: string | null,
  target: string | null,
  extraSchemes: string[],
): string {
  const trim = (x: string) => (trimLimit !== null && cpLen(x) > trimLimit ? `${cpSlice(x, 0, trimLimit)}...` : x);
  const words = escapeHtml(text).split(/(\s+)/u);
  const relAttr = rel ? ` rel="${escapeHtml(rel)}"` : '';
  const targetAttr = target ? ` target="${escapeHtml(target)}"` : '';
  return words
    .map((word) => {
      let head = '';
      let middle = word;
      let tail = '';
      const lead = /^([(<]|&lt;)+/.exec(middle);
      if (lead) {
        head = lead[0];
        middle = middle.slice(lead[0].length);
      }
      if (/([)>.,\n]|&gt;)$/.test(middle)) {
        const trail = /([)>.,\n]|&gt;)+$/.exec(middle);
        if (trail) {
          tail = trail[0];
          middle = middle.slice(0, trail.index);
        }
      }
      for (const [open, close] of [
        ['(', ')'],
        ['<', '>'],
        ['&lt;', '&gt;'],
      ] as const) {
        const opens = countOf(middle, open);
        if (opens <= countOf(middle, close)) continue;
        for (let n = Math.min(opens, countOf(tail, close)); n > 0; n--) {
          const end = tail.indexOf(close) + close.length;
          middle += tail.slice(0, end);
          tail = tail.slice(end);
        }
      }
      if (HTTP_RE().test(middle)) {
        const href = middle.startsWith('https://') || middle.startsWith('http://') ? middle : `https://${middle}`;
        middle = `<a href="${href}"${relAttr}${targetAttr}>${trim(middle)}</a>`;
      } else if (middle.startsWith('mailto:') && EMAIL_RE().test(middle.slice(7))) {
        middle = `<a href="${middle}">${middle.slice(7)}</a>`;
      } else if (
        middle.includes('@') &&
        !middle.startsWith('www.') &&
        !middle.includes(':') &&
        EMAIL_RE().test(middle)
      ) {
        middle = `<a href="mailto:${middle}">${middle}</a>`;
      } else {
        for (const scheme of extraSchemes) {
          if (middle !== scheme && middle.startsWith(scheme))
            middle = `<a href="${middle}"${relAttr}${targetAttr}>${middle}</a>`;
        }
      }
      return head + middle + tail;
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Text wrapping (Python's textwrap with expand_tabs and replace_whitespace off)

const WRAP_WS = '[\\t\\n\\u000b\\u000c\\r ]';
const WRAP_NWS = '[^\\t\\n\\u000b\\u000c\\r ]';
const WRAP_WP = `[${W}!"'&.,?]`;
const WRAP_LT = '[\\p{L}\\p{Nl}\\p{No}_]';
const WORDSEP_RE = lazyRegExp(
  () =>
    `(${WRAP_WS}+` +
    `|(?<=${WRAP_WP})-{2,}(?=[${W}])` +
    `|${WRAP_NWS}+?(?:-(?:(?<=${WRAP_LT}{2}-)|(?<=${WRAP_LT}-${WRAP_LT}-))(?=${WRAP_LT}-?${WRAP_LT})|(?=${WRAP_WS}|$)|(?<=${WRAP_WP})(?=-{2,}[${W}])))`,
  'gu',
);
const WORDSEP_SIMPLE_RE = lazyRegExp(() => `(${WRAP_WS}+)`, 'gu');

function splitChunks(text: string, onHyphens: boolean): string[] {
  const re = onHyphens ? WORDSEP_RE() : WORDSEP_SIMPLE_RE();
  re.lastIndex = 0;
  const out: string[] = [];
  let pos = 0;
  for (const m of text.matchAll(re)) {
    out.push(text.slice(pos, m.index), m[1]!);
    pos = m.index + m[0].length;
  }
  out.push(text.slice(pos));
  return out.filter((c) => c !== '');
}

function wrapText(text: string, width: number, breakLongWords: boolean, breakOnHyphens: unknown): string[] {
  const chunks = splitChunks(text, breakOnHyphens === true).reverse();
  if (width <= 0) throw valueError(`invalid width ${pyRepr(width)} (must be > 0)`);
  const lines: string[] = [];
  const top = () => chunks[chunks.length - 1]!;
  while (chunks.length) {
    const line: string[] = [];
    let len = 0;
    if (pyStrip(top()) === '' && lines.length) chunks.pop();
    while (chunks.length) {
      const l = cpLen(top());
      if (len + l > width) break;
      line.push(chunks.pop()!);
      len += l;
    }
    if (chunks.length && cpLen(top()) > width) {
      const spaceLeft = width < 1 ? 1 : width - len;
      if (breakLongWords) {
        let end = spaceLeft;
        const chunk = cps(top());
        if (truthy(breakOnHyphens) && chunk.length > spaceLeft) {
          const hyphen = chunk.slice(0, spaceLeft).lastIndexOf('-');
          if (hyphen > 0 && chunk.slice(0, hyphen).some((c) => c !== '-')) end = hyphen + 1;
        }
        line.push(chunk.slice(0, end).join(''));
        chunks[chunks.length - 1] = chunk.slice(end).join('');
      } else if (!line.length) line.push(chunks.pop()!);
    }
    if (line.length && pyStrip(line[line.length - 1]!) === '') line.pop();
    if (line.length) lines.push(line.join(''));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// pprint (Python's pprint.pformat: width 80, dicts sorted)

const PP_WIDTH = 80;

function ppSortedItems(d: Record<string, unknown>): [string, unknown][] {
  return dictKeys(d)
    .sort((a, b) => codePointCompare(a, b))
    .map((k) => [k, d[k]]);
}

function ppRepr(v: unknown): string {
  if (isUndefined(v)) return 'Undefined';
  if (isDict(v))
    return `{${ppSortedItems(v)
      .map(([k, x]) => `${stringRepr(k)}: ${ppRepr(x)}`)
      .join(', ')}}`;
  if (isTuple(v)) return v.length === 1 ? `(${ppRepr(v[0])},)` : `(${v.map(ppRepr).join(', ')})`;
  if (Array.isArray(v) && !isPySet(v)) return `[${v.map(ppRepr).join(', ')}]`;
  return pyRepr(v);
}

function ppFormat(v: unknown, out: string[], indent: number, allowance: number, level: number): void {
  const rep = ppRepr(v);
  if (cpLen(rep) > PP_WIDTH - indent - allowance) {
    if (isDict(v)) {
      out.push('{');
      const items = ppSortedItems(v);
      if (items.length) {
        const ind = indent + 1;
        items.forEach(([k, x], i) => {
          const last = i === items.length - 1;
          const krep = stringRepr(k);
          out.push(krep, ': ');
          ppFormat(x, out, ind + cpLen(krep) + 2, last ? allowance + 1 : 1, level + 1);
          if (!last) out.push(',\n' + ' '.repeat(ind));
        });
      }
      out.push('}');
      return;
    }
    if (Array.isArray(v) && (v.length || !isPySet(v))) {
      const [open, close] = isTuple(v) ? ['(', v.length === 1 ? ',)' : ')'] : isPySet(v) ? ['{', '}'] : ['[', ']'];
      const items = isPySet(v) ? [...v].sort((a, b) => safeOrder(a, b)) : v;
      out.push(open);
      const ind = indent + 1;
      items.forEach((x, i) => {
        const last = i === items.length - 1;
        if (i) out.push(',\n' + ' '.repeat(ind));
        ppFormat(x, out, ind, last ? allowance + close.length : 1, level + 1);
      });
      out.push(close);
      return;
    }
    if (typeof v === 'string' && v.length) {
      ppString(v, out, indent, allowance, level + 1);
      return;
    }
  }
  out.push(rep);
}

function safeOrder(a: unknown, b: unknown): number {
  try {
    return order(a, b);
  } catch {
    return codePointCompare(typeName(a), typeName(b));
  }
}

function ppString(s: string, out: string[], indent: number, allowance: number, level: number): void {
  const chunks: string[] = [];
  const lines = splitlines(s, true);
  if (level === 1) {
    indent += 1;
    allowance += 1;
  }
  const maxWidth = PP_WIDTH - indent;
  let maxWidth1 = maxWidth;
  lines.forEach((line, i) => {
    const rep = stringRepr(line);
    if (i === lines.length - 1) maxWidth1 -= allowance;
    if (cpLen(rep) <= maxWidth1) {
      chunks.push(rep);
      return;
    }
    const parts = [...line.matchAll(/\S*\s*/gu)].map((m) => m[0]);
    parts.pop();
    let maxWidth2 = maxWidth;
    let current = '';
    parts.forEach((part, j) => {
      const candidate = current + part;
      if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
      if (cpLen(stringRepr(candidate)) > maxWidth2) {
        if (current) chunks.push(stringRepr(current));
        current = part;
      } else current = candidate;
    });
    if (current) chunks.push(stringRepr(current));
  });
  if (chunks.length === 1) {
    out.push(chunks[0]!);
    return;
  }
  if (level === 1) out.push('(');
  chunks.forEach((c, i) => {
    if (i > 0) out.push('\n' + ' '.repeat(indent));
    out.push(c);
  });
  if (level === 1) out.push(')');
}

function pformat(v: unknown): string {
  const out: string[] = [];
  ppFormat(v, out, 0, 0, 0);
  return out.join('');
}

function codePointCompare(a: string, b: string): number {
  if (a === b) return 0;
  const x = cps(a);
  const y = cps(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d) return d < 0 ? -1 : 1;
  }
  return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Python literals (ast.literal_eval), for dbt's as_native, as_bool and as_number

class LiteralSyntaxError extends Error {}

/** ast.literal_eval of a string: the value, or undefined when Python would raise. */
export function literalEval(source: string): { value: unknown } | undefined {
  try {
    // literal_eval strips leading spaces and tabs; blank and comment-only lines may follow.
    const text = source.replace(/^[ \t]+/, '').replace(/^(?:[ \t\f]*(?:#[^\n]*)?\r?\n)*/, '');
    if (/^[ \t]/.test(text)) return undefined;
    const p = new LiteralParser(text);
    const value = p.parseTop();
    return { value };
  } catch (e) {
    if (e instanceof LiteralSyntaxError || e instanceof JinjaError) return undefined;
    throw e;
  }
}

class LiteralParser {
  private i = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  private fail(): never {
    throw new LiteralSyntaxError('invalid literal');
  }

  private skip(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\f') this.i++;
      else if (c === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else if (c === '#') while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      else if ((c === '\n' || c === '\r') && this.depth > 0) this.i++;
      else return;
    }
  }

  private peek(): string | undefined {
    this.skip();
    return this.s[this.i];
  }

  private eat(ch: string): boolean {
    if (this.peek() === ch) {
      this.i++;
      return true;
    }
    return false;
  }

  parseTop(): unknown {
    const first = this.parseItem();
    let value = first;
    if (this.peek() === ',') {
      const items = [first];
      while (this.eat(',')) {
        const c = this.peek();
        if (c === undefined || c === '\n' || c === '\r') break;
        items.push(this.parseItem());
      }
      value = makeTuple(items);
    }
    this.skip();
    while (this.i < this.s.length && /[\s]/.test(this.s[this.i]!)) this.i++;
    if (this.i < this.s.length) this.fail();
    return value;
  }

  private parseSequence(close: string): { items: unknown[]; trailingComma: boolean } {
    const items: unknown[] = [];
    let trailingComma = false;
    while (!this.eat(close)) {
      items.push(this.parseItem());
      trailingComma = this.eat(',');
      if (!trailingComma) {
        if (!this.eat(close)) this.fail();
        break;
      }
    }
    return { items, trailingComma };
  }

  private parseItem(): unknown {
    const c = this.peek();
    if (c === undefined) this.fail();
    if (c === '+' || c === '-') {
      this.i++;
      const v = this.parseAtom();
      if (typeof v === 'boolean' || !isNumber(v)) this.fail();
      return c === '+' ? v : negate(v);
    }
    return this.parseAtom();
  }

  private parseAtom(): unknown {
    const c = this.peek();
    if (c === undefined) this.fail();
    if (c === '[') {
      this.i++;
      this.depth++;
      const { items } = this.parseSequence(']');
      this.depth--;
      return items;
    }
    if (c === '(') {
      this.i++;
      this.depth++;
      if (this.eat(')')) {
        this.depth--;
        return makeTuple([]);
      }
      const first = this.parseItem();
      if (this.eat(')')) {
        this.depth--;
        return first;
      }
      if (!this.eat(',')) this.fail();
      const rest = this.parseSequence(')');
      this.depth--;
      return makeTuple([first, ...rest.items]);
    }
    if (c === '{') {
      this.i++;
      this.depth++;
      if (this.eat('}')) {
        this.depth--;
        return {};
      }
      const first = this.parseItem();
      if (this.eat(':')) {
        const d: Record<string, unknown> = {};
        dictSet(d, this.hashable(first), this.parseItem());
        while (this.eat(',')) {
          if (this.peek() === '}') break;
          const k = this.parseItem();
          if (!this.eat(':')) this.fail();
          dictSet(d, this.hashable(k), this.parseItem());
        }
        if (!this.eat('}')) this.fail();
        this.depth--;
        return d;
      }
      const items = [this.hashable(first)];
      while (this.eat(',')) {
        if (this.peek() === '}') break;
        items.push(this.hashable(this.parseItem()));
      }
      if (!this.eat('}')) this.fail();
      this.depth--;
      const seen = new Set<string>();
      return makeSet(items.filter((x) => (seen.has(hashKey(x)) ? false : (seen.add(hashKey(x)), true))));
    }
    if (c === '"' || c === "'" || (/[rRuU]/.test(c) && /["']/.test(this.s[this.i + 1] ?? '')))
      return this.parseStrings();
    if (/[0-9.]/.test(c)) return this.parseNumber();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.i += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    if (word === 'set') {
      this.i += 3;
      if (this.eat('(') && this.eat(')')) return makeSet([]);
    }
    this.fail();
  }

  private hashable(v: unknown): unknown {
    hashKey(v);
    return v;
  }

  private parseNumber(): unknown {
    const rest = this.s.slice(this.i);
    const d = '[0-9](?:_?[0-9])*';
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest) ??
      new RegExp(`^(?:${d}(?:\\.(?:${d})?)?|\\.${d})(?:[eE][+-]?${d})?`).exec(rest);
    if (!m) this.fail();
    const text = m[0];
    this.i += text.length;
    if (/^[jJA-Za-z_0-9]/.test(this.s[this.i] ?? '')) this.fail();
    if (/^0[xXoObB]/.test(text)) return makeInt(parsePyInt(text, 0)!);
    if (/[.eE]/.test(text)) return makeFloat(Number(text.replace(/_/g, '')));
    const n = parsePyInt(text, 0);
    if (n === undefined) this.fail();
    return makeInt(n);
  }

  private parseStrings(): string {
    let out = this.parseString();
    for (;;) {
      const c = this.peek();
      if (c === '"' || c === "'" || (c !== undefined && /[rRuU]/.test(c) && /["']/.test(this.s[this.i + 1] ?? '')))
        out += this.parseString();
      else return out;
    }
  }

  private parseString(): string {
    let raw = false;
    while (/[rRuU]/.test(this.s[this.i]!)) {
      if (/[rR]/.test(this.s[this.i]!)) raw = true;
      this.i++;
    }
    const q = this.s[this.i]!;
    const triple = this.s.slice(this.i, this.i + 3) === q.repeat(3);
    const close = triple ? q.repeat(3) : q;
    this.i += close.length;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail();
      if (this.s.startsWith(close, this.i)) {
        this.i += close.length;
        return out;
      }
      const ch = this.s[this.i]!;
      if (!triple && ch === '\n') this.fail();
      if (ch !== '\\') {
        out += ch;
        this.i++;
        continue;
      }
      const nx = this.s[this.i + 1];
      if (nx === undefined) this.fail();
      if (raw) {
        out += ch + nx;
        this.i += 2;
        continue;
      }
      this.i += 2;
      const simple: Record<string, string> = {
        '\n': '',
        '\\': '\\',
        "'": "'",
        '"': '"',
        a: '\x07',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
        v: '\v',
      };
      if (nx in simple) out += simple[nx];
      else if (/[0-7]/.test(nx)) {
        let digits = nx;
        while (digits.length < 3 && /[0-7]/.test(this.s[this.i] ?? '')) digits += this.s[this.i++];
        out += String.fromCodePoint(parseInt(digits, 8));
      } else if (nx === 'x' || nx === 'u' || nx === 'U') {
        const n = nx === 'x' ? 2 : nx === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.fail();
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) this.fail();
        out += String.fromCodePoint(cp);
        this.i += n;
      } else out += '\\' + nx;
    }
  }
}

/** dbt's native conversion: literal_eval of str(value) when it gives the wanted kind of value. */
function nativeConvert(value: unknown, accept: (v: unknown) => boolean): unknown {
  const parsed = literalEval(softStr(value));
  return parsed !== undefined && accept(parsed.value) ? parsed.value : value;
}

// ---------------------------------------------------------------------------------------------
// The filters

type Impl = (env: RenderEnv, value: unknown, ...args: unknown[]) => unknown;

/** A filter with a Python signature (the parameters after the filtered value). */
function filter(name: string, params: Param[], impl: Impl): Filter {
  return (env, value, pos, kw) => impl(env, value, ...bindArgs(name, params, pos, kw));
}

function restKwargs(kw: Kwargs): Record<string, unknown> {
  return kw ? { ...kw } : {};
}

function doMap(env: RenderEnv, value: unknown, pos: unknown[], kw: Kwargs): unknown[] {
  if (!truthy(value)) return [];
  const kwargs = restKwargs(kw);
  let func: (item: unknown) => unknown;
  if (!pos.length && 'attribute' in kwargs) {
    const attribute = kwargs.attribute;
    const dflt = 'default' in kwargs ? kwargs.default : null;
    delete kwargs.attribute;
    delete kwargs.default;
    const extra = Object.keys(kwargs);
    if (extra.length) throw filterArgumentError(`Unexpected keyword argument ${stringRepr(extra[0]!)}`);
    func = makeAttrGetter(env, attribute, undefined, dflt);
  } else {
    if (!pos.length) throw filterArgumentError('map requires a filter argument');
    const [name, ...args] = pos;
    const filterKw = Object.keys(kwargs).length ? kwargs : undefined;
    func = (item) => env.applyFilter(softStr(name), item, args, filterKw);
  }
  return iterate(value).map(func);
}

function selectOrReject(
  env: RenderEnv,
  value: unknown,
  pos: unknown[],
  kw: Kwargs,
  keep: boolean,
  lookupAttr: boolean,
): unknown[] {
  if (!truthy(value)) return [];
  let transform = (x: unknown) => x;
  let off = 0;
  if (lookupAttr) {
    if (!pos.length) throw filterArgumentError('Missing parameter for attribute name');
    transform = makeAttrGetter(env, pos[0]);
    off = 1;
  }
  let test: (x: unknown) => boolean = truthy;
  if (pos.length > off) {
    const name = pos[off];
    const args = pos.slice(off + 1);
    const testKw = kw && Object.keys(kw).length ? kw : undefined;
    test = (x) => truthy(env.applyTest(softStr(name), x, args, testKw));
  }
  return iterate(value).filter((item) => test(transform(item)) === keep);
}

function minOrMax(env: RenderEnv, value: unknown, caseSensitive: unknown, attribute: unknown, max: boolean): unknown {
  const items = iterate(value);
  if (!items.length) return env.makeUndefined('No aggregated item, sequence was empty.');
  const key = makeAttrGetter(env, attribute, truthy(caseSensitive) ? undefined : ignoreCase);
  let best = items[0];
  let bestKey = key(best);
  for (let i = 1; i < items.length; i++) {
    const k = key(items[i]);
    if (max ? order(k, bestKey, 'gt') > 0 : order(k, bestKey, 'lt') < 0) {
      best = items[i];
      bestKey = k;
    }
  }
  return best;
}

function doInt(value: unknown, dflt: unknown, base: unknown): unknown {
  const fallback = (): unknown => {
    const f = toPyFloat(value);
    if (f === undefined || Number.isNaN(f)) return dflt;
    return floatToInt(f);
  };
  if (typeof value === 'string') {
    if (typeof base === 'boolean' || isInt(base)) {
      const n = parsePyInt(value, Number(base));
      if (n !== undefined) return makeInt(n);
    }
    return fallback();
  }
  if (isInt(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (isFloat(value)) {
    if (Number.isNaN(toNumber(value))) return dflt;
    return floatToInt(toNumber(value));
  }
  if (isUndefined(value)) throw undefinedError(undefinedHint(value));
  const own = value === null ? undefined : (value as { __int__?: () => unknown }).__int__;
  if (typeof own === 'function') return own.call(value);
  return fallback();
}

function doIndent(s: unknown, width: unknown, first: unknown, blank: unknown): string {
  const indention =
    typeof width === 'string'
      ? width
      : typeof width === 'boolean' || isInt(width)
        ? ' '.repeat(Math.max(0, Number(width)))
        : (() => {
            throw typeError(`can't multiply sequence by non-int of type '${typeName(width)}'`);
          })();
  if (typeof s !== 'string') {
    if (isUndefined(s)) throw undefinedError(undefinedHint(s));
    throw typeError(`unsupported operand type(s) for +=: '${typeName(s)}' and 'str'`);
  }
  const text = s + '\n';
  let rv: string;
  if (truthy(blank)) rv = splitlines(text).join('\n' + indention);
  else {
    const lines = splitlines(text);
    rv = lines.shift() ?? '';
    if (lines.length) rv += '\n' + lines.map((line) => (line ? indention + line : line)).join('\n');
  }
  return truthy(first) ? indention + rv : rv;
}

function doTruncate(s: unknown, length: unknown, killwords: unknown, end: unknown, leeway: unknown): unknown {
  const lee = leeway === null || leeway === undefined ? 5 : leeway;
  const endLen = lengthOf(end);
  if (order(length, endLen) < 0)
    throw new JinjaError('AssertionError', `expected length >= ${endLen}, got ${pyStr(length)}`);
  if (order(lee, 0) < 0) throw new JinjaError('AssertionError', `expected leeway >= 0, got ${pyStr(lee)}`);
  const sLen = lengthOf(s);
  if (order(sLen, binary('add', length, lee)) <= 0) return s;
  if (typeof s !== 'string') {
    if (truthy(killwords))
      throw typeError(`can only concatenate ${typeName(s)} (not "${typeName(end)}") to ${typeName(s)}`);
    throw attributeError(`'${typeName(s)}' object has no attribute 'rsplit'`);
  }
  if (typeof end !== 'string') throw typeError(`can only concatenate str (not "${typeName(end)}") to str`);
  const cut = cpSlice(s, 0, intArg(length) - endLen);
  if (truthy(killwords)) return cut + end;
  const space = cut.lastIndexOf(' ');
  return (space >= 0 ? cut.slice(0, space) : cut) + end;
}

function doWordwrap(
  _env: RenderEnv,
  s: unknown,
  width: unknown,
  breakLongWords: unknown,
  wrapstring: unknown,
  breakOnHyphens: unknown,
): string {
  const sep = wrapstring === null || wrapstring === undefined ? '\n' : wrapstring;
  if (typeof s !== 'string') {
    if (isUndefined(s)) throw undefinedError(undefinedHint(s));
    throw attributeError(`'${typeName(s)}' object has no attribute 'splitlines'`);
  }
  if (typeof sep !== 'string')
    throw typeError(`descriptor 'join' for 'str' objects doesn't apply to a '${typeName(sep)}' object`);
  const w = toNumber(width);
  return splitlines(s)
    .map((line) => wrapText(line, w, truthy(breakLongWords), breakOnHyphens).join(sep))
    .join(sep);
}

function doFilesizeformat(value: unknown, binaryPrefixes: unknown): string {
  const bytes = toPyFloat(value);
  if (bytes === undefined) {
    if (typeof value === 'string') throw valueError(`could not convert string to float: ${stringRepr(value)}`);
    throw typeError(`float() argument must be a string or a real number, not '${typeName(value)}'`);
  }
  const bin = truthy(binaryPrefixes);
  const base = bin ? 1024 : 1000;
  const prefixes = bin
    ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']
    : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${pyStr(floatToInt(bytes))} Bytes`;
  let unit = 0;
  let prefix = '';
  for (let i = 0; i < prefixes.length; i++) {
    // Python compares the float with the int unit exactly (float(10**24) < 10**24).
    const exact = BigInt(base) ** BigInt(i + 2);
    unit = Number(exact);
    prefix = prefixes[i]!;
    if (pyOrder(bytes, exact) < 0) return `${toFixedExact((base * bytes) / unit, 1)} ${prefix}`;
  }
  return `${toFixedExact((base * bytes) / unit, 1)} ${prefix}`;
}

function doRound(value: unknown, precision: unknown, method: unknown): unknown {
  if (method !== 'common' && method !== 'ceil' && method !== 'floor')
    throw filterArgumentError('method must be common, ceil or floor');
  if (method === 'common') return pyRound(value, precision);
  if (isUndefined(value)) throw undefinedError(undefinedHint(value));
  if (!isNumber(value) && typeof value !== 'boolean') throw typeError(`must be real number, not ${typeName(value)}`);
  const scale = binary('pow', 10, precision);
  return binary('div', ceilOrFloor(binary('mul', value, scale), method), scale);
}

function doGroupby(
  env: RenderEnv,
  value: unknown,
  attribute: unknown,
  dflt: unknown,
  caseSensitive: unknown,
): unknown[] {
  const cs = truthy(caseSensitive);
  const expr = makeAttrGetter(env, attribute, cs ? undefined : ignoreCase, dflt);
  const groups: { key: unknown; list: unknown[] }[] = [];
  for (const item of sortedBy(iterate(value), expr, false)) {
    const key = expr(item);
    const last = groups[groups.length - 1];
    if (last && pyEq(key, last.key)) last.list.push(item);
    else groups.push({ key, list: [item] });
  }
  if (cs) return groups.map((g) => groupTuple(g.key, g.list));
  const output = makeAttrGetter(env, attribute, undefined, dflt);
  return groups.map((g) => groupTuple(output(g.list[0]), g.list));
}

function doUnique(env: RenderEnv, value: unknown, caseSensitive: unknown, attribute: unknown): unknown[] {
  const getter = makeAttrGetter(env, attribute, truthy(caseSensitive) ? undefined : ignoreCase);
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const item of iterate(value)) {
    const key = hashKey(getter(item));
    if (!seen.has(key)) {
      seen.add(key);
      out.push(item);
    }
  }
  return out;
}

function doSum(env: RenderEnv, iterable: unknown, attribute: unknown, start: unknown): unknown {
  if (typeof start === 'string') throw typeError("sum() can't sum strings [use ''.join(seq) instead]");
  let items = iterate(iterable);
  if (attribute !== null && attribute !== undefined) items = items.map(makeAttrGetter(env, attribute));
  let acc = start;
  for (const item of items) acc = pyAdd(acc, item);
  return acc;
}

function doSlice(value: unknown, slices: unknown, fillWith: unknown): unknown[][] {
  const seq = toList(value);
  const n = intArg(slices);
  const length = seq.length;
  if (n === 0) throw new JinjaError('ZeroDivisionError', 'integer division or modulo by zero');
  const perSlice = Math.floor(length / n);
  const withExtra = length % n;
  let offset = 0;
  const out: unknown[][] = [];
  for (let i = 0; i < n; i++) {
    const start = offset + i * perSlice;
    if (i < withExtra) offset++;
    const end = offset + (i + 1) * perSlice;
    const tmp = seq.slice(Math.max(0, start), Math.max(0, end));
    if (fillWith !== null && fillWith !== undefined && i >= withExtra) tmp.push(fillWith);
    out.push(tmp);
  }
  return out;
}

function doBatch(value: unknown, linecount: unknown, fillWith: unknown): unknown[][] {
  const out: unknown[][] = [];
  let tmp: unknown[] = [];
  const count = toNumber(linecount);
  for (const item of iterate(value)) {
    if (tmp.length === count) {
      out.push(tmp);
      tmp = [];
    }
    tmp.push(item);
  }
  if (tmp.length) {
    if (fillWith !== null && fillWith !== undefined && tmp.length < count) {
      for (let i = tmp.length, n = intArg(linecount); i < n; i++) tmp.push(fillWith);
    }
    out.push(tmp);
  }
  return out;
}

function doReverse(value: unknown): unknown {
  if (typeof value === 'string') return cps(value).reverse().join('');
  const rev = reversedSeq(value);
  if (rev) return rev;
  try {
    return toList(value).reverse();
  } catch {
    throw filterArgumentError('argument must be iterable');
  }
}

function doLast(env: RenderEnv, seq: unknown): unknown {
  const rev = reversedSeq(seq);
  if (!rev) throw typeError(`'${typeName(seq)}' object is not reversible`);
  return rev.length ? rev[0] : env.makeUndefined('No last item, sequence was empty.');
}

function doRandom(env: RenderEnv, seq: unknown): unknown {
  if (typeof seq !== 'string' && !(Array.isArray(seq) && !isPySet(seq)) && !isUndefined(seq))
    throw typeError(`'${typeName(seq)}' object is not subscriptable`);
  const items = iterate(seq);
  if (!items.length) return env.makeUndefined('No random item, sequence was empty.');
  return items[Math.floor(Math.random() * items.length)];
}

function doAttr(env: RenderEnv, obj: unknown, name: unknown): unknown {
  if (typeof name !== 'string') throw typeError('attribute name must be string');
  if (isUndefined(obj)) throw undefinedError(undefinedHint(obj));
  const missing = () =>
    env.makeUndefined(
      `${stringRepr(obj === null ? 'None' : `${typeName(obj)} object`)} has no attribute ${stringRepr(name)}`,
    );
  // Jinja's attr never falls back to items: a dict's keys are not its attributes.
  if (isDict(obj)) return DICT_METHODS.has(name) ? env.getattr(obj, name) : missing();
  return env.getattr(obj, name);
}

const DICT_METHODS = new Set([
  'clear',
  'copy',
  'fromkeys',
  'get',
  'items',
  'keys',
  'pop',
  'popitem',
  'setdefault',
  'update',
  'values',
]);

function doUrlencode(value: unknown): string {
  if (typeof value === 'string' || !isPyIterable(value)) return urlQuote(value, false);
  const items = isDict(value) ? mappingItems(value) : iterate(value).map(unpackPair);
  return items.map(([k, v]) => `${urlQuote(k, true)}=${urlQuote(v, true)}`).join('&');
}

function doUrlize(
  value: unknown,
  trimUrlLimit: unknown,
  nofollow: unknown,
  target: unknown,
  rel: unknown,
  extraSchemes: unknown,
): string {
  const relParts = new Set(splitWhitespace(truthy(rel) ? softStr(rel) : ''));
  if (truthy(nofollow)) relParts.add('nofollow');
  relParts.add('noopener');
  const relText = [...relParts].sort(codePointCompare).join(' ') || null;
  const schemes = extraSchemes === null || extraSchemes === undefined ? [] : iterate(extraSchemes).map(softStr);
  for (const scheme of schemes)
    if (!SCHEME_RE().test(scheme)) throw filterArgumentError(`${stringRepr(scheme)} is not a valid URI scheme prefix.`);
  const limit = trimUrlLimit === null || trimUrlLimit === undefined ? null : intArg(trimUrlLimit);
  return urlize(
    softStr(value),
    limit,
    relText,
    target === null || target === undefined ? null : softStr(target),
    schemes,
  );
}

function doXmlattr(d: unknown, autospace: unknown): string {
  const items: string[] = [];
  for (const [key, value] of mappingItems(d)) {
    if (value === null || isUndefined(value)) continue;
    const k = softStr(key);
    if (/[ \t\n\r\f\v/>=]/.test(k)) throw valueError(`Invalid character in attribute name: ${pyRepr(key)}`);
    items.push(`${escapeValue(key)}="${escapeValue(value)}"`);
  }
  const rv = items.join(' ');
  return truthy(autospace) && rv ? ' ' + rv : rv;
}

function doTitle(s: unknown): string {
  return softStr(s)
    .split(/([-\s({[<]+)/u)
    .filter((item) => item)
    .map((item) => {
      const chars = cps(item);
      return chars[0]!.toUpperCase() + chars.slice(1).join('').toLowerCase();
    })
    .join('');
}

function doStriptags(value: unknown): string {
  const text = markupOrStr(value);
  const stripped = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<[\s\S]*?>/g, '');
  return htmlUnescape(splitWhitespace(stripped).join(' '));
}

/** str() as Markup(value) takes it: a markup value's own text, unescaped. */
function markupOrStr(value: unknown): string {
  return markupText(value) ?? softStr(value);
}

function doDictsort(value: unknown, caseSensitive: unknown, by: unknown, reverse: unknown): unknown[] {
  let pos: number;
  if (by === 'key') pos = 0;
  else if (by === 'value') pos = 1;
  else throw filterArgumentError('You can only sort by either "key" or "value"');
  const cs = truthy(caseSensitive);
  const items = mappingItems(value).map((pair) => makeTuple([...pair]));
  return sortedBy(items, (item) => (cs ? item[pos] : ignoreCase(item[pos])), truthy(reverse));
}

function doFormat(value: unknown, pos: unknown[], kw: Kwargs): string {
  const hasKw = kw !== undefined && Object.keys(kw).length > 0;
  if (pos.length && hasKw) throw filterArgumentError("can't handle positional and keyword arguments at the same time");
  const values: unknown = hasKw ? { ...kw } : makeTuple([...pos]);
  return percentFormat(softStr(value), values);
}

function doAbs(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return makeInt(value < 0n ? -value : value);
  if (typeof value === 'number') return Math.abs(value);
  if (value instanceof PyFloat) return new PyFloat(Math.abs(value.value));
  const own = (value as { __abs__?: () => unknown } | null)?.__abs__;
  if (value !== null && typeof value === 'object' && typeof own === 'function') return own.call(value);
  throw typeError(`bad operand type for abs(): '${typeName(value)}'`);
}

function doTrim(value: unknown, chars: unknown): string {
  if (chars !== null && chars !== undefined && typeof chars !== 'string')
    throw typeError('strip arg must be None or str');
  return pyStrip(softStr(value), chars);
}

function doReplace(s: unknown, old: unknown, repl: unknown, count: unknown): string {
  const n = count === null || count === undefined ? -1 : intArg(count);
  return strReplace(softStr(s), softStr(old), softStr(repl), n);
}

function doCenter(value: unknown, width: unknown): string {
  return pyCenter(softStr(value), intArg(width));
}

function doJoin(env: RenderEnv, value: unknown, d: unknown, attribute: unknown): string {
  let items = iterate(value);
  if (attribute !== null && attribute !== undefined) items = items.map(makeAttrGetter(env, attribute));
  return items.map(softStr).join(softStr(d));
}

function doItems(value: unknown): unknown[] {
  if (isUndefined(value)) return [];
  if (!isDict(value) && !(value instanceof Map)) throw typeError('Can only get item pairs from a mapping.');
  return mappingItems(value).map((pair) => makeTuple([...pair]));
}

function doFloat(value: unknown, dflt: unknown): unknown {
  const f = toPyFloat(value);
  return f === undefined ? dflt : makeFloat(f);
}

function doWordcount(s: unknown): number {
  return [...softStr(s).matchAll(/[\p{L}\p{N}_]+/gu)].length;
}

function doSort(
  env: RenderEnv,
  value: unknown,
  reverse: unknown,
  caseSensitive: unknown,
  attribute: unknown,
): unknown[] {
  const key = makeMultiAttrGetter(env, attribute, truthy(caseSensitive) ? undefined : ignoreCase);
  return sortedBy(toList(value), key, truthy(reverse));
}

function doFirst(env: RenderEnv, seq: unknown): unknown {
  const items = iterate(seq);
  return items.length ? items[0] : env.makeUndefined('No first item, sequence was empty.');
}

export const builtinFilters: Record<string, Filter> = {
  abs: filter('abs', [], (_env, v) => doAbs(v)),
  attr: filter('attr', ['name'], doAttr),
  batch: filter('batch', ['linecount', ['fill_with', null]], (_env, v, n, fill) => doBatch(v, n, fill)),
  capitalize: filter('capitalize', [], (_env, v) => pyCapitalize(softStr(v))),
  center: filter('center', [['width', 80]], (_env, v, w) => doCenter(v, w)),
  count: filter('count', [], (_env, v) => lengthOf(v)),
  default: filter(
    'default',
    [
      ['default_value', ''],
      ['boolean', false],
    ],
    (_env, v, d, b) => (isUndefined(v) || (truthy(b) && !truthy(v)) ? d : v),
  ),
  dictsort: filter(
    'dictsort',
    [
      ['case_sensitive', false],
      ['by', 'key'],
      ['reverse', false],
    ],
    (_env, v, cs, by, rev) => doDictsort(v, cs, by, rev),
  ),
  escape: filter('escape', [], (_env, v) => escapeValue(v)),
  filesizeformat: filter('filesizeformat', [['binary', false]], (_env, v, b) => doFilesizeformat(v, b)),
  first: filter('first', [], doFirst),
  float: filter('float', [['default', new PyFloat(0)]], (_env, v, d) => doFloat(v, d)),
  forceescape: filter('forceescape', [], (_env, v) => escapeHtml(markupOrStr(v))),
  format: (_env, value, pos, kw) => doFormat(value, pos, kw),
  groupby: filter('groupby', ['attribute', ['default', null], ['case_sensitive', false]], doGroupby),
  indent: filter(
    'indent',
    [
      ['width', 4],
      ['first', false],
      ['blank', false],
    ],
    (_env, s, w, f, b) => doIndent(s, w, f, b),
  ),
  int: filter(
    'int',
    [
      ['default', 0],
      ['base', 10],
    ],
    (_env, v, d, b) => doInt(v, d, b),
  ),
  items: filter('items', [], (_env, v) => doItems(v)),
  join: filter(
    'join',
    [
      ['d', ''],
      ['attribute', null],
    ],
    doJoin,
  ),
  last: filter('last', [], doLast),
  length: filter('length', [], (_env, v) => lengthOf(v)),
  list: filter('list', [], (_env, v) => toList(v)),
  lower: filter('lower', [], (_env, v) => softStr(v).toLowerCase()),
  // Jinja's map, select and reject are generators: their result can be read once.
  map: (env, value, pos, kw) => new PyIterator(doMap(env, value, pos, kw)),
  max: filter(
    'max',
    [
      ['case_sensitive', false],
      ['attribute', null],
    ],
    (env, v, cs, a) => minOrMax(env, v, cs, a, true),
  ),
  min: filter(
    'min',
    [
      ['case_sensitive', false],
      ['attribute', null],
    ],
    (env, v, cs, a) => minOrMax(env, v, cs, a, false),
  ),
  pprint: filter('pprint', [], (_env, v) => pformat(v)),
  random: filter('random', [], doRandom),
  reject: (env, value, pos, kw) => new PyIterator(selectOrReject(env, value, pos, kw, false, false)),
  rejectattr: (env, value, pos, kw) => new PyIterator(selectOrReject(env, value, pos, kw, false, true)),
  replace: filter('replace', ['old', 'new', ['count', null]], (_env, s, o, n, c) => doReplace(s, o, n, c)),
  reverse: filter('reverse', [], (_env, v) => doReverse(v)),
  round: filter(
    'round',
    [
      ['precision', 0],
      ['method', 'common'],
    ],
    (_env, v, p, m) => doRound(v, p, m),
  ),
  safe: filter('safe', [], (_env, v) => markupOrStr(v)),
  select: (env, value, pos, kw) => new PyIterator(selectOrReject(env, value, pos, kw, true, false)),
  selectattr: (env, value, pos, kw) => new PyIterator(selectOrReject(env, value, pos, kw, true, true)),
  slice: filter('slice', ['slices', ['fill_with', null]], (_env, v, n, fill) => doSlice(v, n, fill)),
  sort: filter(
    'sort',
    [
      ['reverse', false],
      ['case_sensitive', false],
      ['attribute', null],
    ],
    doSort,
  ),
  string: filter('string', [], (_env, v) => softStr(v)),
  striptags: filter('striptags', [], (_env, v) => doStriptags(v)),
  sum: filter(
    'sum',
    [
      ['attribute', null],
      ['start', 0],
    ],
    doSum,
  ),
  title: filter('title', [], (_env, v) => doTitle(v)),
  tojson: filter('tojson', [['indent', null]], (_env, v, indent) =>
    jsonDumps(v, {
      sortKeys: true,
      htmlSafe: true,
      indent:
        indent === null || indent === undefined
          ? null
          : typeof indent === 'string'
            ? indent
            : ' '.repeat(Math.max(0, intArg(indent))),
    }),
  ),
  trim: filter('trim', [['chars', null]], (_env, v, chars) => doTrim(v, chars)),
  truncate: filter(
    'truncate',
    [
      ['length', 255],
      ['killwords', false],
      ['end', '...'],
      ['leeway', null],
    ],
    (_env, s, l, k, e, lw) => doTruncate(s, l, k, e, lw),
  ),
  unique: filter(
    'unique',
    [
      ['case_sensitive', false],
      ['attribute', null],
    ],
    doUnique,
  ),
  upper: filter('upper', [], (_env, v) => softStr(v).toUpperCase()),
  urlencode: filter('urlencode', [], (_env, v) => doUrlencode(v)),
  urlize: filter(
    'urlize',
    [
      ['trim_url_limit', null],
      ['nofollow', false],
      ['target', null],
      ['rel', null],
      ['extra_schemes', null],
    ],
    (_env, v, t, n, tg, r, x) => doUrlize(v, t, n, tg, r, x),
  ),
  wordcount: filter('wordcount', [], (_env, v) => doWordcount(v)),
  wordwrap: filter(
    'wordwrap',
    [
      ['width', 79],
      ['break_long_words', true],
      ['wrapstring', null],
      ['break_on_hyphens', true],
    ],
    doWordwrap,
  ),
  xmlattr: filter('xmlattr', [['autospace', true]], (_env, d, a) => doXmlattr(d, a)),

  // dbt's filters for values rendered from YAML. dbt's native renderer literal_evals the
  // marked text; its text renderer passes the value through. kiln converts when the value
  // parses as the wanted kind and otherwise passes it through unchanged.
  as_text: filter('as_text', [], (_env, v) => softStr(v)),
  as_bool: filter('as_bool', [], (_env, v) => nativeConvert(v, (x) => typeof x === 'boolean')),
  as_number: filter('as_number', [], (_env, v) => nativeConvert(v, (x) => isNumber(x))),
  as_native: filter('as_native', [], (_env, v) => nativeConvert(v, () => true)),
};

builtinFilters.d = builtinFilters.default!;
builtinFilters.e = builtinFilters.escape!;

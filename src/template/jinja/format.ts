/**
 * Python's three ways of formatting values as text: `str % values` (printf-style),
 * `str.format(...)` and `format(value, spec)` (the format-spec mini-language). Floats are
 * rounded as CPython rounds them: the exact binary value, half to even, at any precision.
 */
import {
  PyFloat,
  Undefined,
  JinjaError,
  isDict,
  isTuple,
  isPySet,
  isInt,
  isFloat,
  hasKey,
  dictKeyOf,
  typeName,
  typeError,
  valueError,
  undefinedError,
} from './values.js';
import { pyRepr, pyStr, floatRepr } from './repr.js';

const keyError = (key: unknown) => new JinjaError('KeyError', pyRepr(key));
const indexError = (message: string) => new JinjaError('IndexError', message);
const overflowError = (message: string) => new JinjaError('OverflowError', message);

/** Widths and precisions past this would build strings no template wants (Python: MemoryError). */
const SIZE_LIMIT = 1 << 28;
function checkSize(n: number | undefined, what: string): void {
  if (n === undefined || n <= SIZE_LIMIT) return;
  if (n > 2147483647) throw valueError(`${what} too big`);
  throw new JinjaError('MemoryError', '');
}

/** Length in code points, as Python counts a str. */
const cpLength = (s: string) => (/[\uD800-\uDBFF]/.test(s) ? Array.from(s).length : s.length);

/** ascii(): repr() with every non-ASCII code point escaped. */
export function asciiRepr(value: unknown): string {
  let out = '';
  for (const ch of pyRepr(value)) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80) out += ch;
    else if (code < 0x100) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (code < 0x10000) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += '\\U' + code.toString(16).padStart(8, '0');
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Exact decimal digits of a double.

const view = new DataView(new ArrayBuffer(8));
const pow10Cache: bigint[] = [];
function pow10(k: number): bigint {
  if (k < 64) return (pow10Cache[k] ??= 10n ** BigInt(k));
  return 10n ** BigInt(k);
}

/** |x| = mantissa * 2^exponent, exactly. */
function decompose(x: number): [bigint, number] {
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  const mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return expBits === 0 ? [mant, -1074] : [mant | (1n << 52n), expBits - 1075];
}

/** round-half-even(|x| * 10^k) for a finite x, computed exactly. */
function scaledRound(x: number, k: number): bigint {
  const [mant, e] = decompose(x);
  if (mant === 0n) return 0n;
  let num = mant;
  let den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (k >= 0) num *= pow10(k);
  else den *= pow10(-k);
  let q = num / den;
  const twice = (num - q * den) * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  return q;
}

/**
 * A double's exact decimal expansion has at most 1074 fraction digits and 767 significant
 * ones: past these counts every further digit is a zero.
 */
const EXACT_DIGITS = 1100;

/** |x| with `prec` digits after the point: [integer digits, fraction digits]. */
function fixedParts(x: number, prec: number): [string, string] {
  if (x === 0) return ['0', '0'.repeat(prec)];
  if (prec > EXACT_DIGITS) {
    const [int, frac] = fixedParts(x, EXACT_DIGITS);
    return [int, frac.padEnd(prec, '0')];
  }
  const digits = scaledRound(x, prec)
    .toString()
    .padStart(prec + 1, '0');
  return [digits.slice(0, digits.length - prec), digits.slice(digits.length - prec)];
}

/** The sign of |x| - 10^k, computed exactly. */
function comparePow10(x: number, k: number): number {
  const [mant, e] = decompose(x);
  let left = mant;
  let right = 1n;
  if (e >= 0) left <<= BigInt(e);
  else right <<= BigInt(-e);
  if (k >= 0) right *= pow10(k);
  else left *= pow10(-k);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** |x| rounded to `sig` significant digits: the digits and the decimal exponent of the first. */
function sigDigits(x: number, sig: number): { digits: string; exp: number } {
  if (x === 0) return { digits: '0'.repeat(sig), exp: 0 };
  if (sig > EXACT_DIGITS) {
    const { digits, exp } = sigDigits(x, EXACT_DIGITS);
    return { digits: digits.padEnd(sig, '0'), exp };
  }
  const ax = Math.abs(x);
  // The exponent of the exact value: 10^exp <= |x| < 10^(exp+1).
  let exp = Math.floor(Math.log10(ax));
  while (comparePow10(ax, exp) < 0) exp--;
  while (comparePow10(ax, exp + 1) >= 0) exp++;
  let digits = scaledRound(ax, sig - 1 - exp).toString();
  // Rounding up past a power of ten (9.96 -> 10.0 at 2 digits) moves the exponent.
  if (digits.length > sig) {
    digits = digits.slice(0, sig);
    exp++;
  }
  return { digits, exp };
}

const expSuffix = (exp: number, letter: string) =>
  `${letter}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;

/**
 * A finite float's magnitude laid out for one presentation type, split where grouping and
 * zero padding act: the integer digits, and the rest (fraction, exponent, '%').
 */
function floatBody(x: number, type: string, prec: number | undefined, alt: boolean): [string, string] {
  const ax = Math.abs(x);
  switch (type) {
    case 'f':
    case 'F':
    case '%': {
      const p = prec ?? 6;
      const [int, frac] = fixedParts(type === '%' ? ax * 100 : ax, p);
      const pct = type === '%' ? '%' : '';
      return [int, (p > 0 ? '.' + frac : alt ? '.' : '') + pct];
    }
    case 'e':
    case 'E': {
      const p = prec ?? 6;
      const { digits, exp } = sigDigits(ax, p + 1);
      return [digits[0]!, (p > 0 ? '.' + digits.slice(1) : alt ? '.' : '') + expSuffix(exp, type)];
    }
    case 'g':
    case 'G':
    case 'n': {
      const p = prec === undefined ? 6 : Math.max(prec, 1);
      const { digits, exp } = sigDigits(ax, p);
      return generalLayout(digits, x === 0 ? 0 : exp, p, alt, false, type === 'G' ? 'E' : 'e');
    }
    default: {
      // No presentation type: repr() without a precision, else 'g'-like with at least one
      // fraction digit and exponent notation from exp >= precision - 1.
      if (prec === undefined) {
        const r = floatRepr(ax);
        const cut = r.search(/[.e]/);
        const int = cut < 0 ? r : r.slice(0, cut);
        let rest = cut < 0 ? '' : r.slice(cut);
        if (alt && !rest.includes('.')) rest = '.' + rest;
        return [int, rest];
      }
      const p = Math.max(prec, 1);
      const { digits, exp } = sigDigits(ax, p);
      return generalLayout(digits, x === 0 ? 0 : exp, p, alt, true, 'e');
    }
  }
}

/** The 'g' layout of `p` significant digits: fixed for -4 <= exp < limit, else exponent. */
function generalLayout(
  digits: string,
  exp: number,
  p: number,
  alt: boolean,
  noType: boolean,
  letter: string,
): [string, string] {
  const limit = noType ? p - 1 : p;
  let int: string;
  let frac: string;
  let suffix = '';
  if (exp >= -4 && exp < limit) {
    if (exp >= 0) {
      int = digits.slice(0, exp + 1);
      frac = digits.slice(exp + 1);
    } else {
      int = '0';
      frac = '0'.repeat(-exp - 1) + digits;
    }
  } else {
    int = digits[0]!;
    frac = digits.slice(1);
    suffix = expSuffix(exp, letter);
  }
  if (!alt) frac = frac.replace(/0+$/, '');
  if (noType && !suffix && frac === '') frac = '0';
  const point = frac !== '' || alt ? '.' : '';
  return [int, point + frac + suffix];
}

// ---------------------------------------------------------------------------------------
// format(value, spec)

interface Spec {
  fill: string | undefined;
  align: string | undefined;
  sign: string;
  z: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number | undefined;
  type: string;
}

const ALIGNS = '<>=^';

function parseSpec(spec: string, forType: string): Spec {
  const s = Array.from(spec);
  const out: Spec = {
    fill: undefined,
    align: undefined,
    sign: '',
    z: false,
    alt: false,
    zero: false,
    width: -1,
    grouping: '',
    precision: undefined,
    type: '',
  };
  let i = 0;
  if (s.length >= 2 && ALIGNS.includes(s[1]!)) {
    out.fill = s[0];
    out.align = s[1];
    i = 2;
  } else if (s.length >= 1 && ALIGNS.includes(s[0]!)) {
    out.align = s[0];
    i = 1;
  }
  if (s[i] === '+' || s[i] === '-' || s[i] === ' ') out.sign = s[i++]!;
  if (s[i] === 'z') {
    out.z = true;
    i++;
  }
  if (s[i] === '#') {
    out.alt = true;
    i++;
  }
  if (out.fill === undefined && s[i] === '0') {
    out.zero = true;
    i++;
  }
  let digits = '';
  while (i < s.length && s[i]! >= '0' && s[i]! <= '9') digits += s[i++];
  if (digits) out.width = Number(digits);
  if (s[i] === ',' || s[i] === '_') {
    out.grouping = s[i++]!;
    if (s[i] === ',' || s[i] === '_')
      throw valueError(
        s[i] === out.grouping
          ? `Cannot specify '${out.grouping}' with '${out.grouping}'.`
          : "Cannot specify both ',' and '_'.",
      );
  }
  if (s[i] === '.') {
    i++;
    let p = '';
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') p += s[i++];
    if (!p) throw valueError('Format specifier missing precision');
    out.precision = Number(p);
  }
  if (s.length - i > 1) throw valueError(`Invalid format specifier '${spec}' for object of type '${forType}'`);
  checkSize(out.width, 'width');
  checkSize(out.precision, 'precision');
  if (i < s.length) out.type = s[i]!;
  if (out.grouping) {
    const t = out.type;
    const ok = t === '' || 'defgEFG%'.includes(t) || (out.grouping === '_' && 'boxX'.includes(t));
    if (!ok) throw valueError(`Cannot specify '${out.grouping}' with '${t}'.`);
  }
  return out;
}

/** Pads `text` (whose sign/prefix part is `lead`) to the spec's width. */
function align(lead: string, body: string, spec: Spec, defaultAlign: string): string {
  const fill = spec.fill ?? (spec.zero ? '0' : ' ');
  const how = spec.align ?? (spec.zero && defaultAlign === '>' ? '=' : defaultAlign);
  const len = cpLength(lead) + cpLength(body);
  const pad = spec.width - len;
  if (pad <= 0) return lead + body;
  switch (how) {
    case '<':
      return lead + body + fill.repeat(pad);
    case '>':
      return fill.repeat(pad) + lead + body;
    case '=':
      return lead + fill.repeat(pad) + body;
    default: {
      const left = Math.floor(pad / 2);
      return fill.repeat(left) + lead + body + fill.repeat(pad - left);
    }
  }
}

/** Inserts the grouping separator every `size` digits from the right. */
function group(digits: string, sep: string, size: number): string {
  if (!sep || digits.length <= size) return digits;
  let out = '';
  let i = digits.length;
  while (i > size) {
    out = sep + digits.slice(i - size, i) + out;
    i -= size;
  }
  return digits.slice(0, i) + out;
}

/** Lays out a number: sign and prefix, grouped digits, the rest, padded per the spec. */
function layoutNumber(
  negative: boolean,
  prefix: string,
  int: string,
  rest: string,
  spec: Spec,
  groupSize: number,
): string {
  const sign = negative ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
  const lead = sign + prefix;
  const how = spec.align ?? (spec.zero ? '=' : '>');
  const fill = spec.fill ?? (spec.zero ? '0' : ' ');
  if (spec.grouping && how === '=' && fill === '0' && int !== '') {
    // Zero padding is part of the number: the zeros are grouped too.
    const need = spec.width - lead.length - cpLength(rest);
    let digits = int;
    let grouped = group(digits, spec.grouping, groupSize);
    while (grouped.length < need) {
      digits = '0' + digits;
      grouped = group(digits, spec.grouping, groupSize);
    }
    return lead + grouped + rest;
  }
  return align(lead, group(int, spec.grouping, groupSize) + rest, spec, '>');
}

function formatString(value: string, spec: Spec): string {
  if (spec.type !== '' && spec.type !== 's')
    throw valueError(`Unknown format code '${spec.type}' for object of type 'str'`);
  if (spec.sign) throw valueError('Sign not allowed in string format specifier');
  if (spec.alt) throw valueError('Alternate form (#) not allowed in string format specifier');
  if (spec.z) throw valueError('Negative zero coercion (z) not allowed in format specifier');
  if (spec.align === '=') throw valueError("'=' alignment not allowed in string format specifier");
  if (spec.grouping) throw valueError(`Cannot specify '${spec.grouping}' with 's'.`);
  let text = value;
  if (spec.precision !== undefined && cpLength(text) > spec.precision)
    text = Array.from(text).slice(0, spec.precision).join('');
  return align('', text, spec, '<');
}

function intToFloat(v: number | bigint): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw overflowError('int too large to convert to float');
  return n;
}

function formatInt(value: number | bigint, spec: Spec, typeLabel: string): string {
  const t = spec.type;
  if (t !== '' && 'eEfFgG%'.includes(t)) return formatFloat(intToFloat(value), spec, typeLabel);
  if (t !== '' && !'bcdoxXn'.includes(t))
    throw valueError(`Unknown format code '${t}' for object of type '${typeLabel}'`);
  if (spec.precision !== undefined) throw valueError('Precision not allowed in integer format specifier');
  if (spec.z) throw valueError('Negative zero coercion (z) not allowed in integer format specifier');
  if (t === 'c') {
    if (spec.sign) throw valueError("Sign not allowed with integer format specifier 'c'");
    if (spec.alt) throw valueError("Alternate form (#) not allowed with integer format specifier 'c'");
    const code = Number(value);
    if (code < 0 || code > 0x10ffff) throw overflowError('%c arg not in range(0x110000)');
    return align('', String.fromCodePoint(code), spec, '>');
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) value = BigInt(value);
  const negative = value < 0;
  const abs = typeof value === 'bigint' ? (negative ? -value : value) : Math.abs(value);
  const base = t === 'b' ? 2 : t === 'o' ? 8 : t === 'x' || t === 'X' ? 16 : 10;
  let digits = abs.toString(base);
  if (t === 'X') digits = digits.toUpperCase();
  const prefix = spec.alt ? (({ b: '0b', o: '0o', x: '0x', X: '0X' } as Record<string, string>)[t] ?? '') : '';
  return layoutNumber(negative, prefix, digits, '', spec, base === 10 ? 3 : 4);
}

function formatFloat(x: number, spec: Spec, typeLabel = 'float'): string {
  const t = spec.type;
  if (t !== '' && !'eEfFgGn%'.includes(t))
    throw valueError(`Unknown format code '${t}' for object of type '${typeLabel}'`);
  const upper = t === 'E' || t === 'F' || t === 'G';
  // '%' scales by 100 in floating point first, which may overflow to infinity.
  if (t === '%' && Number.isFinite(x) && !Number.isFinite(x * 100)) x *= 100;
  if (Number.isNaN(x) || !Number.isFinite(x)) {
    let word = Number.isNaN(x) ? 'nan' : 'inf';
    if (upper) word = word.toUpperCase();
    if (t === '%') word += '%';
    return layoutNumber(x === -Infinity, '', '', word, spec, 3);
  }
  let [int, rest] = floatBody(x, t, spec.precision, spec.alt);
  let negative = x < 0 || Object.is(x, -0);
  if (negative && spec.z && /^0*$/.test(int) && /^[.0]*(?:[eE][-+]\d+)?%?$/.test(rest)) negative = false;
  if (upper) rest = rest.toUpperCase();
  return layoutNumber(negative, '', int, rest, spec, 3);
}

/** Python's format(value, spec). */
export function formatValue(value: unknown, spec: string): string {
  if (value !== null && typeof value === 'object' && !(value instanceof PyFloat)) {
    const own = (value as { __format__?: (spec: string) => unknown }).__format__;
    if (typeof own === 'function') return pyStr(own.call(value, spec));
  }
  if (typeof value === 'string') return spec === '' ? value : formatString(value, parseSpec(spec, 'str'));
  if (typeof value === 'boolean') {
    if (spec === '') return value ? 'True' : 'False';
    return formatInt(value ? 1 : 0, parseSpec(spec, 'bool'), 'bool');
  }
  if (isInt(value)) {
    if (spec === '') return value.toString();
    const parsed = parseSpec(spec, 'int');
    if (parsed.type === '') parsed.type = 'd';
    return formatInt(value, parsed, 'int');
  }
  if (isFloat(value)) {
    const x = value instanceof PyFloat ? value.value : value;
    if (spec === '') return floatRepr(x);
    return formatFloat(x, parseSpec(spec, 'float'));
  }
  if (spec !== '') throw typeError(`unsupported format string passed to ${typeName(value)}.__format__`);
  return pyStr(value);
}

// ---------------------------------------------------------------------------------------
// str % values

interface PercentState {
  args: unknown;
  argLen: number;
  argIdx: number;
  dict: unknown;
}

function nextArg(st: PercentState): unknown {
  if (st.argIdx < st.argLen) {
    const i = st.argIdx++;
    return st.argLen < 0 ? st.args : (st.args as unknown[])[i];
  }
  throw typeError('not enough arguments for format string');
}

/** Python's `template % values`. */
export function percentFormat(template: string, values: unknown): string {
  const chars = Array.from(template);
  const st: PercentState = isTuple(values)
    ? { args: values, argLen: values.length, argIdx: 0, dict: undefined }
    : { args: values, argLen: -1, argIdx: -2, dict: undefined };
  // Anything subscriptable but a tuple or a str counts as a mapping (dict, list, Undefined).
  if (
    !isTuple(values) &&
    (isDict(values) ||
      (Array.isArray(values) && !isPySet(values)) ||
      values instanceof Undefined ||
      values === undefined)
  )
    st.dict = values;
  let out = '';
  let i = 0;
  const n = chars.length;
  const incomplete = () => valueError('incomplete format');
  while (i < n) {
    const c = chars[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= n) throw incomplete();
    if (chars[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (chars[i] === '(') {
      if (st.dict === undefined) throw typeError('format requires a mapping');
      let depth = 1;
      const start = ++i;
      while (i < n && depth > 0) {
        if (chars[i] === '(') depth++;
        else if (chars[i] === ')') depth--;
        i++;
      }
      if (depth > 0) throw valueError('incomplete format key');
      const key = chars.slice(start, i - 1).join('');
      st.args = lookupMapping(st.dict, key);
      st.argLen = -1;
      st.argIdx = -2;
    }
    let flags = '';
    while (i < n && '-+ #0'.includes(chars[i]!)) flags += chars[i++];
    let width = -1;
    if (chars[i] === '*') {
      const w = nextArg(st);
      if (!isInt(w) && typeof w !== 'boolean') throw typeError('* wants int');
      width = Number(w);
      if (width < 0) {
        flags += '-';
        width = -width;
      }
      i++;
    } else {
      let d = '';
      while (i < n && chars[i]! >= '0' && chars[i]! <= '9') d += chars[i++];
      if (d) width = Number(d);
    }
    let prec: number | undefined;
    if (chars[i] === '.') {
      i++;
      if (chars[i] === '*') {
        const p = nextArg(st);
        if (!isInt(p) && typeof p !== 'boolean') throw typeError('* wants int');
        prec = Math.max(0, Number(p));
        i++;
      } else {
        let d = '';
        while (i < n && chars[i]! >= '0' && chars[i]! <= '9') d += chars[i++];
        prec = d ? Number(d) : 0;
      }
    }
    checkSize(width, 'width');
    checkSize(prec, 'precision');
    while (i < n && 'hlL'.includes(chars[i]!)) i++;
    if (i >= n) throw incomplete();
    const conv = chars[i]!;
    const at = i;
    i++;
    const value = nextArg(st);
    out += percentOne(conv, at, flags, width, prec, value);
  }
  if (st.argIdx < st.argLen && st.dict === undefined)
    throw typeError('not all arguments converted during string formatting');
  return out;
}

function lookupMapping(mapping: unknown, key: string): unknown {
  if (isDict(mapping)) {
    if (!hasKey(mapping, key)) throw keyError(key);
    return mapping[key];
  }
  if (mapping instanceof Undefined || mapping === undefined) throw undefinedError(mapping);
  throw typeError(`${typeName(mapping)} indices must be integers or slices, not str`);
}

function percentOne(
  conv: string,
  at: number,
  flags: string,
  width: number,
  prec: number | undefined,
  value: unknown,
): string {
  const left = flags.includes('-');
  const zero = flags.includes('0') && !left;
  const alt = flags.includes('#');
  const signChar = flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const pad = (text: string) => {
    const len = cpLength(text);
    if (width <= len) return text;
    return left ? text + ' '.repeat(width - len) : ' '.repeat(width - len) + text;
  };
  const number = (negative: boolean, prefix: string, body: string) => {
    const lead = (negative ? '-' : signChar) + prefix;
    const len = lead.length + body.length;
    if (width > len && zero) return lead + '0'.repeat(width - len) + body;
    return pad(lead + body);
  };
  switch (conv) {
    case 's':
    case 'r':
    case 'a': {
      let text = conv === 's' ? pyStr(value) : conv === 'r' ? pyRepr(value) : asciiRepr(value);
      if (prec !== undefined && cpLength(text) > prec) text = Array.from(text).slice(0, prec).join('');
      return pad(text);
    }
    case 'c': {
      let ch: string;
      if (typeof value === 'string' && cpLength(value) === 1) ch = value;
      else if (isInt(value) || typeof value === 'boolean') {
        const code = Number(value);
        if (code < 0 || code > 0x10ffff) throw overflowError('%c arg not in range(0x110000)');
        ch = String.fromCodePoint(code);
      } else throw typeError('%c requires int or char');
      return pad(ch);
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      let int: number | bigint;
      if (typeof value === 'boolean') int = value ? 1 : 0;
      else if (isInt(value)) int = value;
      else if (isFloat(value) && 'diu'.includes(conv)) int = floatToInt(value instanceof PyFloat ? value.value : value);
      else if ('diu'.includes(conv))
        throw typeError(`%${conv} format: a real number is required, not ${typeName(value)}`);
      else throw typeError(`%${conv} format: an integer is required, not ${typeName(value)}`);
      if (typeof int === 'number' && !Number.isSafeInteger(int)) int = BigInt(int);
      const negative = int < 0;
      const abs = typeof int === 'bigint' ? (negative ? -int : int) : Math.abs(int);
      const base = conv === 'o' ? 8 : conv === 'x' || conv === 'X' ? 16 : 10;
      let digits = abs.toString(base);
      if (conv === 'X') digits = digits.toUpperCase();
      if (prec !== undefined && digits.length < prec) digits = digits.padStart(prec, '0');
      const prefix = alt && base !== 10 ? (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') : '';
      return number(negative, prefix, digits);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      let x: number;
      if (typeof value === 'boolean') x = value ? 1 : 0;
      else if (isInt(value)) x = intToFloat(value);
      else if (isFloat(value)) x = value instanceof PyFloat ? value.value : value;
      else throw typeError(`must be real number, not ${typeName(value)}`);
      const upper = conv === 'E' || conv === 'F' || conv === 'G';
      if (!Number.isFinite(x)) {
        const word = Number.isNaN(x) ? 'nan' : 'inf';
        return number(x === -Infinity, '', upper ? word.toUpperCase() : word);
      }
      const [int, rest] = floatBody(x, conv, prec, alt);
      return number(x < 0 || Object.is(x, -0), '', int + (upper ? rest.toUpperCase() : rest));
    }
  }
  const code = conv.codePointAt(0)!;
  const shown = code >= 0x20 && code < 0x7f ? conv : '?';
  throw valueError(`unsupported format character '${shown}' (0x${code.toString(16)}) at index ${at}`);
}

function floatToInt(x: number): number | bigint {
  if (Number.isNaN(x)) throw valueError('cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw overflowError('cannot convert float infinity to integer');
  const t = Math.trunc(x);
  if (Number.isSafeInteger(t)) return t === 0 ? 0 : t;
  return BigInt(t);
}

// ---------------------------------------------------------------------------------------
// str.format

type Getattr = (obj: unknown, name: string) => unknown;
type Getitem = (obj: unknown, key: unknown) => unknown;

function defaultGetattr(obj: unknown, name: string): unknown {
  // A dict's keys are not attributes; a host object's attributes may live on its prototype.
  const found = isDict(obj)
    ? false
    : obj !== null && (typeof obj === 'object' || typeof obj === 'function') && name in obj;
  if (found) return (obj as Record<string, unknown>)[name];
  throw new JinjaError('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`);
}

function defaultGetitem(obj: unknown, key: unknown): unknown {
  if (isDict(obj)) {
    if (!hasKey(obj, key)) throw keyError(key);
    return obj[dictKeyOf(key)];
  }
  if (Array.isArray(obj) || typeof obj === 'string') {
    const what = typeof obj === 'string' ? 'string' : isTuple(obj) ? 'tuple' : 'list';
    if (typeof key !== 'number')
      throw typeError(
        `${what === 'string' ? 'string' : what} indices must be integers${what === 'string' ? '' : ' or slices'}, ` +
          `not ${typeName(key)}`,
      );
    const items = typeof obj === 'string' ? Array.from(obj) : obj;
    const i = key < 0 ? key + items.length : key;
    if (i < 0 || i >= items.length) throw indexError(`${what} index out of range`);
    return items[i];
  }
  throw typeError(`'${typeName(obj)}' object is not subscriptable`);
}

interface FormatState {
  pos: unknown[];
  /** The value of a named field; throws KeyError when there is none. */
  named: (name: string) => unknown;
  getattr: Getattr;
  getitem: Getitem;
  auto: number;
  /** 'auto' once `{}` was used, 'manual' once `{0}` was. */
  mode: '' | 'auto' | 'manual';
  positionalError?: string;
}

/**
 * Python's `template.format(*pos, **kw)`. Attribute fields (`{0.name}`) read through
 * `getattr` and index fields (`{0[key]}`) through `getitem`, as Jinja's sandbox does.
 */
export function strFormat(
  template: string,
  pos: unknown[],
  kw: Record<string, unknown>,
  getattr?: Getattr,
  getitem?: Getitem,
): string {
  const named = (name: string) => {
    if (!kw || name === '__keywords' || !Object.prototype.hasOwnProperty.call(kw, name)) throw keyError(name);
    return kw[name];
  };
  return vformat(
    template,
    { pos, named, getattr: getattr ?? defaultGetattr, getitem: getitem ?? defaultGetitem, auto: 0, mode: '' },
    2,
  );
}

/** Python's `template.format_map(mapping)`: names only, positional fields are an error. */
export function strFormatMap(template: string, mapping: unknown, getattr?: Getattr, getitem?: Getitem): string {
  const named = (name: string) => {
    if (isDict(mapping)) {
      if (!hasKey(mapping, name)) throw keyError(name);
      return mapping[name];
    }
    return (getitem ?? defaultGetitem)(mapping, name);
  };
  return vformat(
    template,
    {
      pos: [],
      named,
      getattr: getattr ?? defaultGetattr,
      getitem: getitem ?? defaultGetitem,
      auto: 0,
      mode: '',
      positionalError: 'Format string contains positional fields',
    },
    2,
  );
}

function vformat(template: string, st: FormatState, depth: number): string {
  if (depth <= 0) throw valueError('Max string recursion exceeded');
  const t = template;
  const n = t.length;
  let out = '';
  let i = 0;
  while (i < n) {
    const c = t[i]!;
    if (c === '}') {
      if (t[i + 1] === '}') {
        out += '}';
        i += 2;
        continue;
      }
      throw valueError("Single '}' encountered in format string");
    }
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    if (t[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    if (i + 1 >= n) throw valueError("Single '{' encountered in format string");
    // The field name runs to '}', ':' or '!'; brackets may hold any of those.
    let j = i + 1;
    while (j < n) {
      const ch = t[j]!;
      if (ch === '[') {
        while (j < n && t[j] !== ']') j++;
        if (j < n) j++;
        continue;
      }
      if (ch === '{') throw valueError("unexpected '{' in field name");
      if (ch === '}' || ch === ':' || ch === '!') break;
      j++;
    }
    if (j >= n) throw valueError("expected '}' before end of string");
    const fieldName = t.slice(i + 1, j);
    let conversion = '';
    if (t[j] === '!') {
      j++;
      if (j >= n) throw valueError('end of string while looking for conversion specifier');
      conversion = t[j]!;
      j++;
      if (j >= n) throw valueError("expected '}' before end of string");
      if (t[j] !== ':' && t[j] !== '}') throw valueError("expected ':' after conversion specifier");
    }
    let spec = '';
    if (t[j] === ':') {
      const start = ++j;
      let level = 1;
      while (j < n) {
        if (t[j] === '{') level++;
        else if (t[j] === '}' && --level === 0) break;
        j++;
      }
      if (j >= n) throw valueError("expected '}' before end of string");
      spec = t.slice(start, j);
    }
    i = j + 1;
    let value = getField(fieldName, st);
    if (conversion === 'r') value = pyRepr(value);
    else if (conversion === 's') value = pyStr(value);
    else if (conversion === 'a') value = asciiRepr(value);
    else if (conversion !== '') throw valueError(`Unknown conversion specifier ${conversion}`);
    if (spec.includes('{')) spec = vformat(spec, st, depth - 1);
    out += formatValue(value, spec);
  }
  return out;
}

function getField(field: string, st: FormatState): unknown {
  let k = 0;
  while (k < field.length && field[k] !== '.' && field[k] !== '[') k++;
  const first = field.slice(0, k);
  let value: unknown;
  if (first === '' || /^[0-9]+$/.test(first)) {
    if (st.positionalError) throw valueError(st.positionalError);
    let index: number;
    if (first === '') {
      if (st.mode === 'manual')
        throw valueError('cannot switch from manual field specification to automatic field numbering');
      st.mode = 'auto';
      index = st.auto++;
    } else {
      if (st.mode === 'auto')
        throw valueError('cannot switch from automatic field numbering to manual field specification');
      st.mode = 'manual';
      index = Number(first);
    }
    if (index >= st.pos.length) throw indexError(`Replacement index ${index} out of range for positional args tuple`);
    value = st.pos[index];
  } else value = st.named(first);
  while (k < field.length) {
    if (field[k] === '.') {
      let e = ++k;
      while (e < field.length && field[e] !== '.' && field[e] !== '[') e++;
      const name = field.slice(k, e);
      if (name === '') throw valueError('Empty attribute in format string');
      value = st.getattr(value, name);
      k = e;
    } else {
      const close = field.indexOf(']', k + 1);
      if (close < 0) throw valueError("Missing ']' in format string");
      const key = field.slice(k + 1, close);
      if (key === '') throw valueError('Empty attribute in format string');
      value = st.getitem(value, /^[0-9]+$/.test(key) ? Number(key) : key);
      k = close + 1;
      if (k < field.length && field[k] !== '.' && field[k] !== '[')
        throw valueError("Only '.' or '[' may follow ']' in format field specifier");
    }
  }
  return value;
}

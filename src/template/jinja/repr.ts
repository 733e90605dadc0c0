/**
 * Python's str() and repr() of the engine's values: what `{{ value }}` prints and how values
 * appear inside printed lists and dicts.
 */
import { PyFloat, Undefined, isDict, dictKeys, isTuple, isPySet, isInt, setViewRepr } from './values.js';

/** repr() of a float: the shortest digits that round-trip, in Python's layout. */
export function floatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1);
    return `${sign}${intPart}.${frac || '0'}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Python's str.isprintable() is false for these categories (the space aside). */
const notPrintable = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** repr() of a string: single quotes unless the text has them and no double quotes. */
export function stringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && notPrintable.test(ch))
      out += code < 0x100 ? '\\x' + hex(code, 2) : code < 0x10000 ? '\\u' + hex(code, 4) : '\\U' + hex(code, 8);
    else out += ch;
  }
  return out + quote;
}

/**
 * The order Python iterates a set in: small non-negative ints hash to themselves, so such
 * sets come out sorted; other sets keep insertion order (Python's order for strings varies
 * from process to process anyway).
 */
function setOrder(items: unknown[]): unknown[] {
  return items.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)
    ? [...items].sort((a, b) => (a as number) - (b as number))
    : items;
}

export function pyRepr(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return stringRepr(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : floatRepr(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value === undefined) return 'None';
  if (value instanceof Undefined) return 'Undefined';
  if (isPySet(value)) return value.length === 0 ? 'set()' : `{${setOrder(value).map(pyRepr).join(', ')}}`;
  if (isTuple(value)) return value.length === 1 ? `(${pyRepr(value[0])},)` : `(${value.map(pyRepr).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isDict(value))
    return `{${dictKeys(value)
      .map((k) => `${stringRepr(k)}: ${pyRepr(value[k])}`)
      .join(', ')}}`;
  const own = (value as { __repr__?: () => string }).__repr__;
  if (typeof own === 'function') return own.call(value);
  return pyStr(value);
}

/** str(): what `{{ value }}` and `~` produce. */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value instanceof Undefined) return '';
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    isDict(value) ||
    value instanceof PyFloat ||
    isInt(value)
  ) {
    if (typeof value === 'function') return functionStr(value as (...a: unknown[]) => unknown);
    return pyRepr(value);
  }
  const own = (value as { __str__?: () => string }).__str__ ?? (value as { __repr__?: () => string }).__repr__;
  if (typeof own === 'function') return own.call(value);
  // kiln's own value classes (relations, columns) print through their toString.
  const text = String(value);
  return text === '[object Object]' ? `<${value.constructor?.name ?? 'object'} object>` : text;
}

function functionStr(fn: (...a: unknown[]) => unknown): string {
  const macroName = (fn as { macroName?: unknown }).macroName;
  if (typeof macroName === 'string') return `<Macro '${macroName}'>`;
  return `<function ${fn.name || 'anonymous'}>`;
}

setViewRepr(pyRepr);

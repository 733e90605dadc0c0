/**
 * What the Python modules (datetime, pytz, re, itertools) need from the template engine,
 * gathered in one place so that a change in the engine's value representation touches only
 * this file: tuples, keyword arguments, iteration, equality, and Python exceptions.
 */
import { makeTuple, isTuple, pyEq } from '../python-values.js';
import { splitKwargs, iterate } from '../python-methods.js';

export { makeTuple, isTuple, pyEq, splitKwargs, iterate };

/**
 * A Python exception. `pyType` names its Python class (ValueError, TypeError, re.error...),
 * the same shape as the engine's JinjaError, so that templates see Python's messages.
 */
export class PyException extends Error {
  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(message);
    this.name = pyType;
  }
}

export const valueError = (message: string) => new PyException('ValueError', message);
export const typeError = (message: string) => new PyException('TypeError', message);
export const overflowError = (message: string) => new PyException('OverflowError', message);

/** Python's `repr()` of a str: quotes chosen as Python chooses them, non-printables escaped. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(ch)) {
      out += cp < 0x100 ? '\\x' + cp.toString(16).padStart(2, '0') : cp < 0x10000 ? '\\u' + cp.toString(16).padStart(4, '0') : '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return quote + out + quote;
}

/** Python's type name of a value, for error messages; kiln's classes name theirs in `__class_name__`. */
export function typeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (v === undefined) return 'Undefined';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return isTuple(v) ? 'tuple' : 'list';
  if (typeof v === 'function') return 'function';
  const named = (v as { __class_name__?: unknown }).__class_name__;
  if (typeof named === 'string') return named;
  if (isBoxedFloat(v)) return 'float';
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null ? 'dict' : ((v as object).constructor?.name ?? 'object');
}

/** The engine boxes integral floats (`1.0`) in an object whose valueOf() is the number. */
function isBoxedFloat(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto !== Object.prototype && proto !== null && typeof (v as { valueOf(): unknown }).valueOf() === 'number' && !('__class_name__' in (v as object));
}

/** A Python number (int, float, bool or a boxed float) as a JavaScript number, else undefined. */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isBoxedFloat(v)) return (v as { valueOf(): number }).valueOf();
  return undefined;
}

/** True for a value Python would treat as a float (never for ints or bools). */
export function isFloat(v: unknown): boolean {
  return (typeof v === 'number' && !Number.isInteger(v)) || isBoxedFloat(v);
}

/** Python's `operator.index`: an int (or bool), else TypeError; ints beyond a C long overflow. */
export function toInt(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') {
    if (v > 2n ** 63n - 1n || v < -(2n ** 63n)) throw overflowError('Python int too large to convert to C long');
    return Number(v);
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw typeError(`'${typeName(v)}' object cannot be interpreted as an integer`);
}

/** Python truthiness of a value a host function receives. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') {
    const bool = (v as { __bool__?: () => boolean }).__bool__;
    if (typeof bool === 'function') return bool.call(v);
    const n = asNumber(v);
    if (n !== undefined) return n !== 0;
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) return Object.keys(v).some((k) => k !== '__keywords');
  }
  return Boolean(v);
}

/**
 * Binds a call's arguments to Python parameter names, as Python does for a builtin with
 * the signature `fname(names[0], names[1], ..., *, kwOnly...)`. Missing optional
 * parameters are undefined; missing required ones (the first `required`) raise TypeError.
 */
export function bindArgs(fname: string, args: unknown[], names: string[], required = 0, kwOnly: string[] = []): Record<string, unknown> {
  const [pos, kw = {}] = splitKwargs(args);
  if (pos.length > names.length) throw typeError(`${fname}() takes at most ${names.length} positional arguments (${pos.length} given)`);
  const out: Record<string, unknown> = {};
  names.forEach((n, i) => (out[n] = pos[i]));
  for (const [k, v] of Object.entries(kw)) {
    const i = names.indexOf(k);
    if (i < 0 && !kwOnly.includes(k)) throw typeError(`${fname}() got an unexpected keyword argument '${k}'`);
    if (i >= 0 && i < pos.length) throw typeError(`argument for ${fname}() given by name ('${k}') and position (${i + 1})`);
    out[k] = v;
  }
  for (let i = 0; i < required; i++) if (out[names[i]!] === undefined) throw typeError(`${fname}() missing required argument '${names[i]}' (pos ${i + 1})`);
  return out;
}

/** A Python callable from a template (a macro, a host function); TypeError otherwise. */
export function callable(f: unknown): (...a: unknown[]) => unknown {
  if (typeof f !== 'function') throw typeError(`'${typeName(f)}' object is not callable`);
  return f as (...a: unknown[]) => unknown;
}

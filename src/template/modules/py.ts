/**
 * What the Python modules (datetime, pytz, re, itertools) need from the template engine,
 * gathered in one place: the engine's value representation (tuples, sets, boxed floats,
 * iterators, keyword arguments), Python's equality and truth, and Python exceptions.
 */
import {
  JinjaError,
  PyFloat,
  PyIterator,
  isFloat,
  isNumber,
  isTuple,
  iterate,
  makeFloat,
  makeSet,
  makeTuple,
  splitKwargs,
  toNumber,
  truthy,
  typeName,
} from '../jinja/values.js';
import { pyEq } from '../jinja/compare.js';

export { PyIterator, isFloat, isTuple, iterate, makeFloat, makeSet, makeTuple, pyEq, splitKwargs, truthy, typeName };

/** A Python exception: `type` names its Python class (ValueError, re.error...), as the engine reports it. */
export const pyError = (type: string, message: string) => new JinjaError(type, message);
export const valueError = (message: string) => pyError('ValueError', message);
export const typeError = (message: string) => pyError('TypeError', message);
export const overflowError = (message: string) => pyError('OverflowError', message);

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
      out +=
        cp < 0x100
          ? '\\x' + cp.toString(16).padStart(2, '0')
          : cp < 0x10000
            ? '\\u' + cp.toString(16).padStart(4, '0')
            : '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return quote + out + quote;
}

/** A Python number (int, float, bool, or the engine's boxed float) as a JavaScript number, else undefined. */
export function asNumber(v: unknown): number | undefined {
  return isNumber(v) || typeof v === 'boolean' ? toNumber(v) : undefined;
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

/** A float result: the engine prints an integral float as `2.0` only when it is boxed. */
export const floatResult = (n: number): number | PyFloat => makeFloat(n);

/**
 * Binds a call's arguments to Python parameter names, as Python does for a builtin with
 * the signature `fname(names[0], names[1], ..., *, kwOnly...)`. Missing optional
 * parameters are undefined; missing required ones (the first `required`) raise TypeError.
 */
export function bindArgs(
  fname: string,
  args: unknown[],
  names: string[],
  required = 0,
  kwOnly: string[] = [],
): Record<string, unknown> {
  const [pos, kw = {}] = splitKwargs(args);
  if (pos.length > names.length)
    throw typeError(`${fname}() takes at most ${names.length} positional arguments (${pos.length} given)`);
  const out: Record<string, unknown> = {};
  names.forEach((n, i) => (out[n] = pos[i]));
  for (const [k, v] of Object.entries(kw)) {
    const i = names.indexOf(k);
    if (i < 0 && !kwOnly.includes(k)) throw typeError(`${fname}() got an unexpected keyword argument '${k}'`);
    if (i >= 0 && i < pos.length)
      throw typeError(`argument for ${fname}() given by name ('${k}') and position (${i + 1})`);
    out[k] = v;
  }
  for (let i = 0; i < required; i++)
    if (out[names[i]!] === undefined)
      throw typeError(`${fname}() missing required argument '${names[i]}' (pos ${i + 1})`);
  return out;
}

/** A Python callable from a template (a macro, a host function); TypeError otherwise. */
export function callable(f: unknown): (...a: unknown[]) => unknown {
  if (typeof f !== 'function') throw typeError(`'${typeName(f)}' object is not callable`);
  return f as (...a: unknown[]) => unknown;
}

/**
 * A Python class that templates can name but not use (`modules.re.error`, `modules.datetime.tzinfo`):
 * it prints as Python prints the class.
 */
export class PyClassStub {
  constructor(
    private readonly _qualname: string,
    private readonly _kind = 'class',
  ) {
    Object.freeze(this);
  }
  get __class_name__(): string {
    return 'type';
  }
  __repr__(): string {
    return `<${this._kind} '${this._qualname}'>`;
  }
  __str__(): string {
    return this.__repr__();
  }
}

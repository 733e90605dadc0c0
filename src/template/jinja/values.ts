/**
 * How Python's values live in JavaScript while a template renders. Owns the representation
 * and nothing else (printing is repr.ts, comparison compare.ts, arithmetic numbers.ts):
 *
 * | Python            | JavaScript                                                         |
 * | ----------------- | ------------------------------------------------------------------ |
 * | None              | `null`                                                             |
 * | bool              | `boolean`                                                          |
 * | int               | an integral `number` in the safe range, else a `bigint`           |
 * | float             | a non-integral `number` (and NaN, ±Infinity), or a `PyFloat` box    |
 * |                   | when the value is integral (`1.0`, `3/1`, `-0.0`, `1e20`)           |
 * | str               | `string`                                                           |
 * | list / tuple / set| `Array`; tuples and sets carry a hidden mark                       |
 * | dict              | a plain object (keys are strings)                                  |
 * | Jinja's Undefined | an `Undefined` instance, carrying why it is undefined             |
 *
 * Keyword arguments cross into host functions as a trailing plain object with an own
 * `__keywords` property, the convention kiln's host functions read with `splitKwargs`.
 */

/** A Python float whose value is integral, which JavaScript's numbers cannot tell from an int. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  /** In an artifact (a var in run_results.json's args), the number: JSON cannot tell 2.0 from 2. */
  toJSON(): number {
    return this.value;
  }
}

/** The Python float of a JavaScript number. */
export function makeFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** The Python int of a computed integer: a number while exact, else a bigint. */
export function makeInt(n: number | bigint): number | bigint {
  if (typeof n === 'bigint')
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  return n;
}

export function isInt(v: unknown): v is number | bigint {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
}

export function isFloat(v: unknown): v is number | PyFloat {
  return v instanceof PyFloat || (typeof v === 'number' && !Number.isInteger(v));
}

/** int or float (Python's numbers.Number, without bool). */
export function isNumber(v: unknown): v is number | bigint | PyFloat {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof PyFloat;
}

/** A number, bool or PyFloat as a plain JavaScript number (bigints lose precision). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return NaN;
}

/**
 * Jinja's Undefined: a name or attribute that does not exist. It prints as nothing, iterates
 * as nothing and is false; anything more (an attribute, a call) raises UndefinedError.
 */
export class Undefined {
  constructor(readonly hint = 'value is undefined') {}
}

export function isUndefined(v: unknown): v is Undefined | undefined {
  return v === undefined || v instanceof Undefined;
}

/** An exception as Python would raise it; `pyType` names the Python class for messages. */
export class JinjaError extends Error {
  lineno?: number;
  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(message);
    this.name = pyType;
  }
}

export const typeError = (message: string) => new JinjaError('TypeError', message);
export const valueError = (message: string) => new JinjaError('ValueError', message);
export const undefinedError = (u: Undefined | undefined) =>
  new JinjaError('UndefinedError', u?.hint ?? 'value is undefined');
export const securityError = (message: string) => new JinjaError('SecurityError', message);

const tupleMark = Symbol('kiln.tuple');
const setMark = Symbol('kiln.set');

/** Marks an array as a Python tuple: it prints with parentheses and never equals a list. */
export function makeTuple<T>(items: T[]): T[] {
  Object.defineProperty(items, tupleMark, { value: true });
  return items;
}

export function isTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[tupleMark] === true;
}

/** Marks an array of distinct items as a Python set. */
export function makeSet<T>(items: T[]): T[] {
  Object.defineProperty(items, setMark, { value: true });
  return items;
}

export function isPySet(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[setMark] === true;
}

/** A Python dict: a plain object. Host classes (relations, datetimes) are not dicts. */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (value === Object.prototype) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export const KEYWORDS = '__keywords';

/** A dict's keys in insertion order (the keyword-argument mark is not a key). */
export function dictKeys(d: Record<string, unknown>): string[] {
  const keys = Object.keys(d);
  return Object.prototype.hasOwnProperty.call(d, KEYWORDS) ? keys.filter((k) => k !== KEYWORDS) : keys;
}

/** Sets a dict key; `__proto__` is stored as an ordinary key, never as the prototype. */
export function dictSet(d: Record<string, unknown>, key: unknown, value: unknown): void {
  const k = dictKeyOf(key);
  if (k === '__proto__') Object.defineProperty(d, k, { value, enumerable: true, writable: true, configurable: true });
  else d[k] = value;
}

/** Python dict keys are any hashable value; kiln's dicts key by their str(). */
export function dictKeyOf(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (key instanceof PyFloat) return String(key.value);
  if (key === true) return 'True';
  if (key === false) return 'False';
  if (key === null) return 'None';
  if (Array.isArray(key)) throw typeError(`unhashable type: '${typeName(key)}'`);
  if (isDict(key)) throw typeError("unhashable type: 'dict'");
  // Other objects key by their Python repr, never by JavaScript's '[object Object]'.
  return reprOf(key);
}

export function hasKey(d: Record<string, unknown>, key: unknown): boolean {
  if (Array.isArray(key) || isDict(key)) return false;
  const k = dictKeyOf(key);
  return k !== KEYWORDS && Object.prototype.hasOwnProperty.call(d, k);
}

export function newDict(): Record<string, unknown> {
  return {};
}

/** Splits trailing keyword arguments (a marked object) from positional ones. */
export function splitKwargs(args: unknown[]): [unknown[], Record<string, unknown> | undefined] {
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && Object.prototype.hasOwnProperty.call(last, KEYWORDS)) {
    const rest: Record<string, unknown> = {};
    for (const k of dictKeys(last as Record<string, unknown>)) dictSet(rest, k, (last as Record<string, unknown>)[k]);
    return [args.slice(0, -1), rest];
  }
  return [args, undefined];
}

/** Positional and keyword arguments as one argument list for a host function. */
export function withKwargs(pos: unknown[], kw: Record<string, unknown> | undefined): unknown[] {
  if (!kw) return pos;
  const keys = Object.keys(kw);
  if (keys.length === 0) return pos;
  const marked: Record<string, unknown> = { [KEYWORDS]: true };
  for (const k of keys) dictSet(marked, k, kw[k]);
  return [...pos, marked];
}

/** Python's truth value. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0 || v === 0n) return false;
  if (v === true || typeof v === 'string') return true;
  if (typeof v === 'number') return true; // NaN is true in Python
  if (v instanceof PyFloat) return v.value !== 0;
  if (v instanceof Undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return dictKeys(v).length > 0;
  const bool = (v as { __bool__?: () => unknown }).__bool__;
  if (typeof bool === 'function') return Boolean(bool.call(v));
  const len = (v as { __len__?: () => number }).__len__;
  if (typeof len === 'function') return len.call(v) > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  return true;
}

/** Python's type name of a value, for error messages and the `type` of things. */
export function typeName(v: unknown): string {
  if (v === null) return 'NoneType';
  if (v === undefined || v instanceof Undefined) return 'Undefined';
  if (typeof v === 'boolean') return 'bool';
  if (isInt(v)) return 'int';
  if (isFloat(v)) return 'float';
  if (typeof v === 'string') return 'str';
  if (isTuple(v)) return 'tuple';
  if (isPySet(v)) return 'set';
  if (Array.isArray(v)) return 'list';
  if (isDict(v)) return 'dict';
  if (typeof v === 'function') return 'function';
  const named = (v as { __class_name__?: unknown }).__class_name__;
  if (typeof named === 'string') return named;
  return v.constructor?.name ?? 'object';
}

/** Iterates a value as Python's `for` does: a dict gives its keys, a string its characters. */
export function iterate(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value);
  if (value === undefined || value instanceof Undefined) return [];
  if (isDict(value)) return dictKeys(value);
  if (value !== null && typeof value === 'object') {
    const own = (value as { __iter__?: () => unknown }).__iter__;
    if (typeof own === 'function') return iterate(own.call(value));
    if (value instanceof Map) return [...value.keys()];
    if (Symbol.iterator in value) return Array.from(value as Iterable<unknown>);
  }
  throw typeError(`'${typeName(value)}' object is not iterable`);
}

/** Python's len(). */
export function pyLen(value: unknown): number {
  if (typeof value === 'string') return Array.from(value).length;
  if (Array.isArray(value)) return value.length;
  if (isDict(value)) return dictKeys(value).length;
  if (value instanceof Map || value instanceof Set) return value.size;
  const own = (value as { __len__?: () => number } | null)?.__len__;
  if (typeof own === 'function') return own.call(value);
  throw typeError(`object of type '${typeName(value)}' has no len()`);
}

/** A value leaving the engine for a host function: Jinja's Undefined becomes `undefined`. */
export function toHost(v: unknown): unknown {
  if (v instanceof Undefined) return undefined;
  if (v instanceof PyFloat) return v.value;
  if (v instanceof PyIterator || v instanceof PyRange || v instanceof DictView) return v.__iter__();
  return v;
}

/** A value coming back from a host function: `undefined` (no return value) is None. */
export function fromHost(v: unknown): unknown {
  return v === undefined ? null : v;
}

/** Keyword arguments as the engine passes them: a plain object, or undefined for none. */
export type Kwargs = Record<string, unknown> | undefined;

/** The engine's own calling convention: positional values and keyword values, raw. */
export type PyCall = (pos: unknown[], kw: Kwargs) => unknown;

export const CALL = Symbol('kiln.call');

/**
 * A function that knows the engine's values (builtins, bound methods, macros). The engine
 * calls `fn[CALL](pos, kw)` with raw values; host code may call it as an ordinary function
 * with trailing marked keyword arguments.
 */
export type PyFunction = ((...args: unknown[]) => unknown) & { [CALL]: PyCall };

export function pyFunction(name: string, impl: PyCall): PyFunction {
  const fn = ((...args: unknown[]) => {
    const [pos, kw] = splitKwargs(args);
    return impl(pos, kw);
  }) as PyFunction;
  Object.defineProperty(fn, 'name', { value: name });
  Object.defineProperty(fn, CALL, { value: impl });
  return fn;
}

export function isPyFunction(fn: unknown): fn is PyFunction {
  return typeof fn === 'function' && typeof (fn as Partial<PyFunction>)[CALL] === 'function';
}

/** A Python iterator (zip(), map(), a generator): its items can be read once. */
export class PyIterator {
  #items: unknown[];
  readonly #kind: string;
  constructor(items: unknown[], kind = 'generator') {
    this.#items = items;
    this.#kind = kind;
  }
  __iter__(): unknown[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }
  __repr__(): string {
    return `<${this.#kind} object>`;
  }
}

/** Python's range object: iterable again and again, printed as `range(0, 3)`. */
export class PyRange {
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {}
  __len__(): number {
    return Math.max(0, Math.ceil((this.stop - this.start) / this.step));
  }
  __iter__(): number[] {
    const out: number[] = [];
    for (let i = 0, n = this.__len__(); i < n; i++) out.push(this.start + i * this.step);
    return out;
  }
  __getitem__(i: unknown): unknown {
    if (typeof i !== 'number' || !Number.isInteger(i)) return undefined;
    const n = this.__len__();
    const k = i < 0 ? i + n : i;
    return k >= 0 && k < n ? this.start + k * this.step : undefined;
  }
  __contains__(v: unknown): boolean {
    if (typeof v !== 'number' || !Number.isInteger(v)) return false;
    const k = (v - this.start) / this.step;
    return Number.isInteger(k) && k >= 0 && k < this.__len__();
  }
  __repr__(): string {
    return this.step === 1 ? `range(${this.start}, ${this.stop})` : `range(${this.start}, ${this.stop}, ${this.step})`;
  }
}

/** `dict.keys()`, `.values()` and `.items()`: live views, printed as Python prints them. */
export class DictView {
  readonly #kind: 'keys' | 'values' | 'items';
  readonly #dict: Record<string, unknown>;
  constructor(kind: 'keys' | 'values' | 'items', dict: Record<string, unknown>) {
    this.#kind = kind;
    this.#dict = dict;
  }
  __iter__(): unknown[] {
    const keys = dictKeys(this.#dict);
    if (this.#kind === 'keys') return keys;
    if (this.#kind === 'values') return keys.map((k) => this.#dict[k]);
    return keys.map((k) => makeTuple([k, this.#dict[k]]));
  }
  __len__(): number {
    return dictKeys(this.#dict).length;
  }
  __repr__(): string {
    return `dict_${this.#kind}(${reprOf(this.__iter__())})`;
  }
}

/** repr() for the views above; set by repr.ts, which depends on this module. */
let reprOf: (v: unknown) => string = String;
export function setViewRepr(fn: (v: unknown) => string): void {
  reprOf = fn;
}

/** Python bytes, from `str.encode()`: printed as `b'...'`, `.decode()` gives the text back. */
export class PyBytes {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  private bytes(): Buffer {
    return Buffer.from(this.#text, 'utf8');
  }
  decode(): string {
    return this.#text;
  }
  __len__(): number {
    return this.bytes().length;
  }
  __iter__(): number[] {
    return [...this.bytes()];
  }
  __eq__(other: unknown): boolean {
    return other instanceof PyBytes && other.#text === this.#text;
  }
  __repr__(): string {
    // As Python: single quotes unless the bytes hold a ' and no ".
    const quote = this.#text.includes("'") && !this.#text.includes('"') ? '"' : "'";
    let body = '';
    for (const b of this.bytes()) {
      const c = String.fromCharCode(b);
      if (c === quote || c === '\\') body += '\\' + c;
      else if (c === '\n') body += '\\n';
      else if (c === '\r') body += '\\r';
      else if (c === '\t') body += '\\t';
      else if (b < 0x20 || b >= 0x7f) body += '\\x' + b.toString(16).padStart(2, '0');
      else body += c;
    }
    return `b${quote}${body}${quote}`;
  }
}

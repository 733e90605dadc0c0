/**
 * How Jinja (Python) prints values. dbt users' templates depend on `{{ none }}` printing
 * `None`, booleans printing `True`, and lists printing as Python lists.
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (isPySet(value)) return value.length === 0 ? 'set()' : `{${value.map(pythonRepr).join(', ')}}`;
  if (isTuple(value)) return value.length === 1 ? `(${pythonRepr(value[0])},)` : `(${value.map(pythonRepr).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([k]) => k !== '__keywords');
    return `{${entries.map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
  }
  return String(value);
}

/** `str(value)` in Python: what `{{ value }}` and `~` produce. */
export function pythonStr(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value === null || typeof value === 'boolean' || Array.isArray(value) || isPlainObject(value)) return pythonRepr(value);
  return String(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Python tuples are JavaScript arrays tagged with a hidden mark, so every place that takes a
 * sequence keeps working; only printing and equality tell them from lists.
 */
const tupleMark = Symbol('kiln.tuple');

export function makeTuple<T>(items: T[]): T[] {
  Object.defineProperty(items, tupleMark, { value: true });
  return items;
}

const setMark = Symbol('kiln.set');

/** Python's `set()`: a deduplicated array marked so that it prints and compares as a set. */
export function makeSet<T>(items: T[]): T[] {
  Object.defineProperty(items, setMark, { value: true });
  return items;
}

export function isPySet(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[setMark] === true;
}

export function isTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value as unknown as Record<symbol, unknown>)[tupleMark] === true;
}

/** Text of nunjucks' SafeString (macro output), which compares like the str it wraps. */
function plainText(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !isPlainObject(v) && typeof (v as { val?: unknown }).val === 'string' && typeof (v as { length?: unknown }).length === 'number') return String(v);
  return v;
}

/**
 * Python's `==`: no coercion between strings and numbers; booleans are the numbers 0 and 1;
 * lists, tuples and dicts compare by value. Undefined (a missing name or attribute) equals
 * None, because kiln leaves missing values undefined where dbt often has None.
 */
export function pyEq(a: unknown, b: unknown): boolean {
  const x = plainText(a);
  const y = plainText(b);
  if (x === y) return true;
  if (x === null || x === undefined || y === null || y === undefined) return (x === null || x === undefined) && (y === null || y === undefined);
  const num = (v: unknown) => (typeof v === 'number' || typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? Number(v) : undefined);
  const nx = num(x);
  const ny = num(y);
  if (nx !== undefined || ny !== undefined) return nx !== undefined && ny !== undefined && nx === ny;
  if (typeof x === 'string' || typeof y === 'string') return false;
  if (isPySet(x) || isPySet(y)) {
    if (!isPySet(x) || !isPySet(y) || x.length !== y.length) return false;
    return x.every((v) => y.some((w) => pyEq(v, w)));
  }
  if (Array.isArray(x) || Array.isArray(y)) {
    if (!Array.isArray(x) || !Array.isArray(y) || isTuple(x) !== isTuple(y) || x.length !== y.length) return false;
    return x.every((v, i) => pyEq(v, y[i]));
  }
  if (isPlainObject(x) || isPlainObject(y)) {
    if (!isPlainObject(x) || !isPlainObject(y)) return false;
    const kx = Object.keys(x).filter((k) => k !== '__keywords');
    const ky = Object.keys(y).filter((k) => k !== '__keywords');
    return kx.length === ky.length && kx.every((k) => Object.prototype.hasOwnProperty.call(y, k) && pyEq(x[k], y[k]));
  }
  if (x instanceof Set && y instanceof Set) return x.size === y.size && [...x].every((v) => [...y].some((w) => pyEq(v, w)));
  // kiln's own value classes (datetimes, relations): their Python `__eq__`, else same class and same text.
  const eq = (x as { __eq__?: unknown }).__eq__;
  if (typeof eq === 'function') return Boolean(eq.call(x, y));
  if (Object.getPrototypeOf(x) === Object.getPrototypeOf(y) && typeof x === 'object') {
    const vx = (x as { valueOf(): unknown }).valueOf();
    if (typeof vx === 'number') return vx === (y as { valueOf(): unknown }).valueOf();
    const tx = String(x);
    return tx !== '[object Object]' && tx === String(y);
  }
  return false;
}

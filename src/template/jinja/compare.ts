/**
 * Python's comparisons: `==` without coercion between strings and numbers (booleans are the
 * ints 0 and 1), containers by value, ordering that refuses unlike types, and `in`.
 */
import {
  PyFloat,
  Undefined,
  isDict,
  dictKeys,
  hasKey,
  isTuple,
  isPySet,
  isNumber,
  typeName,
  typeError,
  iterate,
} from './values.js';

type Num = number | bigint;

/** A numeric value of a bool, int or float, for comparisons; undefined if not a number. */
function numeric(v: unknown): Num | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

function numCmp(a: Num, b: Num): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = typeof a === 'bigint' ? a : b;
    const y = typeof a === 'bigint' ? (b as number) : a;
    if (Number.isNaN(y)) return NaN;
    if (!Number.isFinite(y)) return typeof a === 'bigint' ? (y > 0 ? -1 : 1) : y > 0 ? 1 : -1;
    // Compare exactly: an integral y converts to bigint without loss.
    const yi = BigInt(Math.trunc(y));
    const c = x < yi ? -1 : x > yi ? 1 : y - Math.trunc(y) === 0 ? 0 : y > 0 ? -1 : 1;
    return typeof a === 'bigint' ? c : -c;
  }
  return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
}

export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || !Number.isNaN(a);
  const x = numeric(a);
  const y = numeric(b);
  if (x !== undefined || y !== undefined) return x !== undefined && y !== undefined && numCmp(x, y) === 0;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    if (a instanceof Undefined || b instanceof Undefined || a === undefined || b === undefined)
      return (a instanceof Undefined || a === undefined) && (b instanceof Undefined || b === undefined);
    return false;
  }
  if (isPySet(a) || isPySet(b)) {
    if (!isPySet(a) || !isPySet(b) || a.length !== b.length) return false;
    return a.every((v) => b.some((w) => pyEq(v, w)));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    return a.every((v, i) => pyEq(v, b[i]));
  }
  if (isDict(a) || isDict(b)) {
    if (!isDict(a) || !isDict(b)) return false;
    const ka = dictKeys(a);
    return ka.length === dictKeys(b).length && ka.every((k) => hasKey(b, k) && pyEq(a[k], b[k]));
  }
  if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
  const eq = (a as { __eq__?: (o: unknown) => unknown }).__eq__;
  if (typeof eq === 'function') {
    const r = eq.call(a, b);
    if (r !== undefined) return Boolean(r);
  }
  return false;
}

const opText: Record<string, string> = { lt: '<', le: '<=', gt: '>', ge: '>=' };

/** -1, 0 or 1 as Python orders a and b; TypeError for unlike types. */
export function pyOrder(a: unknown, b: unknown, op = 'lt'): number {
  const x = numeric(a);
  const y = numeric(b);
  if (x !== undefined && y !== undefined) return numCmp(x, y);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b) && !isPySet(a) && !isPySet(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (pyEq(a[i], b[i])) continue;
      return pyOrder(a[i], b[i], op);
    }
    return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
  }
  if (a !== null && typeof a === 'object') {
    const lt = (a as { __lt__?: (o: unknown) => unknown }).__lt__;
    if (typeof lt === 'function') {
      const less = lt.call(a, b);
      if (less !== undefined) return less ? -1 : pyEq(a, b) ? 0 : 1;
    }
  }
  throw typeError(`'${opText[op] ?? '<'}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function pyCompareOp(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case 'eq':
      return pyEq(a, b);
    case 'ne':
      return !pyEq(a, b);
    case 'lt':
      return pyOrder(a, b, op) < 0;
    case 'le': {
      const c = pyOrder(a, b, op);
      return c <= 0;
    }
    case 'gt':
      return pyOrder(a, b, op) > 0;
    case 'ge':
      return pyOrder(a, b, op) >= 0;
    case 'in':
      return pyIn(a, b);
    case 'notin':
      return !pyIn(a, b);
  }
  throw typeError(`unknown comparison ${op}`);
}

/** Python's `item in container`. */
export function pyIn(item: unknown, container: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string')
      throw typeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (isDict(container)) return hasKey(container, item);
  if (Array.isArray(container)) return container.some((v) => pyEq(v, item));
  if (container instanceof Undefined || container === undefined) return false;
  if (container !== null && typeof container === 'object') {
    const own = (container as { __contains__?: (x: unknown) => unknown }).__contains__;
    if (typeof own === 'function') return Boolean(own.call(container, item));
  }
  if (container === null || typeof container !== 'object' || isNumber(container))
    throw typeError(`argument of type '${typeName(container)}' is not iterable`);
  return iterate(container).some((v) => pyEq(v, item));
}

/** A sort comparator with Python's ordering (sorted() raises for unlike types, as Python does). */
export function pySortCompare(a: unknown, b: unknown): number {
  return pyOrder(a, b);
}

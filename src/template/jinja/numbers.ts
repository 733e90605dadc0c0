/**
 * Python's arithmetic on the engine's values: ints that never lose precision (bigint past
 * 2^53), floats that stay floats (`3/1` is `3.0`), `//` and `%` that round toward minus
 * infinity, and the sequence forms of `+`, `*` and `%`.
 */
import { PyFloat, makeFloat, makeInt, makeTuple, isTuple, isPySet, typeName, typeError, JinjaError } from './values.js';
import { percentFormat } from './format.js';

type Int = number | bigint;

function asInt(v: unknown): Int | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

function asFloat(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

const big = (v: Int) => (typeof v === 'bigint' ? v : BigInt(v));
const zeroDivision = (message: string) => new JinjaError('ZeroDivisionError', message);

const opSymbol: Record<string, string> = {
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  floordiv: '//',
  mod: '%',
  pow: '** or pow()',
};

function unsupported(op: string, a: unknown, b: unknown): JinjaError {
  return typeError(`unsupported operand type(s) for ${opSymbol[op]}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** An int result computed as a number, redone exactly as a bigint when it left the safe range. */
function intResult(n: number, exact: () => bigint): Int {
  return Number.isSafeInteger(n) ? (Object.is(n, -0) ? 0 : n) : makeInt(exact());
}

function intOp(op: string, a: Int, b: Int): unknown {
  const bothNumbers = typeof a === 'number' && typeof b === 'number';
  switch (op) {
    case 'add':
      return bothNumbers ? intResult(a + b, () => big(a) + big(b)) : makeInt(big(a) + big(b));
    case 'sub':
      return bothNumbers ? intResult(a - b, () => big(a) - big(b)) : makeInt(big(a) - big(b));
    case 'mul':
      return bothNumbers ? intResult(a * b, () => big(a) * big(b)) : makeInt(big(a) * big(b));
    case 'div':
      if (b == 0) throw zeroDivision('division by zero');
      return makeFloat(Number(a) / Number(b));
    case 'floordiv': {
      if (b == 0) throw zeroDivision('integer division or modulo by zero');
      const q = big(a) / big(b);
      const r = big(a) % big(b);
      return makeInt(r !== 0n && r < 0n !== big(b) < 0n ? q - 1n : q);
    }
    case 'mod': {
      if (b == 0) throw zeroDivision('integer division or modulo by zero');
      if (bothNumbers) {
        const r = a % b;
        return r !== 0 && r < 0 !== b < 0 ? r + b : r === 0 ? 0 : r;
      }
      const r = big(a) % big(b);
      return makeInt(r !== 0n && r < 0n !== big(b) < 0n ? r + big(b) : r);
    }
    case 'pow': {
      if (b < 0) {
        if (a == 0) throw zeroDivision('0.0 cannot be raised to a negative power');
        return makeFloat(Number(a) ** Number(b));
      }
      if (bothNumbers) return intResult(a ** b, () => big(a) ** big(b));
      return makeInt(big(a) ** big(b));
    }
  }
  throw unsupported(op, a, b);
}

function floatOp(op: string, a: number, b: number): unknown {
  switch (op) {
    case 'add':
      return makeFloat(a + b);
    case 'sub':
      return makeFloat(a - b);
    case 'mul':
      return makeFloat(a * b);
    case 'div':
      if (b === 0) throw zeroDivision('float division by zero');
      return makeFloat(a / b);
    case 'floordiv':
      if (b === 0) throw zeroDivision('float floor division by zero');
      return makeFloat(Math.floor(a / b));
    case 'mod': {
      if (b === 0) throw zeroDivision('float modulo');
      const r = a % b;
      return makeFloat(r !== 0 && r < 0 !== b < 0 ? r + b : r === 0 ? (b < 0 ? -0 : 0) : r);
    }
    case 'pow':
      if (a === 0 && b < 0) throw zeroDivision('0.0 cannot be raised to a negative power');
      return makeFloat(a ** b);
  }
  throw unsupported(op, a, b);
}

/** Past these sizes Python would run out of memory; kiln stops with MemoryError instead of crashing. */
const MAX_STRING = 2 ** 28;
const MAX_LIST = 2 ** 22;

function checkSize(length: number, isString: boolean): void {
  if (length > (isString ? MAX_STRING : MAX_LIST))
    throw new JinjaError('MemoryError', `a ${isString ? 'string' : 'list'} of ${length} items is too large`);
}

function repeat<T>(items: T[] | string, times: unknown): T[] | string | undefined {
  const n = asInt(times);
  if (n === undefined) return undefined;
  const count = Math.max(0, Number(n));
  checkSize(items.length * count, typeof items === 'string');
  if (typeof items === 'string') return items.repeat(count);
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(...items);
  return out;
}

const operatorMethods: Record<string, [string, string]> = {
  add: ['__add__', '__radd__'],
  sub: ['__sub__', '__rsub__'],
  mul: ['__mul__', '__rmul__'],
  div: ['__truediv__', '__rtruediv__'],
  floordiv: ['__floordiv__', '__rfloordiv__'],
  mod: ['__mod__', '__rmod__'],
  pow: ['__pow__', '__rpow__'],
};

/** `a <op> b` for op in add, sub, mul, div, floordiv, mod, pow. */
export function binary(op: string, a: unknown, b: unknown): unknown {
  const ia = asInt(a);
  const ib = asInt(b);
  if (ia !== undefined && ib !== undefined) return intOp(op, ia, ib);
  const fa = asFloat(a);
  const fb = asFloat(b);
  if (fa !== undefined && fb !== undefined) return floatOp(op, fa, fb);
  if (op === 'add') {
    if (typeof a === 'string' && typeof b === 'string') {
      checkSize(a.length + b.length, true);
      return a + b;
    }
    if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b) && !isPySet(a) && !isPySet(b)) {
      checkSize(a.length + b.length, false);
      const items: unknown[] = [...(a as unknown[]), ...(b as unknown[])];
      return isTuple(a) ? makeTuple(items) : items;
    }
  }
  if (op === 'sub' && isPySet(a) && isPySet(b)) return a.filter((x) => !b.includes(x));
  if (op === 'mul') {
    const seq =
      typeof a === 'string' || (Array.isArray(a) && !isPySet(a))
        ? a
        : typeof b === 'string' || (Array.isArray(b) && !isPySet(b))
          ? b
          : undefined;
    if (seq !== undefined) {
      const r = repeat(seq as unknown[] | string, seq === a ? b : a);
      if (r !== undefined) return isTuple(seq) ? makeTuple(r as unknown[]) : r;
    }
  }
  // kiln's value classes (datetimes, timedeltas) answer through Python's operator methods.
  const [method, reflected] = operatorMethods[op]!;
  const own = (a as Record<string, unknown> | null)?.[method];
  if (a !== null && typeof a === 'object' && typeof own === 'function') {
    const r = (own as (o: unknown) => unknown).call(a, b);
    if (r !== undefined) return r;
  }
  const rown = (b as Record<string, unknown> | null)?.[reflected];
  if (b !== null && typeof b === 'object' && typeof rown === 'function') {
    const r = (rown as (o: unknown) => unknown).call(b, a);
    if (r !== undefined) return r;
  }
  if (op === 'mod' && typeof a === 'string') return percentFormat(a, b);
  throw unsupported(op, a, b);
}

export function negate(v: unknown): unknown {
  const i = asInt(v);
  if (i !== undefined) return typeof i === 'bigint' ? makeInt(-i) : i === 0 ? 0 : -i;
  if (typeof v === 'number') return -v;
  if (v instanceof PyFloat) return new PyFloat(-v.value);
  const own = (v as { __neg__?: () => unknown } | null)?.__neg__;
  if (typeof own === 'function') return own.call(v);
  throw typeError(`bad operand type for unary -: '${typeName(v)}'`);
}

export function plus(v: unknown): unknown {
  const i = asInt(v);
  if (i !== undefined) return i;
  if (typeof v === 'number' || v instanceof PyFloat) return v;
  throw typeError(`bad operand type for unary +: '${typeName(v)}'`);
}

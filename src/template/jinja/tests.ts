/**
 * Jinja2 3.1's built-in tests (`value is name(args)`), behaving as Jinja2's do on the engine's
 * values: `1.0 is integer` is false, `true is number` is true, Undefined iterates as nothing.
 */
import type { RenderEnv, Test } from './render-env.js';
import {
  PyFloat,
  Undefined,
  typeError,
  undefinedError,
  isDict,
  isInt,
  isFloat,
  isNumber,
  isPySet,
  isTuple,
  isUndefined,
  typeName,
  truthy,
} from './values.js';
import { pyStr } from './repr.js';
import { pyEq, pyOrder, pyIn } from './compare.js';
import { binary } from './numbers.js';
import { bindArgs, type Param } from './arguments.js';
import { builtinFilters } from './filters.js';
import { isMarkup } from './markup.js';

type Impl = (env: RenderEnv, value: unknown, ...args: unknown[]) => unknown;

/** A test with a Python signature (the parameters after the tested value). */
function test(name: string, params: Param[], impl: Impl): Test {
  return (env, value, pos, kw) => truthy(impl(env, value, ...bindArgs(name, params, pos, kw)));
}

/** operator.lt and friends: Jinja's Undefined refuses to be ordered. */
function ordered(op: 'lt' | 'le' | 'gt' | 'ge') {
  return (_env: RenderEnv, a: unknown, b: unknown): boolean => {
    for (const v of [a, b]) if (isUndefined(v)) throw undefinedError(v instanceof Undefined ? v : undefined);
    const c = pyOrder(a, b, op);
    switch (op) {
      case 'lt':
        return c < 0;
      case 'le':
        return c <= 0;
      case 'gt':
        return c > 0;
      case 'ge':
        return c >= 0;
    }
  };
}

/** `value % num == remainder`, with Python's `%` (strings format, Undefined raises). */
function modEquals(value: unknown, num: unknown, remainder: number): boolean {
  for (const v of [value, num]) if (isUndefined(v)) throw undefinedError(v instanceof Undefined ? v : undefined);
  return pyEq(binary('mod', value, num), remainder);
}

/** Whether a name is a key of a filter or test table (`in env.filters`, which needs a hashable). */
function isRegistered(table: Record<string, unknown>, name: unknown): boolean {
  if ((Array.isArray(name) && !isTuple(name)) || isDict(name)) throw typeError(`unhashable type: '${typeName(name)}'`);
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(table, name);
}

/** Python's TypeError for a key that cannot be hashed (a dict or set lookup needs a hash). */
function checkHashable(v: unknown): void {
  if (isTuple(v)) v.forEach(checkHashable);
  else if (Array.isArray(v) || isDict(v)) throw typeError(`unhashable type: '${typeName(v)}'`);
}

/** Python's str.islower / str.isupper. */
function caseTest(value: unknown, lower: boolean): boolean {
  const s = pyStr(value);
  let cased = false;
  for (const ch of s) {
    const isUpper = /\p{Uppercase}/u.test(ch);
    const isLower = /\p{Lowercase}/u.test(ch);
    const isTitle = /\p{Lt}/u.test(ch);
    if (lower ? isUpper || isTitle : isLower || isTitle) return false;
    if (lower ? isLower : isUpper) cased = true;
  }
  return cased;
}

/** Python's iter(value) succeeds. */
function isIterable(v: unknown): boolean {
  if (typeof v === 'string' || Array.isArray(v) || isDict(v) || isUndefined(v)) return true;
  if (v === null || typeof v !== 'object') return false;
  if (v instanceof PyFloat) return false;
  return typeof (v as { __iter__?: unknown }).__iter__ === 'function' || Symbol.iterator in v;
}

/** len(value) and value.__getitem__ both exist. */
function isSequence(v: unknown): boolean {
  if (typeof v === 'string' || isDict(v) || isUndefined(v) || v instanceof Map) return true;
  if (Array.isArray(v)) return !isPySet(v);
  if (v === null || typeof v !== 'object') return false;
  const o = v as { __len__?: unknown; __getitem__?: unknown };
  return typeof o.__len__ === 'function' && typeof o.__getitem__ === 'function';
}

/** callable(value); Jinja's Undefined counts (it defines __call__, which raises). */
function isCallable(v: unknown): boolean {
  if (typeof v === 'function' || isUndefined(v)) return true;
  return v !== null && typeof v === 'object' && typeof (v as { __call__?: unknown }).__call__ === 'function';
}

/** Python's `is`: one object (None, booleans and ints by value; floats only when the same box). */
function sameAs(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isUndefined(a) && isUndefined(b)) return a === b;
  return false;
}

const eq = test('eq', ['b'], (_env, a, b) => pyEq(a, b));
const ne = test('ne', ['b'], (_env, a, b) => !pyEq(a, b));
const lt = test('lt', ['b'], ordered('lt'));
const le = test('le', ['b'], ordered('le'));
const gt = test('gt', ['b'], ordered('gt'));
const ge = test('ge', ['b'], ordered('ge'));

/**
 * The `filter` and `test` tests know the built-in tables only: a filter or test registered on an
 * environment beyond these is reported as absent.
 */
export const builtinTests: Record<string, Test> = {
  odd: test('odd', [], (_env, v) => modEquals(v, 2, 1)),
  even: test('even', [], (_env, v) => modEquals(v, 2, 0)),
  divisibleby: test('divisibleby', ['num'], (_env, v, num) => modEquals(v, num, 0)),
  defined: test('defined', [], (_env, v) => !isUndefined(v)),
  undefined: test('undefined', [], (_env, v) => isUndefined(v)),
  filter: test('filter', [], (_env, v) => isRegistered(builtinFilters, v)),
  test: test('test', [], (_env, v) => isRegistered(builtinTests, v)),
  none: test('none', [], (_env, v) => v === null),
  boolean: test('boolean', [], (_env, v) => typeof v === 'boolean'),
  false: test('false', [], (_env, v) => v === false),
  true: test('true', [], (_env, v) => v === true),
  integer: test('integer', [], (_env, v) => isInt(v)),
  float: test('float', [], (_env, v) => isFloat(v)),
  lower: test('lower', [], (_env, v) => caseTest(v, true)),
  upper: test('upper', [], (_env, v) => caseTest(v, false)),
  string: test('string', [], (_env, v) => typeof v === 'string'),
  mapping: test(
    'mapping',
    [],
    (_env, v) =>
      isDict(v) || v instanceof Map || typeof (v as { __mapping__?: unknown } | null)?.__mapping__ === 'function',
  ),
  number: test('number', [], (_env, v) => isNumber(v) || typeof v === 'boolean'),
  sequence: test('sequence', [], (_env, v) => isSequence(v)),
  iterable: test('iterable', [], (_env, v) => isIterable(v)),
  callable: test('callable', [], (_env, v) => isCallable(v)),
  sameas: test('sameas', ['other'], (_env, a, b) => sameAs(a, b)),
  escaped: test('escaped', [], (_env, v) => isMarkup(v)),
  in: test('in', ['seq'], (_env, v, seq) => {
    if (isDict(seq) || isPySet(seq)) checkHashable(v);
    return pyIn(v, seq);
  }),
  '==': eq,
  eq,
  equalto: eq,
  '!=': ne,
  ne,
  '>': gt,
  gt,
  greaterthan: gt,
  ge,
  '>=': ge,
  '<': lt,
  lt,
  lessthan: lt,
  '<=': le,
  le,
};

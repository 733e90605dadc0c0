/**
 * The Python and dbt builtin functions of dbt's base context: zip, set, tojson, fromjson,
 * toyaml, fromyaml, local_md5, diff_of_two_dicts, try_or_compiler_error.
 */
import { createHash } from 'node:crypto';
import { fromYaml, toYaml } from './pyyaml.js';
import { KilnError } from '../errors.js';
import { bindArgs, type Param } from './jinja/arguments.js';
import { pyEq } from './jinja/compare.js';
import { jsonDumps, jsonLoads } from './jinja/json.js';
import { pyStr } from './jinja/repr.js';
import { callValue } from './jinja/index.js';
import { LazyIterator, source } from './modules/itertools.js';
import {
  JinjaError,
  PyIterator,
  dictKeys,
  isDict,
  iterate,
  makeSet,
  makeTuple,
  pyFunction,
  truthy,
  type PyCall,
  type PyFunction,
} from './jinja/values.js';

/** Items without repeats, compared as Python compares them. */
function uniqueByEq(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of items) if (!out.some((w) => pyEq(v, w))) out.push(v);
  return out;
}

/**
 * Python's zip(): tuples until the shortest input ends, its inputs read an item at a time,
 * so `zip(names, itertools.count())` ends with `names`; endless only when every input is.
 */
function zip(pos: unknown[]): PyIterator | LazyIterator {
  const sources = pos.map(source);
  function* tuples(): Generator<unknown> {
    // zip() of nothing is empty, not endless.
    while (sources.length) {
      const row: unknown[] = [];
      for (const s of sources) {
        const r = s.next();
        if (r.done) return;
        row.push(r.value);
      }
      yield makeTuple(row);
    }
  }
  return pos.length && pos.every((v) => v instanceof LazyIterator)
    ? new LazyIterator('zip', tuples())
    : new PyIterator([...tuples()], 'zip');
}

/** dbt's `set(x, default=None)` and `zip(..., default=None)`: the default when the input is not iterable. */
function orDefault(impl: (pos: unknown[]) => unknown, strict: boolean): PyCall {
  return (pos, kw) => {
    try {
      return impl(pos);
    } catch (e) {
      if (strict) throw e;
      return kw?.default ?? null;
    }
  };
}

/** dbt's conversion globals (fromjson, toyaml, ...): a value that cannot be converted gives the `default` argument. */
function converter(name: string, params: Param[], convert: (args: unknown[]) => unknown): PyFunction {
  return pyFunction(name, (pos, kw) => {
    const args = bindArgs(name, params, pos, kw);
    try {
      return convert(args);
    } catch {
      return args[1];
    }
  });
}

export function builtinGlobals(): Record<string, unknown> {
  const fn = (name: string, impl: PyCall) => pyFunction(name, impl);
  const toSet = (pos: unknown[]) => makeSet(uniqueByEq(iterate(pos[0] ?? [])));
  return {
    zip: fn('zip', orDefault(zip, false)),
    zip_strict: fn('zip_strict', orDefault(zip, true)),
    set: fn('set', orDefault(toSet, false)),
    set_strict: fn('set_strict', orDefault(toSet, true)),
    tojson: fn('tojson', (pos, kw) => {
      const [value, dflt, sortKeys] = bindArgs('tojson', ['value', ['default', null], ['sort_keys', false]], pos, kw);
      // dbt returns the default for a ValueError only; an unserializable value is a TypeError.
      try {
        return jsonDumps(value, { sortKeys: truthy(sortKeys) });
      } catch (e) {
        if (e instanceof JinjaError && e.pyType === 'ValueError') return dflt;
        throw e;
      }
    }),
    fromjson: converter('fromjson', ['string', ['default', null]], ([text]) => jsonLoads(pyStr(text))),
    toyaml: converter('toyaml', ['value', ['default', null], ['sort_keys', false]], ([value, , sortKeys]) =>
      toYaml(value, truthy(sortKeys)),
    ),
    fromyaml: converter('fromyaml', ['value', ['default', null]], ([text]) => fromYaml(pyStr(text))),
    local_md5: fn('local_md5', (pos) => createHash('md5').update(pyStr(pos[0])).digest('hex')),
    diff_of_two_dicts: fn('diff_of_two_dicts', (pos) => {
      const [a, b] = pos as [Record<string, unknown>, Record<string, unknown>];
      const out: Record<string, unknown[]> = {};
      for (const k of isDict(a) ? dictKeys(a) : []) {
        const other = new Set(iterate(isDict(b) ? (b[k] ?? []) : []).map((x) => pyStr(x).toLowerCase()));
        const diff = iterate(a[k] ?? []).filter((x) => !other.has(pyStr(x).toLowerCase()));
        if (diff.length) out[k] = diff;
      }
      return out;
    }),
    try_or_compiler_error: fn('try_or_compiler_error', (pos, kw) => {
      const [message, callee, ...args] = pos;
      try {
        return callValue(callee, args, kw);
      } catch {
        throw new KilnError('template', pyStr(message));
      }
    }),
  };
}

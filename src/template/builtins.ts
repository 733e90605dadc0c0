/**
 * The Python and dbt builtin functions of dbt's base context: zip, set, tojson, fromjson,
 * toyaml, fromyaml, local_md5, diff_of_two_dicts, try_or_compiler_error.
 */
import { createHash } from 'node:crypto';
import { fromYaml, toYaml } from './pyyaml.js';
import { KilnError } from '../errors.js';
import { bindArgs } from './jinja/arguments.js';
import { pyEq } from './jinja/compare.js';
import { jsonDumps, jsonLoads } from './jinja/json.js';
import { pyStr } from './jinja/repr.js';
import { callValue } from './jinja/index.js';
import { JinjaError, PyIterator, dictKeys, isDict, iterate, makeSet, makeTuple, pyFunction, truthy, type PyCall } from './jinja/values.js';

/** Items without repeats, compared as Python compares them. */
function uniqueByEq(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of items) if (!out.some((w) => pyEq(v, w))) out.push(v);
  return out;
}

function zip(pos: unknown[]): PyIterator {
  const lists = pos.map(iterate);
  const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
  return new PyIterator(
    Array.from({ length: n }, (_, i) => makeTuple(lists.map((l) => l[i]))),
    'zip',
  );
}

/** dbt's `set(x, default=None)` and `zip(..., default=None)`: the default when the input is not iterable. */
function orDefault(name: string, impl: (pos: unknown[]) => unknown, strict: boolean): PyCall {
  return (pos, kw) => {
    try {
      return impl(pos);
    } catch (e) {
      if (strict) throw e;
      return kw?.default ?? null;
    }
  };
}

export function builtinGlobals(): Record<string, unknown> {
  const fn = (name: string, impl: PyCall) => pyFunction(name, impl);
  const toSet = (pos: unknown[]) => makeSet(uniqueByEq(iterate(pos[0] ?? [])));
  return {
    zip: fn('zip', orDefault('zip', zip, false)),
    zip_strict: fn('zip_strict', orDefault('zip_strict', zip, true)),
    set: fn('set', orDefault('set', toSet, false)),
    set_strict: fn('set_strict', orDefault('set_strict', toSet, true)),
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
    fromjson: fn('fromjson', (pos, kw) => {
      const [text, dflt] = bindArgs('fromjson', ['string', ['default', null]], pos, kw);
      try {
        return jsonLoads(pyStr(text));
      } catch {
        return dflt;
      }
    }),
    toyaml: fn('toyaml', (pos, kw) => {
      const [value, dflt, sortKeys] = bindArgs('toyaml', ['value', ['default', null], ['sort_keys', false]], pos, kw);
      try {
        return toYaml(value, truthy(sortKeys));
      } catch {
        return dflt;
      }
    }),
    fromyaml: fn('fromyaml', (pos, kw) => {
      const [text, dflt] = bindArgs('fromyaml', ['value', ['default', null]], pos, kw);
      try {
        return fromYaml(pyStr(text));
      } catch {
        return dflt;
      }
    }),
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

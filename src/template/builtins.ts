/**
 * The Python and dbt builtin functions templates call: dict, zip, namespace, set, tojson,
 * fromjson, toyaml, fromyaml, local_md5, and Jinja's True/False/None spellings.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { KilnError } from '../errors.js';
import { isPlainObject, pythonStr, makeTuple, makeSet, pyEq } from './python-values.js';

/** Items without repeats, compared as Python compares them. */
function uniqueByEq(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of items) if (!out.some((w) => pyEq(v, w))) out.push(v);
  return out;
}
import { iterate, splitKwargs } from './python-methods.js';

/** Python's json.dumps: `", "` and `": "` separators, non-ASCII kept escaped like Python. */
export function pyJson(value: unknown, opts: { indent?: number; sortKeys?: boolean } = {}): string {
  const conv = (v: unknown): unknown => {
    if (v === undefined) return null;
    if (Array.isArray(v)) return v.map(conv);
    if (isPlainObject(v)) {
      const entries = Object.entries(v).filter(([k]) => k !== '__keywords');
      if (opts.sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries.map(([k, x]) => [k, conv(x)]));
    }
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) return pythonStr(v);
    return v;
  };
  const plain = conv(value);
  if (opts.indent !== undefined && opts.indent !== null) return JSON.stringify(plain, null, Number(opts.indent));
  return compactJson(plain);
}

function compactJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(compactJson).join(', ')}]`;
  if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${compactJson(x)}`).join(', ')}}`;
  return JSON.stringify(v) ?? 'null';
}

export function builtinGlobals(): Record<string, unknown> {
  return {
    True: true,
    False: false,
    None: null,
    dict: (...args: unknown[]) => {
      const [pos, kw] = splitKwargs(args);
      const out: Record<string, unknown> = {};
      for (const p of pos) {
        if (isPlainObject(p)) Object.assign(out, p);
        else for (const pair of iterate(p)) out[pythonStr((pair as unknown[])[0])] = (pair as unknown[])[1];
      }
      delete out.__keywords;
      return Object.assign(out, kw ?? {});
    },
    namespace: (...args: unknown[]) => {
      const [pos, kw] = splitKwargs(args);
      return Object.assign({}, ...pos.filter(isPlainObject), kw ?? {});
    },
    zip: (...seqs: unknown[]) => {
      const lists = seqs.map(iterate);
      const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
      return Array.from({ length: n }, (_, i) => makeTuple(lists.map((l) => l[i])));
    },
    zip_strict: (...seqs: unknown[]) => {
      const lists = seqs.map(iterate);
      const n = lists.length ? Math.min(...lists.map((l) => l.length)) : 0;
      return Array.from({ length: n }, (_, i) => makeTuple(lists.map((l) => l[i])));
    },
    set: (seq: unknown = []) => makeSet(uniqueByEq(iterate(seq))),
    set_strict: (seq: unknown = []) => makeSet(uniqueByEq(iterate(seq))),
    tojson: (v: unknown, ...args: unknown[]) => {
      const [, kw] = splitKwargs(args);
      return pyJson(v, { sortKeys: Boolean(kw?.sort_keys) });
    },
    fromjson: (s: unknown, dflt: unknown = undefined) => {
      try {
        return JSON.parse(pythonStr(s));
      } catch (e) {
        if (dflt !== undefined) return dflt;
        throw new KilnError('template', `fromjson: ${(e as Error).message}`);
      }
    },
    toyaml: (v: unknown) => stringifyYaml(v),
    fromyaml: (s: unknown, dflt: unknown = undefined) => {
      try {
        return parseYaml(pythonStr(s)) ?? null;
      } catch (e) {
        if (dflt !== undefined) return dflt;
        throw new KilnError('template', `fromyaml: ${(e as Error).message}`);
      }
    },
    local_md5: (s: unknown) => createHash('md5').update(pythonStr(s)).digest('hex'),
    diff_of_two_dicts: (a: Record<string, unknown[]>, b: Record<string, unknown[]>) => {
      const out: Record<string, unknown[]> = {};
      for (const [k, v] of Object.entries(a ?? {})) {
        const other = new Set(((b ?? {})[k] ?? []).map((x) => String(x).toLowerCase()));
        const diff = (v ?? []).filter((x) => !other.has(String(x).toLowerCase()));
        if (diff.length) out[k] = diff;
      }
      return out;
    },
    try_or_compiler_error: (message: string, fn: (...a: unknown[]) => unknown, ...args: unknown[]) => {
      try {
        return fn(...args);
      } catch {
        throw new KilnError('template', message);
      }
    },
  };
}

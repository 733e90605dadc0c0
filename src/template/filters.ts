/**
 * Jinja2's filters and tests that nunjucks lacks or defines differently, plus dbt's `as_*`
 * filters for YAML values (`{{ env_var('PORT') | as_number }}` yields a real number).
 */
import type nunjucks from 'nunjucks';
import { pythonStr, makeTuple, pyEq } from './python-values.js';
import { iterate, percentFormat, pyCompare, splitKwargs } from './python-methods.js';
import { truthy } from './jinja-compat.js';
import { pyJson } from './builtins.js';

type Env = nunjucks.Environment & { addTest(name: string, fn: (...a: any[]) => boolean): void; getTest(name: string): (...a: unknown[]) => boolean; getFilter(name: string): (...a: unknown[]) => unknown };

/** `a.b.c` attribute paths as Jinja's `attribute=` arguments take them. */
function attrGetter(path: unknown): (v: unknown) => unknown {
  const parts = String(path).split('.');
  return (v) => {
    let cur = v;
    for (const p of parts) {
      if (cur === null || cur === undefined) return undefined;
      cur = /^\d+$/.test(p) && Array.isArray(cur) ? cur[Number(p)] : (cur as Record<string, unknown>)[p];
    }
    return cur;
  };
}

const plain = (v: unknown) => (v !== null && typeof v === 'object' && typeof (v as { val?: unknown }).val === 'string' && String(v) === (v as { val: string }).val ? String(v) : v);

const isGroup = (x: unknown): x is { grouper: unknown; list: unknown[] } => x !== null && typeof x === 'object' && 'grouper' in x && 'list' in x;

/** A group as Jinja's namedtuple: unpacks as (grouper, list) and keeps `.grouper` and `.list`. */
function groupTuple(g: { grouper: unknown; list: unknown[] }): unknown[] {
  const t = makeTuple([g.grouper, g.list]);
  Object.defineProperty(t, 'grouper', { value: g.grouper });
  Object.defineProperty(t, 'list', { value: g.list });
  return t;
}

export function registerFilters(env: nunjucks.Environment): void {
  const e = env as Env;
  env.addFilter('as_bool', (v: unknown) => {
    if (typeof v === 'string') return /^(true|yes|1)$/i.test(v.trim());
    return Boolean(v);
  });
  env.addFilter('as_number', (v: unknown) => {
    const n = Number(typeof v === 'string' ? v.trim() : v);
    if (Number.isNaN(n)) throw new Error(`as_number: '${String(v)}' is not a number`);
    return n;
  });
  env.addFilter('as_text', (v: unknown) => pythonStr(v));
  env.addFilter('as_native', (v: unknown) => {
    if (typeof v !== 'string') return v;
    const t = v.trim();
    if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
    if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
    if (/^[[{]/.test(t)) {
      try {
        return JSON.parse(t.replace(/'/g, '"').replace(/\bNone\b/g, 'null').replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false'));
      } catch {
        return v;
      }
    }
    return v;
  });
  env.addFilter('string', (v: unknown) => pythonStr(plain(v)));
  // `sum(attribute='x', start=10)` with Jinja's keyword arguments.
  env.addFilter('sum', (seq: unknown, ...args: unknown[]) => {
    const [pos, kw] = splitKwargs(args);
    const attribute = kw?.attribute ?? pos[0];
    const start = Number(kw?.start ?? pos[1] ?? 0);
    const get = attribute === undefined || attribute === null ? (v: unknown) => v : attrGetter(attribute);
    return iterate(plain(seq)).reduce<number>((acc, v) => acc + Number(get(v)), start);
  });
  // Jinja's dictsort and groupby give (key, value) and (grouper, list) tuples.
  for (const name of ['dictsort', 'groupby']) {
    const original = e.getFilter(name);
    env.addFilter(name, function (this: unknown, ...args: unknown[]) {
      const out = original.apply(this, args);
      // nunjucks' groupby gives a dict of lists.
      if (name === 'groupby' && out !== null && typeof out === 'object' && !Array.isArray(out)) return Object.entries(out as Record<string, unknown[]>).map(([grouper, list]) => groupTuple({ grouper, list }));
      return Array.isArray(out) ? out.map((x) => (Array.isArray(x) ? makeTuple([...x]) : isGroup(x) ? groupTuple(x) : x)) : out;
    });
  }

  // `map('upper')`, `map(attribute='name')`, `map('replace', 'a', 'b')`.
  env.addFilter('map', (seq: unknown, ...args: unknown[]) => {
    const [pos, kw] = splitKwargs(args);
    const items = iterate(plain(seq));
    if (kw?.attribute !== undefined) {
      const get = attrGetter(kw.attribute);
      return items.map((v) => {
        const r = get(v);
        return r === undefined && 'default' in kw ? kw.default : r;
      });
    }
    const [name, ...rest] = pos;
    const filter = e.getFilter(String(name));
    return items.map((v) => filter(v, ...rest));
  });
  const selecting = (keep: boolean, byAttr: boolean) =>
    function (this: unknown, seq: unknown, ...args: unknown[]) {
      const [pos, kwargs] = splitKwargs(args);
      void kwargs;
      let [first, testName, ...rest] = pos;
      let get: (v: unknown) => unknown = (v) => v;
      if (byAttr) get = attrGetter(first);
      else [testName, rest] = [first, testName === undefined ? rest : [testName, ...rest]];
      const test = testName === undefined ? (v: unknown) => truthy(v) : (v: unknown) => e.getTest(String(testName)).call(this, v, ...rest);
      return iterate(plain(seq)).filter((v) => Boolean(test(get(v))) === keep);
    };
  env.addFilter('select', selecting(true, false));
  env.addFilter('reject', selecting(false, false));
  env.addFilter('selectattr', selecting(true, true));
  env.addFilter('rejectattr', selecting(false, true));

  env.addFilter('unique', (seq: unknown, ...args: unknown[]) => {
    const [, kw] = splitKwargs(args);
    const get = kw?.attribute !== undefined ? attrGetter(kw.attribute) : (v: unknown) => v;
    const seen = new Set<unknown>();
    const out: unknown[] = [];
    for (const v of iterate(plain(seq))) {
      let key = get(v);
      if (typeof key === 'string' && !kw?.case_sensitive) key = key.toLowerCase();
      if (typeof key === 'object' && key !== null) key = JSON.stringify(key);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(v);
      }
    }
    return out;
  });
  const extreme = (sign: number) => (seq: unknown, ...args: unknown[]) => {
    const [, kw] = splitKwargs(args);
    const get = kw?.attribute !== undefined ? attrGetter(kw.attribute) : (v: unknown) => v;
    const key = (v: unknown) => {
      const k = get(v);
      return typeof k === 'string' && !kw?.case_sensitive ? k.toLowerCase() : k;
    };
    let best: unknown;
    let first = true;
    for (const v of iterate(plain(seq))) {
      if (first || sign * pyCompare(key(v), key(best)) > 0) best = v;
      first = false;
    }
    return first ? undefined : best;
  };
  env.addFilter('min', extreme(-1));
  env.addFilter('max', extreme(1));
  env.addFilter('tojson', (v: unknown, ...args: unknown[]) => {
    const [pos, kw] = splitKwargs(args);
    return pyJson(v, { indent: (kw?.indent ?? pos[0]) as number | undefined, sortKeys: Boolean(kw?.sort_keys) });
  });
  env.addFilter('format', (fmt: unknown, ...args: unknown[]) => {
    const [pos, kw] = splitKwargs(args);
    return percentFormat(String(plain(fmt)), kw && Object.keys(kw).length ? kw : pos);
  });
  env.addFilter('items', (d: unknown) => (d && typeof d === 'object' ? Object.entries(d).filter(([k]) => k !== '__keywords').map((e) => makeTuple(e)) : []));
  env.addFilter('count', (v: unknown) => iterate(plain(v)).length);
  env.addFilter('attr', (obj: unknown, name: string) => (obj === null || obj === undefined ? undefined : (obj as Record<string, unknown>)[name]));
  env.addFilter('list', (v: unknown) => [...iterate(plain(v))]);
  env.addFilter('join', (seq: unknown, sep: unknown = '', attribute?: unknown) => {
    const [pos, kw] = splitKwargs(attribute === undefined ? [] : [attribute]);
    const attr = kw?.attribute ?? pos[0];
    const get = attr !== undefined && attr !== null ? attrGetter(attr) : (v: unknown) => v;
    return iterate(plain(seq)).map((v) => pythonStr(get(v))).join(pythonStr(sep));
  });
  env.addFilter('d', e.getFilter('default'));
  env.addFilter('lower', (v: unknown) => pythonStr(plain(v)).toLowerCase());
  env.addFilter('upper', (v: unknown) => pythonStr(plain(v)).toUpperCase());
  env.addFilter('replace', (v: unknown, a: unknown, b: unknown, count?: number) => {
    const s = pythonStr(plain(v));
    if (a instanceof RegExp) return s.replace(a, String(b));
    const parts = s.split(pythonStr(a));
    if (count === undefined || count < 0 || typeof count !== 'number') return parts.join(pythonStr(b));
    return parts.slice(0, count + 1).join(pythonStr(b)) + (parts.length > count + 1 ? pythonStr(a) + parts.slice(count + 1).join(pythonStr(a)) : '');
  });

  // Tests Jinja has and nunjucks lacks (or spells differently).
  const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && !(v as unknown as { kilnFloat?: boolean }).kilnFloat;
  e.addTest('none', (v: unknown) => v === null);
  e.addTest('sequence', (v: unknown) => Array.isArray(v) || typeof v === 'string' || (v !== null && typeof v === 'object' && !(v instanceof Date)));
  e.addTest('boolean', (v: unknown) => typeof v === 'boolean');
  e.addTest('integer', (v: unknown) => isInt(v));
  e.addTest('float', (v: unknown) => typeof v === 'number' && !Number.isInteger(v));
  e.addTest('true', (v: unknown) => v === true);
  e.addTest('false', (v: unknown) => v === false);
  e.addTest('in', (v: unknown, seq: unknown) => (typeof plain(seq) === 'string' ? String(plain(seq)).includes(pythonStr(plain(v))) : iterate(plain(seq)).some((x) => pyEq(v, x))));
  // Equality tests compare as Python's `==` does.
  for (const name of ['equalto', 'eq']) e.addTest(name, (a: unknown, b: unknown) => pyEq(a, b));
  e.addTest('ne', (a: unknown, b: unknown) => !pyEq(a, b));
  e.addTest('mapping', (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v));
  e.addTest('iterable', (v: unknown) => typeof v === 'string' || (v !== null && typeof v === 'object'));
  e.addTest('filter', (name: unknown) => {
    try {
      return typeof e.getFilter(String(name)) === 'function';
    } catch {
      return false;
    }
  });
  e.addTest('test', (name: unknown) => {
    try {
      return typeof e.getTest(String(name)) === 'function';
    } catch {
      return false;
    }
  });
}

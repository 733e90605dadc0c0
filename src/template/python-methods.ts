/**
 * Python's str, list and dict methods that dbt macros call, keyed by their Python names.
 * jinja-compat.ts looks them up when a template reads `value.method`.
 */
import { pythonRepr, pythonStr, isPlainObject, makeTuple, makeSet, pyEq } from './python-values.js';

type Kw = Record<string, unknown> | undefined;

/** Splits trailing keyword arguments (nunjucks passes them as a marked object) from positional ones. */
export function splitKwargs(args: unknown[]): [unknown[], Kw] {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && Object.prototype.hasOwnProperty.call(last, '__keywords')) {
    const { __keywords, ...rest } = last as Record<string, unknown>;
    void __keywords;
    return [args.slice(0, -1), rest];
  }
  return [args, undefined];
}

export function pyFormat(template: string, args: unknown[]): string {
  const [pos, kw] = splitKwargs(args);
  let auto = 0;
  return template.replace(/\{\{|\}\}|\{([^{}!:]*)(![rs])?(?::([^{}]*))?\}/g, (m, field: string | undefined, conv: string | undefined, spec: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const path = (field ?? '').split('.');
    const head = path.shift()!;
    let value: unknown = head === '' ? pos[auto++] : /^\d+$/.test(head) ? pos[Number(head)] : kw?.[head];
    for (const p of path) value = (value as Record<string, unknown>)?.[p];
    if (conv === '!r') return pythonRepr(value);
    return spec ? formatSpec(value, spec) : pythonStr(value);
  });
}

/** A subset of Python's format-spec mini language: fill/align, width, precision, type. */
function formatSpec(value: unknown, spec: string): string {
  const m = /^(?:(.)?([<>^]))?([+ -])?(0)?(\d+)?(,)?(?:\.(\d+))?([sdfe%gx])?$/.exec(spec);
  if (!m) return pythonStr(value);
  const [, fill = ' ', align, , zero, width, comma, precision, type] = m;
  let text: string;
  if (type === 'f' || (precision !== undefined && typeof value === 'number' && type !== 's')) text = Number(value).toFixed(Number(precision ?? 6));
  else if (type === '%') text = (Number(value) * 100).toFixed(Number(precision ?? 6)) + '%';
  else if (type === 'd') text = String(Math.trunc(Number(value)));
  else if (type === 'x') text = Math.trunc(Number(value)).toString(16);
  else if (type === 'e') text = Number(value).toExponential(Number(precision ?? 6));
  else text = precision !== undefined ? pythonStr(value).slice(0, Number(precision)) : pythonStr(value);
  if (comma) text = text.replace(/^(-?\d+)/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
  const w = Number(width ?? 0);
  if (text.length >= w) return text;
  const pad = w - text.length;
  const f = zero && !align ? '0' : fill;
  const a = align ?? (typeof value === 'number' ? '>' : '<');
  if (a === '<') return text + f.repeat(pad);
  if (a === '>') return f.repeat(pad) + text;
  return f.repeat(Math.floor(pad / 2)) + text + f.repeat(Math.ceil(pad / 2));
}

/** Python's `'%s, %d' % (a, b)` and `'%(name)s' % {...}`. */
export function percentFormat(template: string, values: unknown): string {
  const positional = Array.isArray(values) ? values : [values];
  let i = 0;
  return template.replace(/%(\(([^)]*)\))?([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?([sdifrxXeEgGc%])/g, (_m, _k, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const v = key !== undefined ? (values as Record<string, unknown>)?.[key] : positional[i++];
    let text: string;
    switch (conv) {
      case 'd':
      case 'i':
        text = String(Math.trunc(Number(v)));
        break;
      case 'f':
      case 'F':
        text = Number(v).toFixed(precision === undefined ? 6 : Number(precision));
        break;
      case 'e':
      case 'E':
        text = Number(v).toExponential(precision === undefined ? 6 : Number(precision));
        break;
      case 'x':
        text = Math.trunc(Number(v)).toString(16);
        break;
      case 'X':
        text = Math.trunc(Number(v)).toString(16).toUpperCase();
        break;
      case 'r':
        text = pythonRepr(v);
        break;
      default:
        text = pythonStr(v);
        if (precision !== undefined) text = text.slice(0, Number(precision));
    }
    const w = width && width !== '*' ? Number(width) : 0;
    if (text.length < w) text = flags.includes('-') ? text.padEnd(w) : text.padStart(w, flags.includes('0') && conv !== 's' ? '0' : ' ');
    return text;
  });
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  while (left && a < b && chars.includes(s[a]!)) a++;
  while (right && b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

function pySplit(s: string, sep?: string | null, max?: number): string[] {
  const limited = (parts: string[], joiner: string) => (max !== undefined && max >= 0 && parts.length > max + 1 ? [...parts.slice(0, max), parts.slice(max).join(joiner)] : parts);
  if (sep === undefined || sep === null) {
    if (max === undefined || max < 0) return s.trim().split(/\s+/).filter((p) => p !== '');
    const out: string[] = [];
    let rest = s.trimStart();
    while (rest && out.length < max) {
      const m = /\s+/.exec(rest);
      if (!m) break;
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    if (rest) out.push(rest);
    return out;
  }
  return limited(s.split(sep), sep);
}

const pyJustify = (s: string, width: number, fill = ' ', where: 'l' | 'r' | 'c') => {
  if (s.length >= width) return s;
  const pad = width - s.length;
  if (where === 'l') return s + fill.repeat(pad);
  if (where === 'r') return fill.repeat(pad) + s;
  return fill.repeat(Math.floor(pad / 2)) + s + fill.repeat(Math.ceil(pad / 2));
};

const asList = (p: unknown): string[] => (Array.isArray(p) ? (p as string[]) : [p as string]);

export const stringMethods: Record<string, (s: string, ...a: any[]) => unknown> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  strip: (s, chars?: string | null) => (chars ? trimChars(s, chars, true, true) : s.trim()),
  lstrip: (s, chars?: string | null) => (chars ? trimChars(s, chars, true, false) : s.trimStart()),
  rstrip: (s, chars?: string | null) => (chars ? trimChars(s, chars, false, true) : s.trimEnd()),
  split: (s, sep?: string | null, max?: number) => pySplit(s, sep, max),
  rsplit: (s, sep?: string | null, max?: number) => {
    if (max === undefined || max < 0) return pySplit(s, sep);
    const parts = sep == null ? s.trim().split(/\s+/) : s.split(sep);
    return parts.length > max + 1 ? [parts.slice(0, parts.length - max).join(sep ?? ' '), ...parts.slice(parts.length - max)] : parts;
  },
  splitlines: (s) => s.split(/\r?\n/).filter((l, i, all) => i < all.length - 1 || l !== ''),
  partition: (s, sep: string) => {
    const i = s.indexOf(sep);
    return i < 0 ? [s, '', ''] : [s.slice(0, i), sep, s.slice(i + sep.length)];
  },
  replace: (s, a: string, b: string, count?: number) => {
    if (count === undefined || count < 0) return s.split(a).join(b);
    let out = s;
    let from = 0;
    for (let n = 0; n < count; n++) {
      const i = out.indexOf(a, from);
      if (i < 0) break;
      out = out.slice(0, i) + b + out.slice(i + a.length);
      from = i + b.length;
    }
    return out;
  },
  startswith: (s, p: string | string[]) => asList(p).some((x) => s.startsWith(x)),
  endswith: (s, p: string | string[]) => asList(p).some((x) => s.endsWith(x)),
  join: (s, items: unknown) => Array.from(iterate(items), pythonStr).join(s),
  find: (s, sub: string, start?: number) => s.indexOf(sub, start),
  rfind: (s, sub: string) => s.lastIndexOf(sub),
  index: (s, sub: string) => {
    const i = s.indexOf(sub);
    if (i < 0) throw new Error(`substring not found: ${sub}`);
    return i;
  },
  count: (s, sub: string) => (sub === '' ? s.length + 1 : s.split(sub).length - 1),
  title: (s) => s.replace(/[A-Za-z]+/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s),
  isdigit: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\d+$/.test(s),
  isdecimal: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^[A-Za-z]+$/.test(s),
  isalnum: (s) => /^[A-Za-z0-9]+$/.test(s),
  isspace: (s) => /^\s+$/.test(s),
  isupper: (s) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  islower: (s) => /[a-z]/.test(s) && s === s.toLowerCase(),
  isidentifier: (s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s),
  zfill: (s, width: number) => (s.startsWith('-') ? '-' + s.slice(1).padStart(width - 1, '0') : s.padStart(width, '0')),
  ljust: (s, w: number, fill?: string) => pyJustify(s, w, fill, 'l'),
  rjust: (s, w: number, fill?: string) => pyJustify(s, w, fill, 'r'),
  center: (s, w: number, fill?: string) => pyJustify(s, w, fill, 'c'),
  removeprefix: (s, p: string) => (s.startsWith(p) ? s.slice(p.length) : s),
  removesuffix: (s, p: string) => (p && s.endsWith(p) ? s.slice(0, -p.length) : s),
  encode: (s) => s,
  format: (s, ...args: unknown[]) => pyFormat(s, args),
};

/** Iterates a value as Python would: a dict gives its keys, a string its characters. */
export function iterate(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (value instanceof Set) return [...value];
  if (value instanceof Map) return [...value.keys()];
  if (typeof value === 'object' && Symbol.iterator in (value as object)) return Array.from(value as Iterable<unknown>);
  if (isPlainObject(value)) return Object.keys(value).filter((k) => k !== '__keywords');
  return [];
}

export const listMethods: Record<string, (l: unknown[], ...a: any[]) => unknown> = {
  append: (l, x) => {
    l.push(x);
    return null;
  },
  extend: (l, xs: unknown) => {
    l.push(...iterate(xs));
    return null;
  },
  pop: (l, i?: number) => (i === undefined ? l.pop() : l.splice(i < 0 ? l.length + i : i, 1)[0]),
  insert: (l, i: number, x) => {
    l.splice(i, 0, x);
    return null;
  },
  remove: (l, x) => {
    const i = l.indexOf(x);
    if (i >= 0) l.splice(i, 1);
    return null;
  },
  index: (l, x) => l.indexOf(x),
  count: (l, x) => l.filter((y) => y === x).length,
  reverse: (l) => {
    l.reverse();
    return null;
  },
  sort: (l, ...args: unknown[]) => {
    const [, kw] = splitKwargs(args);
    l.sort(pyCompare);
    if (kw?.reverse) l.reverse();
    return null;
  },
  copy: (l) => [...l],
  clear: (l) => {
    l.length = 0;
    return null;
  },
};

export function pyCompare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = pyCompare(a[i], b[i]);
      if (c) return c;
    }
    return a.length - b.length;
  }
  const x = pythonStr(a);
  const y = pythonStr(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const own = (d: object, k: string) => Object.prototype.hasOwnProperty.call(d, k);

/** Methods of Python sets (kiln's sets are marked arrays; see makeSet). */
const has = (xs: unknown[], v: unknown) => xs.some((w) => pyEq(v, w));
export const setMethods: Record<string, (s: unknown[], ...a: any[]) => unknown> = {
  add: (s, v) => {
    if (!has(s, v)) s.push(v);
    return null;
  },
  update: (s, ...others: unknown[]) => {
    for (const o of others) for (const v of iterate(o)) if (!has(s, v)) s.push(v);
    return null;
  },
  discard: (s, v) => {
    const i = s.findIndex((w) => pyEq(v, w));
    if (i >= 0) s.splice(i, 1);
    return null;
  },
  union: (s, ...others: unknown[]) => {
    const out = [...s];
    for (const o of others) for (const v of iterate(o)) if (!has(out, v)) out.push(v);
    return makeSet(out);
  },
  intersection: (s, o: unknown) => makeSet(s.filter((v) => has(iterate(o), v))),
  difference: (s, o: unknown) => makeSet(s.filter((v) => !has(iterate(o), v))),
  symmetric_difference: (s, o: unknown) => makeSet([...s.filter((v) => !has(iterate(o), v)), ...iterate(o).filter((v) => !has(s, v))]),
  issubset: (s, o: unknown) => s.every((v) => has(iterate(o), v)),
  issuperset: (s, o: unknown) => iterate(o).every((v) => has(s, v)),
  isdisjoint: (s, o: unknown) => !s.some((v) => has(iterate(o), v)),
  copy: (s) => makeSet([...s]),
};

export const dictMethods: Record<string, (d: Record<string, unknown>, ...a: any[]) => unknown> = {
  items: (d) => Object.entries(d).filter(([k]) => k !== '__keywords').map((e) => makeTuple(e)),
  keys: (d) => Object.keys(d).filter((k) => k !== '__keywords'),
  values: (d) => Object.entries(d).filter(([k]) => k !== '__keywords').map(([, v]) => v),
  get: (d, k: string, dflt: unknown = null) => (own(d, k) ? d[k] : dflt),
  update: (d, ...args: unknown[]) => {
    const [pos, kw] = splitKwargs(args);
    for (const o of pos) if (o && typeof o === 'object') Object.assign(d, o);
    if (kw) Object.assign(d, kw);
    delete d.__keywords;
    return null;
  },
  pop: (d, k: string, dflt: unknown = null) => {
    const v = own(d, k) ? d[k] : dflt;
    delete d[k];
    return v;
  },
  setdefault: (d, k: string, v: unknown = null) => {
    if (!own(d, k)) d[k] = v;
    return d[k];
  },
  copy: (d) => ({ ...d }),
  clear: (d) => {
    for (const k of Object.keys(d)) delete d[k];
    return null;
  },
};

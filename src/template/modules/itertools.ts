/**
 * Python's `itertools` for dbt templates. Python's functions return lazy iterators; the engine
 * wants materialised values, so each returns a list (of tuples where Python yields tuples), and
 * groupby yields `(key, list)` pairs instead of `(key, grouper)`. The unbounded iterators
 * (count, cycle, repeat without a count) raise rather than never finishing.
 */
import { asNumber, bindArgs, callable, isFloat, isTuple, iterate, makeTuple, pyEq, toInt, truthy, typeError, typeName, valueError } from './py.js';

type Fn = (...a: unknown[]) => unknown;

/** Python's `a + b` for the values accumulate() sums: numbers, strings, lists, tuples, host values. */
function pyAdd(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) return isTuple(a) ? makeTuple([...a, ...b]) : [...a, ...b];
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) {
    if (typeof a === 'bigint' || typeof b === 'bigint') {
      if (!isFloat(a) && !isFloat(b)) return BigInt(a as number) + BigInt(b as number);
    }
    return x + y;
  }
  const viaHook = (o: unknown, hook: string, other: unknown) => {
    const f = o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[hook] : undefined;
    return typeof f === 'function' ? (f as Fn).call(o, other) : undefined;
  };
  const r = viaHook(a, '__add__', b) ?? viaHook(b, '__radd__', a);
  if (r !== undefined) return r;
  throw typeError(`unsupported operand type(s) for +: '${typeName(a)}' and '${typeName(b)}'`);
}

/** A non-negative length argument (r of combinations and permutations). */
function length(v: unknown, what: string): number {
  const n = toInt(v);
  if (n < 0) throw valueError(`${what} must be non-negative`);
  return n;
}

/** r-length tuples of `pool` indices in lexicographic order; `next` picks where each position may start. */
function choose(pool: unknown[], r: number, next: (i: number) => number): unknown[][] {
  const out: unknown[][] = [];
  const walk = (start: number, acc: unknown[]) => {
    if (acc.length === r) return void out.push(makeTuple([...acc]));
    for (let i = start; i < pool.length; i++) walk(next(i), [...acc, pool[i]]);
  };
  walk(0, []);
  return out;
}

function combinations(...args: unknown[]): unknown[][] {
  const a = bindArgs('combinations', args, ['iterable', 'r'], 2);
  return choose(iterate(a.iterable), length(a.r, 'r'), (i) => i + 1);
}

function combinationsWithReplacement(...args: unknown[]): unknown[][] {
  const a = bindArgs('combinations_with_replacement', args, ['iterable', 'r'], 2);
  return choose(iterate(a.iterable), length(a.r, 'r'), (i) => i);
}

function permutations(...args: unknown[]): unknown[][] {
  const a = bindArgs('permutations', args, ['iterable', 'r'], 1);
  const pool = iterate(a.iterable);
  const r = a.r === undefined || a.r === null ? pool.length : length(a.r, 'r');
  const out: unknown[][] = [];
  const used: boolean[] = [];
  const walk = (acc: unknown[]) => {
    if (acc.length === r) return void out.push(makeTuple([...acc]));
    pool.forEach((v, i) => {
      if (used[i]) return;
      used[i] = true;
      walk([...acc, v]);
      used[i] = false;
    });
  };
  if (r <= pool.length) walk([]);
  return out;
}

/** `product(*iterables, repeat=1)`: the cartesian product, as tuples. */
function product(...args: unknown[]): unknown[][] {
  const { iterables, repeat } = splitStar(args, 'product', ['repeat']);
  const n = repeat === undefined ? 1 : toInt(repeat);
  if (n < 0) throw valueError('repeat argument cannot be negative');
  const pools = Array.from({ length: n }, () => iterables.map((p) => iterate(p))).flat();
  return pools.reduce<unknown[][]>((acc, pool) => acc.flatMap((t) => pool.map((v) => [...t, v])), [[]]).map((t) => makeTuple(t));
}

/** Positional arguments (Python's *args) and the named keyword-only ones. */
function splitStar(args: unknown[], fname: string, kwOnly: string[]): { iterables: unknown[] } & Record<string, unknown> {
  const last = args[args.length - 1];
  const hasKw = last !== null && typeof last === 'object' && Object.prototype.hasOwnProperty.call(last, '__keywords');
  const iterables = hasKw ? args.slice(0, -1) : args;
  const kw = hasKw ? bindArgs(fname, [last], [], 0, kwOnly) : {};
  return { ...kw, iterables };
}

/** `islice(iterable, stop)` or `islice(iterable, start, stop[, step])`, None meaning the default. */
function islice(iterable: unknown, ...bounds: unknown[]): unknown[] {
  const items = iterate(iterable);
  const [start, stop, step] = bounds.length === 1 ? [null, bounds[0], null] : [bounds[0], bounds[1], bounds[2]];
  const index = (v: unknown, dflt: number, what: string) => {
    if (v === null || v === undefined) return dflt;
    const n = asNumber(v);
    if (n === undefined || isFloat(v) || n < 0) throw valueError(`${what} argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.`);
    return n;
  };
  const from = index(start, 0, 'Indices');
  const to = Math.min(index(stop, items.length, bounds.length === 1 ? 'Stop' : 'Indices'), items.length);
  const by = step === null || step === undefined ? 1 : asNumber(step);
  if (by === undefined || isFloat(step) || by < 1) throw valueError('Step for islice() must be a positive integer or None.');
  const out: unknown[] = [];
  for (let i = from; i < to; i += by) out.push(items[i]);
  return out;
}

/** `accumulate(iterable, func=None, *, initial=None)`: running totals (or running func results). */
function accumulate(...args: unknown[]): unknown[] {
  const a = bindArgs('accumulate', args, ['iterable', 'func'], 1, ['initial']);
  const func = a.func === undefined || a.func === null ? pyAdd : callable(a.func);
  const out: unknown[] = a.initial === undefined || a.initial === null ? [] : [a.initial];
  for (const v of iterate(a.iterable)) out.push(out.length ? func(out[out.length - 1], v) : v);
  return out;
}

/** `groupby(iterable, key=None)`: consecutive runs with equal keys, as (key, list) tuples. */
function groupby(...args: unknown[]): unknown[][] {
  const a = bindArgs('groupby', args, ['iterable', 'key'], 1);
  const key = a.key === undefined || a.key === null ? (v: unknown) => v : callable(a.key);
  const out: unknown[][] = [];
  let current: { key: unknown; items: unknown[] } | undefined;
  for (const v of iterate(a.iterable)) {
    const k = key(v);
    if (current && pyEq(current.key, k)) current.items.push(v);
    else out.push(makeTuple([k, (current = { key: k, items: [v] }).items]));
  }
  return out;
}

/** `zip_longest(*iterables, fillvalue=None)`. */
function zipLongest(...args: unknown[]): unknown[][] {
  const { iterables, fillvalue = null } = splitStar(args, 'zip_longest', ['fillvalue']);
  const lists = iterables.map((l) => iterate(l));
  const n = Math.max(0, ...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => makeTuple(lists.map((l) => (i < l.length ? l[i] : fillvalue))));
}

/** A predicate argument; None means the item's own truth (filterfalse). */
const predicate = (f: unknown): Fn => (f === null || f === undefined ? (v) => v : callable(f));

const unbounded = (name: string) => () => {
  throw typeError(`itertools.${name}() never ends, and kiln materialises iterators; use range() or a count instead`);
};

const chain = Object.assign((...iterables: unknown[]) => iterables.flatMap((s) => iterate(s)), {
  from_iterable: (iterables: unknown) => iterate(iterables).flatMap((s) => iterate(s)),
});

export const itertoolsModule = {
  chain,
  product,
  combinations,
  combinations_with_replacement: combinationsWithReplacement,
  permutations,
  islice,
  accumulate,
  groupby,
  zip_longest: zipLongest,
  /** `repeat(object, times)`; without a count it would never end. */
  repeat: (...args: unknown[]) => {
    const a = bindArgs('repeat', args, ['object', 'times'], 1);
    if (a.times === undefined) return unbounded('repeat')();
    return Array.from({ length: Math.max(0, toInt(a.times)) }, () => a.object);
  },
  /** `cycle(iterable)` ends only for an empty iterable. */
  cycle: (iterable: unknown) => (iterate(iterable).length === 0 ? [] : unbounded('cycle')()),
  count: unbounded('count'),
  starmap: (func: unknown, iterable: unknown) => {
    const f = callable(func);
    return iterate(iterable).map((args) => f(...iterate(args)));
  },
  takewhile: (pred: unknown, iterable: unknown) => {
    const f = callable(pred);
    const items = iterate(iterable);
    const stop = items.findIndex((v) => !truthy(f(v)));
    return stop < 0 ? [...items] : items.slice(0, stop);
  },
  dropwhile: (pred: unknown, iterable: unknown) => {
    const f = callable(pred);
    const items = iterate(iterable);
    const start = items.findIndex((v) => !truthy(f(v)));
    return start < 0 ? [] : items.slice(start);
  },
  filterfalse: (pred: unknown, iterable: unknown) => {
    const f = predicate(pred);
    return iterate(iterable).filter((v) => !truthy(f(v)));
  },
  compress: (data: unknown, selectors: unknown) => {
    const s = iterate(selectors);
    return iterate(data).filter((_, i) => i < s.length && truthy(s[i]));
  },
  pairwise: (iterable: unknown) => {
    const items = iterate(iterable);
    return items.slice(1).map((v, i) => makeTuple([items[i], v]));
  },
  /** `tee(iterable, n=2)`: n independent copies, as a tuple of lists. */
  tee: (iterable: unknown, n: unknown = 2) => {
    const items = iterate(iterable);
    return makeTuple(Array.from({ length: length(n, 'n') }, () => [...items]));
  },
};

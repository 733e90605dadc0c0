/**
 * Python's `itertools` for dbt templates.
 *
 * Python's functions return iterators, which a template can read once. Here a function whose
 * inputs are finite reads them at once and returns the engine's PyIterator (read once, then
 * empty). The endless ones (`count()`, `cycle()`, `repeat(x)`), and anything built on them,
 * are LazyIterators that other itertools functions read an item at a time, so that
 * `islice(count(), 5)` works; the engine reads iterators whole, so looping over an endless
 * one raises instead of running forever. groupby yields `(key, list)` pairs.
 */
import {
  asNumber,
  bindArgs,
  callable,
  floatResult,
  isFloat,
  isTuple,
  iterate,
  makeTuple,
  pyEq,
  pyError,
  PyIterator,
  toInt,
  truthy,
  typeError,
  typeName,
  valueError,
} from './py.js';

type Fn = (...a: unknown[]) => unknown;

/** How many items reading an endless iterator whole may take before kiln gives up. */
const READ_LIMIT = 1_000_000;

/** An iterator that may never end: read an item at a time by itertools, whole (up to a limit) by the engine. */
export class LazyIterator {
  constructor(
    private readonly _kind: string,
    readonly _source: Iterator<unknown>,
  ) {
    Object.freeze(this);
  }

  get __class_name__(): string {
    return this._kind;
  }

  /** The engine's protocol for loops that read an item at a time (`{% for i in count() %}` with a break). */
  __lazy__(): Iterator<unknown> {
    return this._source;
  }

  /** The engine's protocol: all the (remaining) items. */
  __iter__(): unknown[] {
    const out: unknown[] = [];
    for (let r = this._source.next(); !r.done; r = this._source.next()) {
      if (out.length >= READ_LIMIT)
        throw pyError(
          'OverflowError',
          `kiln reads iterators whole, and this ${this._kind}() does not end: take a finite part with islice()`,
        );
      out.push(r.value);
    }
    return out;
  }

  __repr__(): string {
    return `<${this._kind} object>`;
  }
}

/**
 * Reads an iterable argument an item at a time; a LazyIterator is read in place, as Python shares an iterator's state.
 */
export function source(v: unknown): Iterator<unknown> {
  return v instanceof LazyIterator ? v._source : iterate(v)[Symbol.iterator]();
}

/** Every item of a source, for loops that must not close a shared iterator (a for...of `break` would). */
function* each(src: Iterator<unknown>): Generator<unknown> {
  for (let r = src.next(); !r.done; r = src.next()) yield r.value;
}

const endless = (...vs: unknown[]) => vs.some((v) => v instanceof LazyIterator);

/** The result of an itertools function: read now into a PyIterator, or lazily if it may not end. */
function result(kind: string, items: Iterator<unknown>, lazy: boolean): PyIterator | LazyIterator {
  return lazy ? new LazyIterator(`itertools.${kind}`, items) : new PyIterator([...each(items)], `itertools.${kind}`);
}

/** All items of an argument that a Python function reads whole first (product, combinations...). */
function wholly(v: unknown): unknown[] {
  return v instanceof LazyIterator ? v.__iter__() : iterate(v);
}

/** Python's `a + b` for the values accumulate() and count() add: numbers, strings, lists, tuples, host values. */
function pyAdd(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    const items: unknown[] = [...(a as unknown[]), ...(b as unknown[])];
    return isTuple(a) ? makeTuple(items) : items;
  }
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) {
    if (isFloat(a) || isFloat(b)) return floatResult(x + y);
    return typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a as number) + BigInt(b as number) : x + y;
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

/** r-length tuples of `pool` items in lexicographic order; `next` picks where the following position may start. */
function* choose(pool: unknown[], r: number, next: (i: number) => number): Generator<unknown[]> {
  const walk = function* (start: number, acc: unknown[]): Generator<unknown[]> {
    if (acc.length === r) {
      yield makeTuple([...acc]);
      return;
    }
    for (let i = start; i < pool.length; i++) yield* walk(next(i), [...acc, pool[i]]);
  };
  yield* walk(0, []);
}

function combinations(...args: unknown[]): PyIterator | LazyIterator {
  const a = bindArgs('combinations', args, ['iterable', 'r'], 2);
  return result(
    'combinations',
    choose(wholly(a.iterable), length(a.r, 'r'), (i) => i + 1),
    false,
  );
}

function combinationsWithReplacement(...args: unknown[]): PyIterator | LazyIterator {
  const a = bindArgs('combinations_with_replacement', args, ['iterable', 'r'], 2);
  return result(
    'combinations_with_replacement',
    choose(wholly(a.iterable), length(a.r, 'r'), (i) => i),
    false,
  );
}

function* arrangements(pool: unknown[], r: number): Generator<unknown[]> {
  const used: boolean[] = [];
  const walk = function* (acc: unknown[]): Generator<unknown[]> {
    if (acc.length === r) {
      yield makeTuple([...acc]);
      return;
    }
    for (let i = 0; i < pool.length; i++) {
      if (used[i]) continue;
      used[i] = true;
      yield* walk([...acc, pool[i]]);
      used[i] = false;
    }
  };
  if (r <= pool.length) yield* walk([]);
}

function permutations(...args: unknown[]): PyIterator | LazyIterator {
  const a = bindArgs('permutations', args, ['iterable', 'r'], 1);
  const pool = wholly(a.iterable);
  const r = a.r === undefined || a.r === null ? pool.length : length(a.r, 'r');
  return result('permutations', arrangements(pool, r), false);
}

/** Positional arguments (Python's *args) and the named keyword-only ones. */
function splitStar(
  args: unknown[],
  fname: string,
  kwOnly: string[],
): { iterables: unknown[] } & Record<string, unknown> {
  const last = args[args.length - 1];
  const hasKw = last !== null && typeof last === 'object' && Object.prototype.hasOwnProperty.call(last, '__keywords');
  const iterables = hasKw ? args.slice(0, -1) : args;
  const kw = hasKw ? bindArgs(fname, [last], [], 0, kwOnly) : {};
  return { ...kw, iterables };
}

/** `product(*iterables, repeat=1)`: the cartesian product, as tuples. */
function product(...args: unknown[]): PyIterator | LazyIterator {
  const { iterables, repeat } = splitStar(args, 'product', ['repeat']);
  const n = repeat === undefined ? 1 : toInt(repeat);
  if (n < 0) throw valueError('repeat argument cannot be negative');
  const pools = iterables.map(wholly);
  const all = Array.from({ length: n }, () => pools).flat();
  const tuples = all.reduce<unknown[][]>((acc, pool) => acc.flatMap((t) => pool.map((v) => [...t, v])), [[]]);
  return result('product', tuples.map((t) => makeTuple(t))[Symbol.iterator](), false);
}

/** `islice(iterable, stop)` or `islice(iterable, start, stop[, step])`, None meaning the default. */
function islice(iterable: unknown, ...bounds: unknown[]): PyIterator | LazyIterator {
  const [start, stop, step] = bounds.length === 1 ? [null, bounds[0], null] : [bounds[0], bounds[1], bounds[2]];
  const index = (v: unknown, what: string) => {
    if (v === null || v === undefined) return undefined;
    const n = asNumber(v);
    if (n === undefined || isFloat(v) || n < 0)
      throw valueError(`${what} argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.`);
    return n;
  };
  const from = index(start, 'Indices') ?? 0;
  const to = index(stop, bounds.length === 1 ? 'Stop' : 'Indices');
  const by = step === null || step === undefined ? 1 : asNumber(step);
  if (by === undefined || isFloat(step) || by < 1)
    throw valueError('Step for islice() must be a positive integer or None.');
  const src = source(iterable);
  // Reads as far as Python does, which shows when the iterator is read again: up to the start,
  // then up to each next index, but never past the stop.
  const items = function* () {
    for (let read = 0, next = from; ; next = to === undefined ? next + by : Math.min(next + by, to)) {
      for (; read < next; read++) if (src.next().done) return;
      if (to !== undefined && read >= to) return;
      const r = src.next();
      if (r.done) return;
      read++;
      yield r.value;
    }
  };
  return result('islice', items(), to === undefined && endless(iterable));
}

/** `accumulate(iterable, func=None, *, initial=None)`: running totals (or running func results). */
function accumulate(...args: unknown[]): PyIterator | LazyIterator {
  const a = bindArgs('accumulate', args, ['iterable', 'func'], 1, ['initial']);
  const func = a.func === undefined || a.func === null ? pyAdd : callable(a.func);
  const src = source(a.iterable);
  const items = function* () {
    let started = a.initial !== undefined && a.initial !== null;
    let total = a.initial;
    if (started) yield total;
    for (const v of each(src)) {
      total = started ? func(total, v) : v;
      started = true;
      yield total;
    }
  };
  return result('accumulate', items(), endless(a.iterable));
}

/** `groupby(iterable, key=None)`: consecutive runs with equal keys, as (key, list) tuples. */
function groupby(...args: unknown[]): PyIterator | LazyIterator {
  const a = bindArgs('groupby', args, ['iterable', 'key'], 1);
  const key = a.key === undefined || a.key === null ? (v: unknown) => v : callable(a.key);
  const out: unknown[][] = [];
  let current: { key: unknown; items: unknown[] } | undefined;
  for (const v of wholly(a.iterable)) {
    const k = key(v);
    if (current && pyEq(current.key, k)) current.items.push(v);
    else out.push(makeTuple([k, (current = { key: k, items: [v] }).items]));
  }
  return result('groupby', out[Symbol.iterator](), false);
}

/** `zip_longest(*iterables, fillvalue=None)`: tuples until every iterable is exhausted. */
function zipLongest(...args: unknown[]): PyIterator | LazyIterator {
  const { iterables, fillvalue = null } = splitStar(args, 'zip_longest', ['fillvalue']);
  const sources = iterables.map(source);
  const items = function* () {
    const done = sources.map(() => false);
    for (;;) {
      const row = sources.map((s, i) => {
        const r = done[i] ? undefined : s.next();
        if (!r || r.done) return ((done[i] = true), fillvalue);
        return r.value;
      });
      if (done.every(Boolean)) return;
      yield makeTuple(row);
    }
  };
  return result('zip_longest', items(), endless(...iterables));
}

/** `count(start=0, step=1)`: start, start + step, ... for ever. */
function count(...args: unknown[]): LazyIterator {
  const a = bindArgs('count', args, ['start', 'step']);
  const start = a.start === undefined ? 0 : a.start;
  const step = a.step === undefined ? 1 : a.step;
  if (asNumber(start) === undefined || asNumber(step) === undefined) throw typeError('a number is required');
  const items = function* () {
    for (let n: unknown = start; ; n = pyAdd(n, step)) yield n;
  };
  return new LazyIterator('itertools.count', items());
}

/** `cycle(iterable)`: its items again and again (nothing, for an empty iterable). */
function cycle(iterable: unknown): PyIterator | LazyIterator {
  const src = source(iterable);
  const saved: unknown[] = [];
  const items = function* () {
    for (const v of each(src)) {
      saved.push(v);
      yield v;
    }
    while (saved.length) yield* saved;
  };
  if (!endless(iterable)) {
    for (const v of each(src)) saved.push(v);
    if (saved.length === 0) return new PyIterator([], 'itertools.cycle');
  }
  return new LazyIterator('itertools.cycle', items());
}

/** `repeat(object, times=None)`: endless without a count. */
function repeat(...args: unknown[]): PyIterator | LazyIterator {
  const a = bindArgs('repeat', args, ['object', 'times'], 1);
  if (a.times === undefined) {
    const items = function* () {
      for (;;) yield a.object;
    };
    return new LazyIterator('itertools.repeat', items());
  }
  return new PyIterator(
    Array.from({ length: Math.max(0, toInt(a.times)) }, () => a.object),
    'itertools.repeat',
  );
}

/** `tee(iterable, n=2)`: n iterators over the same items, sharing what they have read. */
function tee(iterable: unknown, n: unknown = 2): unknown[] {
  const src = source(iterable);
  const buffer: unknown[] = [];
  const reader = function* () {
    for (let i = 0; ; i++) {
      if (i === buffer.length) {
        const r = src.next();
        if (r.done) return;
        buffer.push(r.value);
      }
      yield buffer[i];
    }
  };
  return makeTuple(Array.from({ length: length(n, 'n') }, () => result('_tee', reader(), endless(iterable))));
}

/** A function of each item, lazily: starmap, takewhile, dropwhile, filterfalse, compress, pairwise. */
function mapped(
  kind: string,
  iterable: unknown,
  step: (src: Iterator<unknown>) => Generator<unknown>,
): PyIterator | LazyIterator {
  return result(kind, step(source(iterable)), endless(iterable));
}

/** A predicate argument; None means the item's own truth (filterfalse). */
const predicate = (f: unknown): Fn => (f === null || f === undefined ? (v) => v : callable(f));

const chain = Object.assign(
  (...iterables: unknown[]) => {
    const sources = iterables.map(source);
    const items = function* () {
      for (const s of sources) yield* each(s);
    };
    return result('chain', items(), endless(...iterables));
  },
  {
    /** `chain.from_iterable(iterables)`: the iterables' items, one iterable after another. */
    from_iterable: (iterables: unknown) => {
      const outer = source(iterables);
      const items = function* () {
        for (const it of each(outer)) yield* each(source(it));
      };
      return result('chain', items(), endless(iterables));
    },
  },
);

/** Everything kiln implements; dbt exposes only some of it to templates (see index.ts). */
export const itertoolsModule = {
  count,
  cycle,
  repeat,
  accumulate,
  chain,
  compress: (data: unknown, selectors: unknown) => {
    const sel = source(selectors);
    const items = function* (src: Iterator<unknown>) {
      for (const v of each(src)) {
        const s = sel.next();
        if (s.done) return;
        if (truthy(s.value)) yield v;
      }
    };
    return result('compress', items(source(data)), endless(data) && endless(selectors));
  },
  islice,
  starmap: (func: unknown, iterable: unknown) => {
    const f = callable(func);
    return mapped('starmap', iterable, function* (src) {
      for (const args of each(src)) yield f(...iterate(args));
    });
  },
  tee,
  zip_longest: zipLongest,
  product,
  permutations,
  combinations,
  combinations_with_replacement: combinationsWithReplacement,
  groupby,
  takewhile: (pred: unknown, iterable: unknown) => {
    const f = callable(pred);
    return mapped('takewhile', iterable, function* (src) {
      for (const v of each(src)) {
        if (!truthy(f(v))) return;
        yield v;
      }
    });
  },
  dropwhile: (pred: unknown, iterable: unknown) => {
    const f = callable(pred);
    return mapped('dropwhile', iterable, function* (src) {
      let dropping = true;
      for (const v of each(src)) {
        if (dropping && truthy(f(v))) continue;
        dropping = false;
        yield v;
      }
    });
  },
  filterfalse: (pred: unknown, iterable: unknown) => {
    const f = predicate(pred);
    return mapped('filterfalse', iterable, function* (src) {
      for (const v of each(src)) if (!truthy(f(v))) yield v;
    });
  },
  pairwise: (iterable: unknown) =>
    mapped('pairwise', iterable, function* (src) {
      let first = true;
      let previous: unknown;
      for (const v of each(src)) {
        if (!first) yield makeTuple([previous, v]);
        first = false;
        previous = v;
      }
    }),
};

/** Python's `itertools` for dbt macros, eagerly: each function returns a list. */
import { iterate, splitKwargs } from '../python-methods.js';

function combinations(seq: unknown, r: number): unknown[][] {
  const items = iterate(seq);
  const out: unknown[][] = [];
  const pick = (start: number, acc: unknown[]) => {
    if (acc.length === r) return void out.push([...acc]);
    for (let i = start; i < items.length; i++) pick(i + 1, [...acc, items[i]]);
  };
  pick(0, []);
  return out;
}

function permutations(seq: unknown, r?: number): unknown[][] {
  const items = iterate(seq);
  const n = r ?? items.length;
  const out: unknown[][] = [];
  const pick = (used: boolean[], acc: unknown[]) => {
    if (acc.length === n) return void out.push([...acc]);
    items.forEach((v, i) => {
      if (used[i]) return;
      used[i] = true;
      pick(used, [...acc, v]);
      used[i] = false;
    });
  };
  pick([], []);
  return out;
}

function product(...args: unknown[]): unknown[][] {
  const [pos, kw] = splitKwargs(args);
  const repeat = Number(kw?.repeat ?? 1);
  const pools: unknown[][] = [];
  for (let i = 0; i < repeat; i++) for (const p of pos) pools.push(iterate(p));
  return pools.reduce<unknown[][]>((acc, pool) => acc.flatMap((a) => pool.map((v) => [...a, v])), [[]]);
}

export const itertoolsModule = {
  chain: (...seqs: unknown[]) => seqs.flatMap((s) => iterate(s)),
  product,
  combinations,
  permutations,
  islice: (seq: unknown, a: number, b?: number) => (b === undefined ? iterate(seq).slice(0, a) : iterate(seq).slice(a, b)),
  repeat: (v: unknown, n: number) => Array.from({ length: n }, () => v),
  accumulate: (seq: unknown) => {
    let total: number | undefined;
    return iterate(seq).map((v) => (total = total === undefined ? Number(v) : total + Number(v)));
  },
  zip_longest: (...seqs: unknown[]) => {
    const lists = seqs.map(iterate);
    const n = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i] ?? null));
  },
};

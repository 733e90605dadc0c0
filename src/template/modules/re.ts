/**
 * Python's `re` for dbt macros, on JavaScript regular expressions. Python-only syntax
 * (`(?P<name>...)`, `\A`, `\Z`) is translated; flags are re.I, re.M, re.S.
 */
import { splitKwargs } from '../python-methods.js';

const IGNORECASE = 2;
const MULTILINE = 8;
const DOTALL = 16;

function toJs(pattern: unknown, flags: number, global: boolean): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.replace('g', '') + (global ? 'g' : ''));
  const source = String(pattern).replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>').replace(/\\A/g, '^').replace(/\\Z/g, '$');
  return new RegExp(source, (flags & IGNORECASE ? 'i' : '') + (flags & MULTILINE ? 'm' : '') + (flags & DOTALL ? 's' : '') + (global ? 'g' : ''));
}

export class PyMatch {
  constructor(readonly m: RegExpExecArray) {}
  group(i: number | string = 0): string | null {
    const v = typeof i === 'number' ? this.m[i] : this.m.groups?.[i];
    return v ?? null;
  }
  groups(): Array<string | null> {
    return this.m.slice(1).map((v) => v ?? null);
  }
  groupdict(): Record<string, string | null> {
    return { ...(this.m.groups ?? {}) };
  }
  start(): number {
    return this.m.index;
  }
  end(): number {
    return this.m.index + this.m[0].length;
  }
  toString(): string {
    return `<re.Match object; match='${this.m[0]}'>`;
  }
}

const flagsOf = (args: unknown[], i: number) => {
  const [pos, kw] = splitKwargs(args);
  return Number(kw?.flags ?? pos[i] ?? 0);
};

function pySub(pattern: unknown, repl: unknown, text: unknown, ...rest: unknown[]): string {
  const [pos, kw] = splitKwargs(rest);
  const count = Number(kw?.count ?? pos[0] ?? 0);
  const re = toJs(pattern, Number(kw?.flags ?? pos[1] ?? 0), true);
  let n = 0;
  return String(text).replace(re, (...m: unknown[]) => {
    if (count && n >= count) return m[0] as string;
    n++;
    if (typeof repl === 'function') return String(repl(new PyMatch(Object.assign([...(m.slice(0, -2) as string[])], { index: m[m.length - 2] as number, input: String(text) }) as unknown as RegExpExecArray)));
    const groups = m as string[];
    return String(repl).replace(/\\(\d+)|\\g<(\w+)>/g, (_x, d: string, g: string) => (d !== undefined ? (groups[Number(d)] ?? '') : /^\d+$/.test(g) ? (groups[Number(g)] ?? '') : ((m[m.length - 1] as Record<string, string>)?.[g] ?? '')));
  });
}

export const reModule = {
  IGNORECASE,
  I: IGNORECASE,
  MULTILINE,
  M: MULTILINE,
  DOTALL,
  S: DOTALL,
  compile: (pattern: string, ...args: unknown[]) => {
    const flags = flagsOf(args, 0);
    return {
      pattern,
      match: (s: string) => reModule.match(pattern, s, flags),
      search: (s: string) => reModule.search(pattern, s, flags),
      fullmatch: (s: string) => reModule.fullmatch(pattern, s, flags),
      findall: (s: string) => reModule.findall(pattern, s, flags),
      sub: (repl: unknown, s: string, ...rest: unknown[]) => pySub(pattern, repl, s, ...rest),
      split: (s: string) => reModule.split(pattern, s, flags),
    };
  },
  match: (pattern: unknown, s: unknown, ...args: unknown[]) => {
    const re = toJs(pattern, flagsOf(args, 0), false);
    const m = new RegExp(`^(?:${re.source})`, re.flags).exec(String(s));
    return m ? new PyMatch(m) : null;
  },
  fullmatch: (pattern: unknown, s: unknown, ...args: unknown[]) => {
    const re = toJs(pattern, flagsOf(args, 0), false);
    const m = new RegExp(`^(?:${re.source})$`, re.flags).exec(String(s));
    return m ? new PyMatch(m) : null;
  },
  search: (pattern: unknown, s: unknown, ...args: unknown[]) => {
    const m = toJs(pattern, flagsOf(args, 0), false).exec(String(s));
    return m ? new PyMatch(m) : null;
  },
  findall: (pattern: unknown, s: unknown, ...args: unknown[]) => {
    const out: unknown[] = [];
    for (const m of String(s).matchAll(toJs(pattern, flagsOf(args, 0), true))) out.push(m.length > 2 ? m.slice(1) : m.length === 2 ? m[1] : m[0]);
    return out;
  },
  split: (pattern: unknown, s: unknown, ...args: unknown[]) => String(s).split(toJs(pattern, flagsOf(args, 1), false)),
  sub: pySub,
  escape: (s: string) => String(s).replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'),
};

/**
 * Turns a syntax tree into closures: each expression becomes `(frame) => value`, each
 * statement `(frame, out) => void`. No JavaScript source is generated, so a template can
 * never inject code; every lookup and call goes through attributes.ts and runtime.ts.
 * Scoping is Jinja2's: `for` iterations, macros, call blocks, `with` and set blocks get
 * their own scope; `if` does not.
 */
import type { Expr, Stmt, Target, CallArgs, MacroDef } from './nodes.js';
import { TemplateSyntaxError } from './lexer.js';
import { getattr, getitem } from './attributes.js';
import { binary, negate, plus } from './numbers.js';
import { pyCompareOp } from './compare.js';
import { pyStr } from './repr.js';
import {
  Frame,
  LoopContext,
  MacroReturn,
  Namespace,
  callValue,
  loopBreak,
  loopContinue,
  makeMacro,
  noteErrorSite,
  type MacroFlags,
  type MacroSpec,
} from './runtime.js';
import {
  JinjaError,
  PyFloat,
  PyRange,
  Undefined,
  typeName,
  dictKeys,
  dictSet,
  isDict,
  isInt,
  isTuple,
  iterate,
  makeTuple,
  toNumber,
  truthy,
  typeError,
  valueError,
  type Kwargs,
} from './values.js';
import type { Filter, Test } from './render-env.js';
import { emit, type Output } from './source-lines.js';

type Eval = (frame: Frame) => unknown;
type Exec = (frame: Frame, out: Output) => void;

export interface CompileOptions {
  file: string;
  filters: Record<string, Filter>;
  tests: Record<string, Test>;
  /**
   * Compile each macro's body on its first call, not now: for macro files known to compile (kiln's own, of which a
   * process registers hundreds and calls a few). What compiling finds wrong (`{% for loop in ... %}`) then shows at the
   * first call.
   */
  macroBodiesOnCall?: boolean;
}

export function compileBody(body: Stmt[], opts: CompileOptions): Exec {
  return new Compiler(opts).block(body);
}

class Compiler {
  constructor(private readonly opts: CompileOptions) {}

  block(stmts: Stmt[]): Exec {
    const parts = stmts.map((s) => this.located(s));
    if (parts.length === 1) return parts[0]!;
    return (frame, out) => {
      for (let i = 0; i < parts.length; i++) parts[i]!(frame, out);
    };
  }

  /** `block(stmts)`, compiled when first run. */
  private blockOnFirstRun(stmts: Stmt[]): Exec {
    let run: Exec | undefined;
    return (frame, out) => (run ??= this.block(stmts))(frame, out);
  }

  /** A statement whose errors carry its file and line. */
  private located(s: Stmt): Exec {
    const run = this.stmt(s);
    if (s.kind === 'output') return run;
    const { file } = this.opts;
    return (frame, out) => {
      try {
        run(frame, out);
      } catch (e) {
        noteErrorSite(e, file, s.line);
        throw e;
      }
    };
  }

  private stmt(s: Stmt): Exec {
    switch (s.kind) {
      case 'output': {
        const { text, line } = s;
        return (_f, out) => emit(out, text, line, true);
      }
      case 'print': {
        const e = this.expr(s.expr);
        const { line } = s;
        return (f, out) => emit(out, pyStr(e(f)), line, false);
      }
      case 'if': {
        const branches = s.branches.map((b) => [this.expr(b.test), this.block(b.body)] as const);
        const otherwise = this.block(s.otherwise);
        return (f, out) => {
          for (const [test, body] of branches) if (truthy(test(f))) return body(f, out);
          otherwise(f, out);
        };
      }
      case 'for':
        return this.forLoop(s);
      case 'set': {
        const value = this.expr(s.value);
        const assign = this.assigner(s.target);
        return (f) => assign(f, value(f));
      }
      case 'setblock': {
        const body = this.block(s.body);
        const filters = s.filters.map((x) => this.filterChain(x));
        const assign = this.assigner(s.target);
        return (f) => {
          const buf: string[] = [];
          body(f.child(), buf);
          let value: unknown = buf.join('');
          for (const apply of filters) value = apply(f, value);
          assign(f, value);
        };
      }
      case 'macro': {
        const spec = this.macroSpec(s.macro);
        const name = s.macro.name;
        return (f) => f.set(name, makeMacro(spec, f));
      }
      case 'callblock': {
        const caller = this.macroSpec(s.caller);
        const call = s.call as Extract<Expr, { kind: 'call' }>;
        const fn = this.expr(call.fn);
        const args = this.callArgs(call.args);
        return (f, out) => {
          const [pos, kw] = args(f);
          const withCaller: Record<string, unknown> = kw ? { ...kw } : {};
          withCaller.caller = makeMacro(caller, f);
          emit(out, pyStr(callValue(fn(f), pos, withCaller)), s.line, false);
        };
      }
      case 'filterblock': {
        const body = this.block(s.body);
        const filters = s.filters.map((x) => this.filterChain(x));
        return (f, out) => {
          const buf: string[] = [];
          body(f, buf);
          let value: unknown = buf.join('');
          for (const apply of filters) value = apply(f, value);
          emit(out, pyStr(value), s.line, false);
        };
      }
      case 'with': {
        const targets = s.targets.map(([t, e]) => [this.assigner(t), this.expr(e)] as const);
        const body = this.block(s.body);
        return (f, out) => {
          const inner = f.child();
          for (const [assign, value] of targets) assign(inner, value(f));
          body(inner, out);
        };
      }
      case 'do': {
        const e = this.expr(s.expr);
        return (f) => void e(f);
      }
      case 'break':
        return () => {
          throw loopBreak;
        };
      case 'continue':
        return () => {
          throw loopContinue;
        };
      case 'scope':
        return this.block(s.body);
    }
  }

  private forLoop(s: Extract<Stmt, { kind: 'for' }>): Exec {
    if (assigns(s.body, 'loop') || targetNames(s.target).includes('loop'))
      throw new TemplateSyntaxError("Can't assign to special loop variable in for-loop target", s.line);
    const iter = this.expr(s.iter);
    const assign = this.assigner(s.target);
    const filter = s.filter ? this.expr(s.filter) : undefined;
    const body = this.block(s.body);
    const otherwise = this.block(s.otherwise);
    const usesLoop = s.recursive || namesRead(s.filter ? [s.body, s.filter] : s.body).has('loop');
    const keep = (f: Frame, item: unknown): boolean => {
      const scope = f.child();
      assign(scope, item);
      return truthy(filter!(scope));
    };
    const run = (f: Frame, out: string[], source: unknown, depth: number): void => {
      // An endless iterator (itertools.count()) is read an item at a time, until a break;
      // anything else is read whole first, as `loop.length` and `loop.last` need it.
      const lazy = !usesLoop ? (source as { __lazy__?: () => Iterator<unknown> } | null)?.__lazy__ : undefined;
      let items: unknown[] | undefined;
      if (typeof lazy !== 'function') {
        items = iterate(source);
        // With `loop` in use the kept items are counted first (loop.length); otherwise, as in
        // Jinja, the condition is tested item by item, after the body ran for the item before.
        if (filter && usesLoop) items = items.filter((item) => keep(f, item));
      }
      const it = items ? items[Symbol.iterator]() : lazy!.call(source);
      const loop =
        usesLoop && items
          ? new LoopContext(items, depth, s.recursive ? (next, d) => recurse(f, next, d) : undefined)
          : undefined;
      // As in Jinja, `else` runs unless some iteration reached the end of the body.
      let completed = false;
      let index = 0;
      for (let r = it.next(); !r.done; r = it.next()) {
        if (filter && !usesLoop && !keep(f, r.value)) continue;
        const scope = f.child();
        assign(scope, r.value);
        if (loop) {
          loop.index0 = index++;
          scope.set('loop', loop);
        }
        try {
          body(scope, out);
          completed = true;
        } catch (e) {
          if (e === loopBreak) break;
          if (e === loopContinue) continue;
          throw e;
        }
      }
      if (!completed) otherwise(f.child(), out);
    };
    const recurse = (f: Frame, next: unknown, depth: number): string => {
      const buf: string[] = [];
      run(f, buf, next, depth);
      return buf.join('');
    };
    return (f, out) => run(f, out, iter(f), 0);
  }

  private macroSpec(def: MacroDef): MacroSpec {
    // Which of varargs, kwargs and caller the body reads takes a walk of it: made on first need (a call, or a look
    // at the macro's attributes), since most of the hundreds of macros a project registers are never called.
    let flags: MacroFlags | undefined;
    const readFlags = (): MacroFlags => {
      const read = namesRead([def.body, def.params.map((p) => p.dflt)]);
      const names = (n: string) => !def.params.some((p) => p.name === n) && read.has(n);
      return { catchVarargs: names('varargs'), catchKwargs: names('kwargs'), usesCaller: names('caller') };
    };
    return {
      name: def.name,
      params: def.params.map((p) => ({ name: p.name, dflt: p.dflt ? this.expr(p.dflt) : undefined })),
      body: this.opts.macroBodiesOnCall ? this.blockOnFirstRun(def.body) : this.block(def.body),
      flags: () => (flags ??= readFlags()),
    };
  }

  private assigner(t: Target): (f: Frame, value: unknown) => void {
    if (t.kind === 'name') {
      const name = t.name;
      return (f, v) => f.set(name, v);
    }
    if (t.kind === 'nsref') {
      const { name, attr } = t;
      return (f, v) => {
        const ns = f.lookup(name);
        if (!(ns instanceof Namespace))
          throw new JinjaError('TemplateRuntimeError', 'cannot assign attribute on non-namespace object');
        dictSet(ns._attrs, attr, v);
      };
    }
    const parts = t.items.map((i) => this.assigner(i));
    return (f, v) => {
      const items = iterate(v);
      if (items.length !== parts.length)
        throw valueError(
          items.length > parts.length
            ? `too many values to unpack (expected ${parts.length})`
            : `not enough values to unpack (expected ${parts.length}, got ${items.length})`,
        );
      for (let i = 0; i < parts.length; i++) parts[i]!(f, items[i]);
    };
  }

  private callArgs(a: CallArgs): (f: Frame) => [unknown[], Kwargs] {
    const pos = a.pos.map((e) => this.expr(e));
    const kw = a.kw.map(([k, e]) => [k, this.expr(e)] as const);
    const star = a.star ? this.expr(a.star) : undefined;
    const starstar = a.starstar ? this.expr(a.starstar) : undefined;
    if (!star && !starstar && kw.length === 0) return (f) => [pos.map((e) => e(f)), undefined];
    return (f) => {
      const p = pos.map((e) => e(f));
      if (star) p.push(...iterate(star(f)));
      let k: Record<string, unknown> | undefined;
      if (kw.length || starstar) {
        k = {};
        for (const [name, e] of kw) dictSet(k, name, e(f));
        if (starstar) {
          const d = starstar(f);
          if (!isDict(d)) throw typeError('argument after ** must be a mapping');
          for (const key of dictKeys(d)) dictSet(k, key, d[key]);
        }
      }
      return [p, k];
    };
  }

  /** A filter expression whose value is supplied later (filter blocks and set blocks). */
  private filterChain(e: Expr): (f: Frame, value: unknown) => unknown {
    if (e.kind !== 'filter') throw new TemplateSyntaxError('expected a filter', e.line);
    const filter = this.lookupFilter(e.name, e.line);
    const args = this.callArgs(e.args);
    return (f, value) => {
      const [pos, kw] = args(f);
      return filter(f.state.env, value, pos, kw);
    };
  }

  /** An unknown filter fails when it is applied, so a branch never taken may name one (as in Jinja 3). */
  private lookupFilter(name: string, line: number): Filter {
    const filter = Object.prototype.hasOwnProperty.call(this.opts.filters, name) ? this.opts.filters[name] : undefined;
    if (filter) return filter;
    return () => {
      throw new TemplateSyntaxError(`No filter named '${name}'.`, line);
    };
  }

  private lookupTest(name: string, line: number): Test {
    const test = Object.prototype.hasOwnProperty.call(this.opts.tests, name) ? this.opts.tests[name] : undefined;
    if (test) return test;
    return () => {
      throw new TemplateSyntaxError(`No test named '${name}'.`, line);
    };
  }

  expr(e: Expr): Eval {
    switch (e.kind) {
      case 'const': {
        const v = e.value;
        return () => v;
      }
      case 'name': {
        const name = e.name;
        return (f) => f.lookup(name);
      }
      case 'list': {
        const items = e.items.map((i) => this.expr(i));
        return (f) => items.map((i) => i(f));
      }
      case 'tuple': {
        const items = e.items.map((i) => this.expr(i));
        return (f) => makeTuple(items.map((i) => i(f)));
      }
      case 'dict': {
        const pairs = e.pairs.map(([k, v]) => [this.expr(k), this.expr(v)] as const);
        return (f) => {
          const d: Record<string, unknown> = {};
          for (const [k, v] of pairs) dictSet(d, k(f), v(f));
          return d;
        };
      }
      case 'getattr': {
        const target = this.expr(e.target);
        const attr = e.attr;
        return (f) => getattr(target(f), attr, f.state.env);
      }
      case 'getitem': {
        const target = this.expr(e.target);
        const key = this.expr(e.key);
        return (f) => getitem(target(f), key(f), f.state.env);
      }
      case 'slice': {
        const target = this.expr(e.target);
        const start = e.start ? this.expr(e.start) : undefined;
        const stop = e.stop ? this.expr(e.stop) : undefined;
        const step = e.step ? this.expr(e.step) : undefined;
        return (f) => slice(target(f), start?.(f), stop?.(f), step?.(f));
      }
      case 'call': {
        const fn = this.expr(e.fn);
        const args = this.callArgs(e.args);
        return (f) => {
          const callee = fn(f);
          const [pos, kw] = args(f);
          return callValue(callee, pos, kw);
        };
      }
      case 'filter': {
        const filter = this.lookupFilter(e.name, e.line);
        const value = e.value ? this.expr(e.value) : () => new Undefined('no value');
        const args = this.callArgs(e.args);
        return (f) => {
          const v = value(f);
          const [pos, kw] = args(f);
          return filter(f.state.env, v, pos, kw);
        };
      }
      case 'test': {
        const test = this.lookupTest(e.name, e.line);
        const value = this.expr(e.value);
        const args = this.callArgs(e.args);
        const negated = e.negated;
        return (f) => {
          const v = value(f);
          const [pos, kw] = args(f);
          return test(f.state.env, v, pos, kw) !== negated;
        };
      }
      case 'binary': {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        const op = e.op;
        return (f) => binary(op, left(f), right(f));
      }
      case 'unary': {
        const value = this.expr(e.value);
        if (e.op === 'not') return (f) => !truthy(value(f));
        const op = e.op === 'neg' ? negate : plus;
        return (f) => op(value(f));
      }
      case 'and': {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        return (f) => {
          const l = left(f);
          return truthy(l) ? right(f) : l;
        };
      }
      case 'or': {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        return (f) => {
          const l = left(f);
          return truthy(l) ? l : right(f);
        };
      }
      case 'concat': {
        const items = e.items.map((i) => this.expr(i));
        return (f) => items.map((i) => pyStr(i(f))).join('');
      }
      case 'compare': {
        const first = this.expr(e.first);
        const ops = e.ops.map(([op, x]) => [op, this.expr(x)] as const);
        return (f) => {
          let left = first(f);
          for (const [op, x] of ops) {
            const right = x(f);
            if (!pyCompareOp(op, left, right)) return false;
            left = right;
          }
          return true;
        };
      }
      case 'condexpr': {
        const test = this.expr(e.test);
        const then = this.expr(e.then);
        const otherwise = e.otherwise ? this.expr(e.otherwise) : undefined;
        const line = e.line;
        return (f) =>
          truthy(test(f))
            ? then(f)
            : otherwise
              ? otherwise(f)
              : new Undefined(
                  `the inline if-expression on line ${line} evaluated to false and no else section was defined.`,
                );
      }
    }
  }
}

/** Python's slice.indices(): start, stop and step for a sequence of length n. */
function sliceIndices(n: number, start: unknown, stop: unknown, step: unknown): [number, number, number] {
  const num = (v: unknown): number | undefined => {
    if (v === undefined || v === null || v instanceof Undefined) return undefined;
    if (!isInt(v) && typeof v !== 'boolean')
      throw typeError('slice indices must be integers or None or have an __index__ method');
    return toNumber(v);
  };
  const st = num(step) ?? 1;
  if (st === 0) throw valueError('slice step cannot be zero');
  const clamp = (v: number | undefined, dflt: number, lo: number, hi: number) => {
    if (v === undefined) return dflt;
    const x = v < 0 ? v + n : v;
    return Math.min(Math.max(x, lo), hi);
  };
  return st > 0
    ? [clamp(num(start), 0, 0, n), clamp(num(stop), n, 0, n), st]
    : [clamp(num(start), n - 1, -1, n - 1), clamp(num(stop), -1, -1, n - 1), st];
}

/** Python's slicing of strings, lists, tuples and ranges. */
function slice(target: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  if (target instanceof PyRange) {
    const [a, b, st] = sliceIndices(target.__len__(), start, stop, step);
    return new PyRange(target.start + a * target.step, target.start + b * target.step, target.step * st);
  }
  const isStr = typeof target === 'string';
  if (!isStr && !Array.isArray(target)) {
    if (target instanceof Undefined || target === undefined) return new Undefined('cannot slice an undefined value');
    throw typeError(`'${typeName(target)}' object is not subscriptable`);
  }
  const items: unknown[] = isStr ? Array.from(target) : target;
  const [a, b, st] = sliceIndices(items.length, start, stop, step);
  const out: unknown[] = [];
  if (st > 0) for (let i = a; i < b; i += st) out.push(items[i]);
  else for (let i = a; i > b; i += st) out.push(items[i]);
  if (isStr) return out.join('');
  return isTuple(target) ? makeTuple(out) : out;
}

/**
 * The names `name` nodes anywhere in this part of the syntax tree read, nested macros included: macros decide
 * varargs/kwargs/caller by them, loops whether to make `loop`. One walk gives them all.
 */
function namesRead(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) namesRead(n, into);
    return into;
  }
  if (node === null || typeof node !== 'object') return into;
  const n = node as { kind?: unknown; name?: unknown };
  if (n.kind === 'name' && typeof n.name === 'string') into.add(n.name);
  for (const key in node) {
    const v = (node as Record<string, unknown>)[key];
    if (v !== null && typeof v === 'object' && !(v instanceof PyFloat)) namesRead(v, into);
  }
  return into;
}

/** Whether a `{% set %}` in these statements (outside nested macros) assigns the name. */
function assigns(stmts: Stmt[], name: string): boolean {
  return stmts.some((s) => {
    if (s.kind === 'set' || s.kind === 'setblock') return targetNames(s.target).includes(name);
    if (s.kind === 'if') return s.branches.some((b) => assigns(b.body, name)) || assigns(s.otherwise, name);
    if (s.kind === 'scope') return assigns(s.body, name);
    return false;
  });
}

function targetNames(t: Target): string[] {
  if (t.kind === 'name') return [t.name];
  if (t.kind === 'tuple') return t.items.flatMap(targetNames);
  return [];
}

export { MacroReturn };

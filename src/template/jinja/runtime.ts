/**
 * What compiled templates run on: scopes (frames), calls to every kind of callable, the
 * `loop` object, macros, `namespace()`, and the control-flow signals (break, continue,
 * dbt's `return()`). Knows nothing of syntax; compiler.ts builds closures over these.
 */
import { getattr, getitem, setHostCall } from './attributes.js';
import type { Filter, RenderEnv, Test } from './render-env.js';
import {
  CALL,
  JinjaError,
  Undefined,
  PyFloat,
  isDict,
  dictKeys,
  dictSet,
  fromHost,
  toHost,
  makeTuple,
  pyFunction,
  truthy,
  typeError,
  typeName,
  undefinedError,
  withKwargs,
  type Kwargs,
  type PyCall,
} from './values.js';
import { pyEq } from './compare.js';
import { pyRepr } from './repr.js';

/** Thrown by dbt's `return(value)`; the macro being called evaluates to `value`. */
export class MacroReturn {
  constructor(readonly value: unknown) {}
}

/** `{% break %}` and `{% continue %}`, unwinding to the loop that owns them. */
export const loopBreak = { signal: 'break' } as const;
export const loopContinue = { signal: 'continue' } as const;

/** Where an error happened, attached once, innermost first. */
export interface ErrorSite {
  file: string;
  line: number;
}
const errorSites = new WeakMap<object, ErrorSite>();

export function noteErrorSite(e: unknown, file: string, line: number): void {
  if (
    e !== null &&
    typeof e === 'object' &&
    !errorSites.has(e) &&
    !(e instanceof MacroReturn) &&
    e !== loopBreak &&
    e !== loopContinue
  )
    errorSites.set(e, { file, line });
}

export function errorSite(e: unknown): ErrorSite | undefined {
  return e !== null && typeof e === 'object' ? errorSites.get(e) : undefined;
}

/** Everything one render shares: the globals, the template's package namespace, filters and tests. */
export interface RenderState {
  readonly globals: Record<string, unknown>;
  readonly filters: Record<string, Filter>;
  readonly tests: Record<string, Test>;
  readonly env: RenderEnv;
}

/** A scope. Lookups walk outward, then to the template's namespace, then to the globals. */
export class Frame {
  private readonly vars = new Map<string, unknown>();
  constructor(
    readonly parent: Frame | undefined,
    readonly state: RenderState,
    /** Macros of the template's package, seen before the globals. */
    readonly namespace?: Record<string, unknown>,
  ) {}

  child(): Frame {
    return new Frame(this, this.state, this.namespace);
  }

  lookup(name: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk up the frame chain starts here
    for (let f: Frame | undefined = this; f; f = f.parent) {
      const v = f.vars.get(name);
      if (v !== undefined || f.vars.has(name)) return v;
    }
    const ns = this.namespace;
    if (ns && Object.prototype.hasOwnProperty.call(ns, name)) return ns[name];
    const g = this.state.globals;
    if (name in g && name !== '__proto__') {
      const v = g[name];
      if (v !== undefined) return v;
    }
    return new Undefined(`'${name}' is undefined`);
  }

  set(name: string, value: unknown): void {
    this.vars.set(name, value);
  }

  /** Own names and values, as `template.module` exposes a template's top-level definitions. */
  entries(): IterableIterator<[string, unknown]> {
    return this.vars.entries();
  }
}

/** Calls any callable value with the engine's values. */
export function callValue(fn: unknown, pos: unknown[], kw: Kwargs): unknown {
  if (fn !== null && (typeof fn === 'function' || typeof fn === 'object')) {
    const impl = (fn as { [CALL]?: PyCall })[CALL];
    if (typeof impl === 'function') return impl(pos, kw);
  }
  if (typeof fn === 'function') return callHost(fn as (...a: unknown[]) => unknown, undefined, pos, kw);
  if (fn instanceof Undefined || fn === undefined) throw undefinedError(fn);
  throw typeError(`'${typeName(fn)}' object is not callable`);
}

/** A host (kiln) function: Undefined arrives as `undefined`, keywords as a marked object. */
export function callHost(fn: (...a: unknown[]) => unknown, self: unknown, pos: unknown[], kw: Kwargs): unknown {
  const args = pos.map(toHost);
  let hostKw: Kwargs;
  if (kw) {
    hostKw = {};
    for (const k of Object.keys(kw)) dictSet(hostKw, k, toHost(kw[k]));
  }
  return fromHost(fn.apply(self, withKwargs(args, hostKw)));
}
setHostCall(callHost);

/** The `loop` variable of a for loop. */
export class LoopContext {
  // JavaScript-private: the sandbox lets templates read public fields only.
  readonly #items: unknown[];
  readonly #recurse: ((items: unknown, depth: number) => string) | undefined;
  #lastChanged: unknown[] | undefined;
  index0 = 0;
  constructor(
    items: unknown[],
    readonly depth0: number,
    recurse: ((items: unknown, depth: number) => string) | undefined,
  ) {
    this.#items = items;
    this.#recurse = recurse;
    Object.defineProperty(this, CALL, {
      value: (pos: unknown[]) => {
        if (!this.#recurse)
          throw typeError('Tried to call non recursive loop. Maybe you forgot the "recursive" modifier.');
        return this.#recurse(pos[0], this.depth0 + 1);
      },
    });
  }
  get index(): number {
    return this.index0 + 1;
  }
  get revindex(): number {
    return this.#items.length - this.index0;
  }
  get revindex0(): number {
    return this.#items.length - this.index0 - 1;
  }
  get first(): boolean {
    return this.index0 === 0;
  }
  get last(): boolean {
    return this.index0 === this.#items.length - 1;
  }
  get length(): number {
    return this.#items.length;
  }
  get depth(): number {
    return this.depth0 + 1;
  }
  get previtem(): unknown {
    return this.index0 > 0 ? this.#items[this.index0 - 1] : new Undefined('there is no previous item');
  }
  get nextitem(): unknown {
    return this.index0 < this.#items.length - 1 ? this.#items[this.index0 + 1] : new Undefined('there is no next item');
  }
  get cycle(): unknown {
    return pyFunction('cycle', (pos) => {
      if (pos.length === 0) throw typeError('no items for cycling given');
      return pos[this.index0 % pos.length];
    });
  }
  get changed(): unknown {
    return pyFunction('changed', (pos) => {
      if (
        this.#lastChanged !== undefined &&
        this.#lastChanged.length === pos.length &&
        this.#lastChanged.every((v, i) => pyEq(v, pos[i]))
      )
        return false;
      this.#lastChanged = pos;
      return true;
    });
  }
  __repr__(): string {
    return `<LoopContext ${this.index}/${this.length}>`;
  }
}

/** `namespace(...)`: the one object `{% set ns.attr = ... %}` may assign to. */
export class Namespace {
  readonly _attrs: Record<string, unknown> = {};
  __getattr__(name: string): unknown {
    return Object.prototype.hasOwnProperty.call(this._attrs, name) ? this._attrs[name] : undefined;
  }
  __getitem__(name: unknown): unknown {
    return typeof name === 'string' ? this.__getattr__(name) : undefined;
  }
  __repr__(): string {
    return `<Namespace ${pyRepr(this._attrs)}>`;
  }
  __str__(): string {
    return this.__repr__();
  }
}

export function makeNamespace(pos: unknown[], kw: Kwargs): Namespace {
  const ns = new Namespace();
  for (const p of pos) {
    if (isDict(p)) for (const k of dictKeys(p)) dictSet(ns._attrs, k, p[k]);
    else if (p instanceof Namespace) Object.assign(ns._attrs, p._attrs);
    else if (Array.isArray(p)) for (const pair of p) dictSet(ns._attrs, (pair as unknown[])[0], (pair as unknown[])[1]);
  }
  if (kw) for (const k of Object.keys(kw)) dictSet(ns._attrs, k, kw[k]);
  return ns;
}

/** Which of `varargs`, `kwargs` and `caller` a macro's body reads (and so accepts). */
export interface MacroFlags {
  catchVarargs: boolean;
  catchKwargs: boolean;
  usesCaller: boolean;
}

export interface MacroSpec {
  name: string;
  params: Array<{ name: string; dflt?: (frame: Frame) => unknown }>;
  body: (frame: Frame, out: string[]) => void;
  /** Made on first call, then the same object. */
  flags: () => MacroFlags;
}

/**
 * How deep macro calls may nest. Python stops dbt's Jinja at its recursion limit (about this
 * deep); without a limit a macro that calls itself forever would exhaust JavaScript's stack.
 */
export const MAX_MACRO_DEPTH = 400;
let macroDepth = 0;

/** Told of every macro call (the macro's callable value), for whoever records what a render used. */
let macroCallObserver: ((macro: unknown) => void) | undefined;

export function observeMacroCalls(observer: ((macro: unknown) => void) | undefined): void {
  macroCallObserver = observer;
}

/**
 * A macro as a callable value. Missing arguments are Undefined (as in Jinja); extra ones are
 * an error unless the body reads `varargs`/`kwargs`. `return()` ends the call with its value.
 */
export function makeMacro(spec: MacroSpec, closure: Frame): unknown {
  const impl: PyCall = (pos, kw) => {
    const frame = closure.child();
    const { params } = spec;
    const { catchVarargs, catchKwargs, usesCaller } = spec.flags();
    let kwLeft: Record<string, unknown> | undefined;
    if (kw) {
      kwLeft = {};
      for (const k of Object.keys(kw)) dictSet(kwLeft, k, kw[k]);
    }
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      let value: unknown;
      if (i < pos.length) {
        if (kwLeft && Object.prototype.hasOwnProperty.call(kwLeft, p.name))
          throw typeError(`macro '${spec.name}' got multiple values for argument '${p.name}'`);
        value = pos[i];
      } else if (kwLeft && Object.prototype.hasOwnProperty.call(kwLeft, p.name)) {
        value = kwLeft[p.name];
        delete kwLeft[p.name];
      } else if (p.dflt) value = p.dflt(frame);
      else value = new Undefined(`parameter '${p.name}' was not provided`);
      frame.set(p.name, value);
    }
    if (usesCaller || catchKwargs) {
      const caller = kwLeft && Object.prototype.hasOwnProperty.call(kwLeft, 'caller') ? kwLeft.caller : undefined;
      if (kwLeft && usesCaller) delete kwLeft.caller;
      if (usesCaller) frame.set('caller', caller ?? new Undefined('No caller defined'));
    }
    if (pos.length > params.length) {
      if (!catchVarargs) throw typeError(`macro '${spec.name}' takes not more than ${params.length} argument(s)`);
      frame.set('varargs', makeTuple(pos.slice(params.length)));
    } else if (catchVarargs) frame.set('varargs', makeTuple([]));
    const extra = kwLeft ? Object.keys(kwLeft) : [];
    if (catchKwargs) {
      const d: Record<string, unknown> = {};
      for (const k of extra) dictSet(d, k, kwLeft![k]);
      frame.set('kwargs', d);
    } else if (extra.length) throw typeError(`macro '${spec.name}' takes no keyword argument '${extra[0]}'`);
    const out: string[] = [];
    if (macroDepth >= MAX_MACRO_DEPTH)
      throw new JinjaError(
        'RecursionError',
        `macro '${spec.name}' exceeds the recursion limit of ${MAX_MACRO_DEPTH} ` +
          `nested macro calls (a macro that calls itself without end?)`,
      );
    macroDepth++;
    macroCallObserver?.(fn);
    try {
      spec.body(frame, out);
    } catch (e) {
      if (e instanceof MacroReturn) return e.value;
      throw e;
    } finally {
      macroDepth--;
    }
    return out.join('');
  };
  const fn = pyFunction(spec.name, impl);
  Object.defineProperty(fn, 'macroName', { value: spec.name });
  Object.defineProperty(fn, 'arguments', { value: makeTuple(spec.params.map((p) => p.name)) });
  // Read from the body only if asked (see MacroSpec.flags).
  Object.defineProperty(fn, 'catch_kwargs', { get: () => spec.flags().catchKwargs });
  Object.defineProperty(fn, 'catch_varargs', { get: () => spec.flags().catchVarargs });
  Object.defineProperty(fn, 'caller', { get: () => spec.flags().usesCaller });
  return fn;
}

/** The attribute and item lookups, calls, filters and tests that built-ins use. */
export function makeRenderEnv(filters: Record<string, Filter>, tests: Record<string, Test>): RenderEnv {
  const env: RenderEnv = {
    getattr: (obj, name) => getattr(obj, name, env),
    getitem: (obj, key) => getitem(obj, key, env),
    call: (fn, pos, kw) => callValue(fn, pos, kw),
    applyFilter: (name, value, pos, kw) => {
      const f = Object.prototype.hasOwnProperty.call(filters, name) ? filters[name] : undefined;
      if (!f) throw new JinjaError('TemplateRuntimeError', `No filter named '${name}'.`);
      return f(env, value, pos, kw);
    },
    applyTest: (name, value, pos, kw) => {
      const t = Object.prototype.hasOwnProperty.call(tests, name) ? tests[name] : undefined;
      if (!t) throw new JinjaError('TemplateRuntimeError', `No test named '${name}'.`);
      return t(env, value, pos, kw);
    },
    makeUndefined: (hint) => new Undefined(hint),
  };
  return env;
}

export { truthy, PyFloat };

/**
 * Makes nunjucks behave like Jinja2 where dbt projects rely on the difference. Applied once,
 * process-wide, to nunjucks' runtime and compiler: compiled templates look these up at call time.
 */
import nunjucks from 'nunjucks';
import { pythonStr, isPlainObject, pyEq, makeTuple, isTuple, isPySet } from './python-values.js';
import { stringMethods, listMethods, dictMethods, setMethods, iterate, percentFormat } from './python-methods.js';
import { installJinjaSyntax } from './jinja-syntax.js';
import { Relation } from '../adapters/relation.js';

/** A relation read as the dict dbt's relations also are. */
function relationFields(r: Relation): Record<string, unknown> {
  return {
    metadata: { type: 'BaseRelation' },
    path: { database: r.database ?? null, schema: r.schema ?? null, identifier: r.identifier },
    type: r.type,
    database: r.database ?? null,
    schema: r.schema ?? null,
    identifier: r.identifier,
  };
}

/** Thrown by `return(x)` inside a macro; the macro call evaluates to x. */
export class MacroReturn {
  constructor(readonly value: unknown) {}
}

/**
 * dbt block tags that nunjucks does not know, rewritten to tags it does: `{% test %}` and
 * `{% materialization %}` become macros, `{% snapshot %}` keeps its body, `{% docs %}` blocks
 * (read elsewhere) render as nothing. Newlines are kept so line numbers stay right.
 */
export function preprocessJinja(source: string): string {
  if (!source.includes('{%')) return source;
  return source
    .replace(/\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g, '{%$1 macro test_$2(')
    .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}')
    .replace(/\{%(-?)\s*materialization\s+([A-Za-z_][A-Za-z0-9_]*)\s*,\s*(?:adapter\s*=\s*['"]([A-Za-z0-9_]+)['"]|default)[^%]*?(-?)%\}/g, (_m, a: string, name: string, adapter: string | undefined, b: string) => `{%${a} macro materialization_${name}_${adapter ?? 'default'}() ${b}%}`)
    .replace(/\{%(-?)\s*endmaterialization\s*(-?)%\}/g, '{%$1 endmacro $2%}')
    .replace(/\{%-?\s*(end)?snapshot(\s+[A-Za-z_][A-Za-z0-9_]*)?\s*-?%\}/g, '')
    .replace(/\{%-?\s*docs\s[\s\S]*?\{%-?\s*enddocs\s*-?%\}/g, (m) => m.replace(/[^\n]/g, ''));
}

let applied = false;

/** The last error a function called from a template threw, with the call, since nunjucks drops both. */
export interface FailedCall {
  error: unknown;
  name: string;
  args: unknown[];
}
let failedCall: FailedCall | undefined;
export function takeFailedCall(): FailedCall | undefined {
  const f = failedCall;
  failedCall = undefined;
  return f;
}

export function applyJinjaCompat(): void {
  if (applied) return;
  applied = true;
  const runtime = (nunjucks as any).runtime;
  const { SafeString } = runtime;

  runtime.suppressValue = (val: unknown, autoescape: boolean) => {
    if (val instanceof SafeString) return val;
    const text = pythonStr(val);
    return autoescape ? (nunjucks as any).lib.escape(text) : text;
  };

  runtime.jinjaConcat = (a: unknown, b: unknown) => pythonStr(a instanceof SafeString ? String(a) : a) + pythonStr(b instanceof SafeString ? String(b) : b);
  const compiler = (nunjucks as any).compiler.Compiler.prototype;
  compiler.compileConcat = function (this: any, node: any, frame: any) {
    this._emit('runtime.jinjaConcat(');
    this.compile(node.left, frame);
    this._emit(', ');
    this.compile(node.right, frame);
    this._emit(')');
  };

  const originalMemberLookup = runtime.memberLookup;
  runtime.memberLookup = (obj: unknown, key: unknown) => {
    // dbt's relations are also mappings: packages test `obj.get('metadata', {}).get('type')`.
    if (obj instanceof Relation && (key === 'get' || key === 'metadata')) {
      const fields = relationFields(obj);
      return key === 'metadata' ? fields.metadata : (k: unknown, dflt: unknown = null) => (typeof k === 'string' && k in fields ? fields[k] : dflt);
    }
    if (typeof key === 'string') {
      let table: Record<string, (...a: any[]) => unknown> | undefined;
      if (typeof obj === 'string' || obj instanceof SafeString) table = stringMethods;
      else if (isPySet(obj) && key in setMethods) table = setMethods;
      else if (Array.isArray(obj)) table = listMethods;
      else if (obj !== null && typeof obj === 'object' && Object.getPrototypeOf(obj) === Object.prototype && !(key in (obj as object))) table = dictMethods;
      const method = table?.[key];
      if (method && !(typeof obj === 'object' && obj !== null && key in obj && !Array.isArray(obj))) {
        const target = obj instanceof SafeString ? String(obj) : obj;
        return (...args: unknown[]) => method(target as never, ...args);
      }
    } else if (typeof key === 'number' && key < 0 && (typeof obj === 'string' || Array.isArray(obj))) {
      return (obj as ArrayLike<unknown>)[obj.length + key];
    }
    // A function with attributes (a Python class such as `datetime.datetime`, with `.now()`) is
    // returned itself: nunjucks' bound wrapper would hide its attributes.
    if (obj !== null && obj !== undefined && typeof key === 'string') {
      const member = (obj as Record<string, unknown>)[key];
      if (typeof member === 'function' && Object.keys(member).length > 0) return member;
    }
    return originalMemberLookup(obj, key);
  };

  const originalCallWrap = runtime.callWrap;
  runtime.callWrap = (obj: unknown, name: string, context: unknown, args: unknown[]) => {
    try {
      return originalCallWrap(obj, name, context, args);
    } catch (e) {
      if (!(e instanceof MacroReturn) && failedCall?.error !== e) failedCall = { error: e, name, args };
      throw e;
    }
  };

  // Macros bind arguments as Jinja does: extra positionals go to `varargs`, unknown keywords
  // to `kwargs`; `return(x)` makes the call evaluate to x.
  runtime.makeMacro = (argNames: string[], kwargNames: string[], func: (...a: unknown[]) => unknown) =>
    function macro(this: unknown, ...macroArgs: unknown[]) {
      const last = macroArgs[macroArgs.length - 1];
      const hasKw = last !== null && typeof last === 'object' && Object.prototype.hasOwnProperty.call(last, '__keywords');
      const kw: Record<string, unknown> = hasKw ? { ...(last as object) } : {};
      const positional = hasKw ? macroArgs.slice(0, -1) : macroArgs;
      const args: unknown[] = [];
      for (let i = 0; i < argNames.length; i++) {
        if (i < positional.length) args.push(positional[i]);
        else {
          args.push(kw[argNames[i]!]);
          delete kw[argNames[i]!];
        }
      }
      const varargs: unknown[] = [];
      positional.slice(argNames.length).forEach((v, i) => {
        if (i < kwargNames.length && !Object.prototype.hasOwnProperty.call(kw, kwargNames[i]!)) kw[kwargNames[i]!] = v;
        else varargs.push(v);
      });
      const extra: Record<string, unknown> = {};
      for (const k of Object.keys(kw)) if (k !== '__keywords' && k !== 'caller' && !kwargNames.includes(k)) extra[k] = kw[k];
      try {
        return func.apply(this, [...args, kw, { varargs, kwargs: extra }]);
      } catch (e) {
        if (e instanceof MacroReturn) return e.value;
        throw e;
      }
    };

  installRuntimeHelpers(runtime, SafeString);
  installJinjaSyntax();
}

/** Python truthiness: empty lists, dicts and strings are false. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Set || v instanceof Map) return v.size > 0;
  if (isPlainObject(v)) return Object.keys(v).some((k) => k !== '__keywords');
  if (v !== null && typeof v === 'object' && typeof (v as { length?: unknown }).length === 'number' && String(v) === '') return false;
  return Boolean(v);
}

const text = (v: unknown, SafeString: any) => (v instanceof SafeString ? String(v) : v);

/** Python operator methods (`__add__`) of kiln's own value classes (datetimes, timedeltas). */
function dunder(obj: unknown, name: string, other: unknown): unknown {
  const fn = obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[name] : undefined;
  return typeof fn === 'function' ? fn.call(obj, other) : undefined;
}

/** The runtime functions the compiler patches in jinja-syntax.ts emit calls to. */
function installRuntimeHelpers(runtime: any, SafeString: any): void {
  runtime.kilnTruthy = truthy;
  runtime.kilnEq = pyEq;
  // `loop.changed(x)`: true when x differs from what the previous call in this loop saw.
  runtime.kilnLoopChanged = (frame: { kilnChanged?: unknown[] }) => (...args: unknown[]) => {
    const before = frame.kilnChanged;
    frame.kilnChanged = args;
    return before === undefined || !pyEq(before, args);
  };
  // `{% set %}` in a loop body: the name lives in the loop's frame until the next iteration starts.
  runtime.kilnSetLocal = (frame: { set(n: string, v: unknown): void; kilnLocals?: Set<string> }, name: string, value: unknown) => {
    frame.set(name, value);
    (frame.kilnLocals ??= new Set()).add(name);
  };
  runtime.kilnLoopReset = (frame: { variables: Record<string, unknown>; kilnLocals?: Set<string> }) => {
    if (!frame.kilnLocals) return;
    for (const name of frame.kilnLocals) delete frame.variables[name];
    frame.kilnLocals.clear();
  };
  runtime.kilnTuple = makeTuple;
  // Python's `in`: membership by `==` in sequences, keys in dicts, substrings in strings.
  runtime.inOperator = (key: unknown, container: unknown) => {
    const c = text(container, SafeString);
    if (typeof c === 'string') return c.includes(pythonStr(text(key, SafeString)));
    if (Array.isArray(c) || c instanceof Set) return [...c].some((v) => pyEq(key, v));
    if (c instanceof Map) return [...c.keys()].some((v) => pyEq(key, v));
    if (c !== null && typeof c === 'object') return pythonStr(text(key, SafeString)) in c;
    throw new Error(`argument of type ${c === undefined ? 'Undefined' : typeof c} is not iterable (in \`${pythonStr(key)} in ...\`)`);
  };
  runtime.kilnOr = (a: unknown, b: () => unknown) => (truthy(a) ? a : b());
  runtime.kilnAnd = (a: unknown, b: () => unknown) => (truthy(a) ? b() : a);
  runtime.kilnIter = (v: unknown) => (Array.isArray(v) || v === null || v === undefined ? v : iterate(text(v, SafeString)));
  runtime.kilnLoopFilter = (arr: unknown, names: number, keep: (item: unknown) => boolean) => {
    const items = names > 1 && isPlainObject(arr) ? Object.entries(arr) : iterate(arr);
    return items.filter(keep);
  };
  runtime.kilnKey = (k: unknown) => (typeof k === 'string' ? k : pythonStr(text(k, SafeString)));
  runtime.kilnStarArgs = (v: unknown) => iterate(v);
  runtime.kilnStarKwargs = (v: unknown) => {
    if (!v || typeof v !== 'object') return {};
    const { __keywords, ...rest } = v as Record<string, unknown>;
    void __keywords;
    return rest;
  };
  // A call whose arguments were spread: keyword arguments stay marked and last.
  runtime.kilnCallArgs = (args: unknown[]) => {
    const last = args[args.length - 1];
    if (last && typeof last === 'object' && Object.prototype.hasOwnProperty.call(last, '__keywords')) return args;
    return args;
  };
  runtime.kilnUnpack = (v: unknown, n: number) => {
    const items = iterate(text(v, SafeString));
    if (items.length !== n) throw new Error(`cannot unpack ${items.length} values into ${n} names`);
    return items;
  };
  runtime.kilnSetAttr = (obj: unknown, key: unknown, value: unknown) => {
    if (obj === null || typeof obj !== 'object') throw new Error(`cannot set '${String(key)}' on ${pythonStr(obj)}: use namespace() for values set inside loops`);
    (obj as Record<string, unknown>)[String(key)] = value;
  };
  runtime.kilnSlice = (target: unknown, start: number | null, stop: number | null, step: number | null) => {
    const t = text(target, SafeString);
    const seq: unknown[] = typeof t === 'string' ? [...t] : iterate(t);
    const len = seq.length;
    const st = step ?? 1;
    if (st === 0) throw new Error('slice step cannot be zero');
    const norm = (i: number | null, dflt: number) => (i === null || i === undefined ? dflt : i < 0 ? Math.max(len + i, st > 0 ? 0 : -1) : Math.min(i, st > 0 ? len : len - 1));
    const out: unknown[] = [];
    if (st > 0) for (let i = norm(start, 0); i < norm(stop, len); i += st) out.push(seq[i]);
    else for (let i = norm(start, len - 1); i > norm(stop, -1); i += st) out.push(seq[i]);
    return typeof t === 'string' ? out.join('') : out;
  };
  runtime.kilnMod = (a: unknown, b: unknown) => {
    const x = text(a, SafeString);
    if (typeof x === 'string') return percentFormat(x, text(b, SafeString));
    const n = Number(x);
    const m = Number(b);
    return ((n % m) + m) % m;
  };
  runtime.kilnSub = (a: unknown, b: unknown) => {
    const viaMethod = dunder(a, '__sub__', b);
    return viaMethod !== undefined ? viaMethod : (a as number) - (b as number);
  };
  runtime.kilnMul = (a: unknown, b: unknown) => {
    const x = text(a, SafeString);
    const y = text(b, SafeString);
    if (typeof x === 'string' && typeof y === 'number') return x.repeat(Math.max(0, y));
    if (typeof y === 'string' && typeof x === 'number') return y.repeat(Math.max(0, x));
    if (Array.isArray(x) && typeof y === 'number') return Array.from({ length: Math.max(0, y) }, () => x).flat();
    return (x as number) * (y as number);
  };
  runtime.kilnAdd = (a: unknown, b: unknown) => {
    if (Array.isArray(a) && Array.isArray(b)) return isTuple(a) && isTuple(b) ? makeTuple([...a, ...b]) : [...a, ...b];
    const viaMethod = dunder(a, '__add__', b) ?? dunder(b, '__add__', a);
    if (viaMethod !== undefined) return viaMethod;
    const x = text(a, SafeString);
    const y = text(b, SafeString);
    if (typeof x === 'string' || typeof y === 'string') return String(x) + String(y);
    return (x as number) + (y as number);
  };
}

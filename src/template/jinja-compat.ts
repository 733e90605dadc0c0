/**
 * Makes nunjucks behave like Jinja2 where dbt projects rely on the difference. Applied once,
 * process-wide, to nunjucks' runtime and compiler: compiled templates look these up at call time.
 */
import nunjucks from 'nunjucks';
import { pythonStr } from './python-values.js';

/** Thrown by `return(x)` inside a macro; the macro call evaluates to x. */
export class MacroReturn {
  constructor(readonly value: unknown) {}
}

/** dbt block tags that nunjucks does not know, rewritten to tags it does. */
export function preprocessJinja(source: string): string {
  if (!source.includes('{%')) return source;
  return source
    .replace(/\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g, '{%$1 macro test_$2(')
    .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}')
    .replace(/\{%(-?)\s*do\s+/g, '{%$1 set __kiln_discard = ');
}

// Python's str methods that dbt macros call on strings, keyed by their Python names.
const stringMethods: Record<string, (s: string, ...a: any[]) => unknown> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  strip: (s, chars?: string) => (chars ? trimChars(s, chars, true, true) : s.trim()),
  lstrip: (s, chars?: string) => (chars ? trimChars(s, chars, true, false) : s.trimStart()),
  rstrip: (s, chars?: string) => (chars ? trimChars(s, chars, false, true) : s.trimEnd()),
  split: (s, sep?: string | null, max?: number) => pySplit(s, sep ?? undefined, max),
  replace: (s, a: string, b: string) => s.split(a).join(b),
  startswith: (s, p: string | string[]) => (Array.isArray(p) ? p.some((x) => s.startsWith(x)) : s.startsWith(p)),
  endswith: (s, p: string | string[]) => (Array.isArray(p) ? p.some((x) => s.endsWith(x)) : s.endsWith(p)),
  join: (s, items: unknown[]) => Array.from(items ?? [], pythonStr).join(s),
  find: (s, sub: string) => s.indexOf(sub),
  count: (s, sub: string) => s.split(sub).length - 1,
  title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => (s ? s[0]!.toUpperCase() + s.slice(1).toLowerCase() : s),
  isdigit: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^[A-Za-z]+$/.test(s),
  format: (s, ...args: unknown[]) => {
    let i = 0;
    const kw = (args.length && (args[args.length - 1] as any)?.__keywords ? (args.pop() as Record<string, unknown>) : {}) as Record<string, unknown>;
    return s.replace(/\{([A-Za-z_0-9]*)\}/g, (_, name: string) => pythonStr(name === '' ? args[i++] : /^\d+$/.test(name) ? args[Number(name)] : kw[name]));
  },
};

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  while (left && a < b && chars.includes(s[a]!)) a++;
  while (right && b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

function pySplit(s: string, sep?: string, max?: number): string[] {
  if (sep === undefined) {
    const parts = s.trim().split(/\s+/).filter((p) => p !== '');
    return max !== undefined && max >= 0 && parts.length > max + 1 ? [...parts.slice(0, max), parts.slice(max).join(' ')] : parts;
  }
  const parts = s.split(sep);
  return max !== undefined && max >= 0 && parts.length > max + 1 ? [...parts.slice(0, max), parts.slice(max).join(sep)] : parts;
}

const listMethods: Record<string, (l: unknown[], ...a: any[]) => unknown> = {
  append: (l, x) => {
    l.push(x);
    return null;
  },
  extend: (l, xs: unknown[]) => {
    l.push(...xs);
    return null;
  },
  pop: (l, i?: number) => (i === undefined ? l.pop() : l.splice(i, 1)[0]),
  insert: (l, i: number, x) => {
    l.splice(i, 0, x);
    return null;
  },
  index: (l, x) => l.indexOf(x),
  count: (l, x) => l.filter((y) => y === x).length,
};

const dictMethods: Record<string, (d: Record<string, unknown>, ...a: any[]) => unknown> = {
  items: (d) => Object.entries(d).filter(([k]) => k !== '__keywords'),
  keys: (d) => Object.keys(d).filter((k) => k !== '__keywords'),
  values: (d) => Object.entries(d).filter(([k]) => k !== '__keywords').map(([, v]) => v),
  get: (d, k: string, dflt: unknown = null) => (Object.prototype.hasOwnProperty.call(d, k) ? d[k] : dflt),
  update: (d, o: Record<string, unknown>) => {
    Object.assign(d, o);
    delete d.__keywords;
    return null;
  },
  pop: (d, k: string, dflt: unknown = null) => {
    const had = Object.prototype.hasOwnProperty.call(d, k);
    const v = had ? d[k] : dflt;
    delete d[k];
    return v;
  },
  setdefault: (d, k: string, v: unknown = null) => {
    if (!Object.prototype.hasOwnProperty.call(d, k)) d[k] = v;
    return d[k];
  },
};

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
    if (typeof key === 'string') {
      let table: Record<string, (...a: any[]) => unknown> | undefined;
      if (typeof obj === 'string' || obj instanceof SafeString) table = stringMethods;
      else if (Array.isArray(obj)) table = listMethods;
      else if (obj !== null && typeof obj === 'object' && Object.getPrototypeOf(obj) === Object.prototype && !(key in (obj as object))) table = dictMethods;
      const method = table?.[key];
      if (method && !(typeof obj === 'object' && obj !== null && key in obj && !Array.isArray(obj))) {
        const target = obj instanceof SafeString ? String(obj) : obj;
        return (...args: unknown[]) => method(target as never, ...args);
      }
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

  const originalMakeMacro = runtime.makeMacro;
  runtime.makeMacro = (argNames: string[], kwargNames: string[], func: (...a: unknown[]) => unknown) =>
    originalMakeMacro(argNames, kwargNames, function (this: unknown, ...args: unknown[]) {
      try {
        return func.apply(this, args);
      } catch (e) {
        if (e instanceof MacroReturn) return e.value;
        throw e;
      }
    });
}

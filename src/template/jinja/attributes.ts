/**
 * The sandbox: every `value.name` and `value[key]` a template evaluates goes through here,
 * as every lookup goes through Jinja2's SandboxedEnvironment. A template reaches only
 *  - the Python methods of Python values (str, list, dict, set, int, float), from methods.ts;
 *  - a dict's items;
 *  - the own properties of host functions (a Python class's attributes, a macro's metadata);
 *  - the own properties, getters and methods of kiln's own host objects, found on their
 *    prototype chain up to (never including) JavaScript's built-in prototypes;
 * and never a name that starts with `_`, `constructor`, `prototype` or another name on the
 * blocked list. `isSafeAttribute` is the one function that decides.
 */
import { methodsFor } from './methods.js';
import type { Method, RenderEnv } from './render-env.js';
import {
  PyFloat,
  Undefined,
  isDict,
  hasKey,
  dictKeyOf,
  isInt,
  isFloat,
  isPySet,
  pyFunction,
  undefinedError,
  CALL,
  typeName,
  toNumber,
  type PyFunction,
} from './values.js';

/** Names no template may read on any value, whatever owns them. */
const blockedNames = new Set([
  'constructor',
  'prototype',
  'toString',
  'toLocaleString',
  'valueOf',
  'toJSON',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'then',
  'apply',
  'bind',
  'call',
]);

/** JavaScript's own prototypes: nothing on them is reachable from a template. */
const builtinPrototypes = new Set<unknown>([
  Object.prototype,
  Function.prototype,
  Array.prototype,
  String.prototype,
  Number.prototype,
  Boolean.prototype,
  BigInt.prototype,
  Symbol.prototype,
  Error.prototype,
  Promise.prototype,
  Map.prototype,
  Set.prototype,
  WeakMap.prototype,
  Date.prototype,
  RegExp.prototype,
  Object.getPrototypeOf(function* () {}),
  Object.getPrototypeOf(async function () {}),
]);

const nativeFunctions = new WeakMap<object, boolean>();

/** JavaScript's own functions (`Object`, `Function`, `getPrototypeOf`, ...) print as native code. */
function isNativeFunction(fn: object): boolean {
  let native = nativeFunctions.get(fn);
  if (native === undefined) {
    native = /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
    nativeFunctions.set(fn, native);
  }
  return native;
}

/**
 * Jinja2's `is_safe_callable`, for values: whatever a lookup found, a template never holds
 * a JavaScript built-in (a native function, a built-in prototype, the global object).
 */
function isSafeValue(value: unknown): boolean {
  if (typeof value === 'function') return CALL in value || !isNativeFunction(value);
  if (value !== null && typeof value === 'object')
    return !builtinPrototypes.has(value) && value !== globalThis && value !== process;
  return true;
}

/** Jinja2's `is_safe_attribute`: whether a template may read `name` on any object. */
export function isSafeAttribute(name: string): boolean {
  return !name.startsWith('_') && !blockedNames.has(name);
}

function typeLabel(obj: unknown): string {
  if (obj === null) return 'None';
  return `${typeName(obj)} object`;
}

function missingAttribute(obj: unknown, name: string): Undefined {
  return new Undefined(`'${typeLabel(obj)}' has no attribute '${name}'`);
}

function unsafeAttribute(obj: unknown, name: string): Undefined {
  return new Undefined(`access to attribute '${name}' of '${typeLabel(obj)}' is unsafe`);
}

const boundMethods = new WeakMap<object, Map<string, PyFunction>>();

function bind<T>(self: T, name: string, method: Method<T>, env: RenderEnv): PyFunction {
  return pyFunction(name, (pos, kw) => method(self, pos, kw, env));
}

/** A Python method of a built-in value, bound to it; undefined if the type has no such method. */
function pythonMethod(obj: unknown, name: string, env: RenderEnv): PyFunction | undefined {
  const table = methodsFor(obj);
  if (!table || !Object.prototype.hasOwnProperty.call(table, name)) return undefined;
  return bind(obj as never, name, table[name]!, env);
}

/** An attribute of a host object or function, walking only kiln's own prototypes. */
function hostAttribute(obj: object, name: string): { found: boolean; value?: unknown } {
  let holder: object | null = obj;
  while (holder !== null && !builtinPrototypes.has(holder)) {
    const desc = Object.getOwnPropertyDescriptor(holder, name);
    if (desc) {
      if (desc.get) return { found: true, value: desc.get.call(obj) };
      if (!('value' in desc)) return { found: false };
      const value = desc.value as unknown;
      if (typeof value === 'function' && holder !== obj && !(CALL in value)) {
        // A method on a prototype: bound to its object, keeping its own attributes out of reach.
        let cache = boundMethods.get(obj);
        if (!cache) boundMethods.set(obj, (cache = new Map<string, PyFunction>()));
        let bound = cache.get(name);
        if (!bound) {
          const method = value as (...a: unknown[]) => unknown;
          bound = pyFunction(name, (pos, kw) => hostCall(method, obj, pos, kw));
          cache.set(name, bound);
        }
        return { found: true, value: bound };
      }
      return { found: true, value };
    }
    if (typeof obj === 'function') break; // functions: own properties only
    holder = Object.getPrototypeOf(holder) as object | null;
  }
  return { found: false };
}

/** Calls a host method with the host calling convention (Undefined as undefined, kwargs marked). */
let hostCall: (
  fn: (...a: unknown[]) => unknown,
  self: unknown,
  pos: unknown[],
  kw: Record<string, unknown> | undefined,
) => unknown = () => undefined;
export function setHostCall(fn: typeof hostCall): void {
  hostCall = fn;
}

/** `obj.name`: the attribute, else the item (Jinja's `environment.getattr`). */
export function getattr(obj: unknown, name: string, env: RenderEnv): unknown {
  const value = lookupAttribute(obj, name, env);
  return isSafeValue(value) ? value : unsafeAttribute(obj, name);
}

function lookupAttribute(obj: unknown, name: string, env: RenderEnv): unknown {
  if (obj instanceof Undefined || obj === undefined) throw undefinedError(obj);
  if (!isSafeAttribute(name)) {
    // A dict's keys are data, not attributes: `d._x` reads the item as Jinja2 does; so are a
    // namespace's attributes the template set itself (`ns.constructor`).
    if (isDict(obj) && hasKey(obj, name) && name !== '__proto__') return obj[name];
    if (obj instanceof Object && !name.startsWith('_')) {
      const dynamic = (obj as { __getattr__?: (n: string) => unknown }).__getattr__;
      const v = typeof dynamic === 'function' ? dynamic.call(obj, name) : undefined;
      if (v !== undefined) return v;
    }
    return unsafeAttribute(obj, name);
  }
  const method = pythonMethod(obj, name, env);
  if (method) return method;
  if (obj === null) return missingAttribute(obj, name);
  if (isDict(obj)) return hasKey(obj, name) ? obj[name] : missingAttribute(obj, name);
  if (typeof obj === 'object' || typeof obj === 'function') {
    if (obj instanceof PyFloat) return floatAttribute(obj.value, name) ?? missingAttribute(obj, name);
    // Named tuples (groupby's groups) carry their fields as own properties.
    if (Array.isArray(obj))
      return Object.prototype.hasOwnProperty.call(obj, name) && name !== 'length' && !/^\d+$/.test(name)
        ? (obj as unknown as Record<string, unknown>)[name]
        : missingAttribute(obj, name);
    const attr = hostAttribute(obj, name);
    // A declared attribute left unset (a relation without a database) is None, as in dbt's objects.
    if (attr.found) return attr.value === undefined ? null : attr.value;
    const dynamic = (obj as { __getattr__?: (n: string) => unknown }).__getattr__;
    if (typeof dynamic === 'function') {
      const v = dynamic.call(obj, name);
      if (v !== undefined) return v;
    }
    return missingAttribute(obj, name);
  }
  if (typeof obj === 'number' || typeof obj === 'bigint' || typeof obj === 'boolean')
    return floatAttribute(toNumber(obj), name, obj) ?? missingAttribute(obj, name);
  return missingAttribute(obj, name);
}

/** `real` and `imag` of numbers. */
function floatAttribute(n: number, name: string, original?: unknown): unknown {
  if (name === 'real') return original ?? new PyFloat(n);
  if (name === 'imag') return original !== undefined && !isFloat(original) ? 0 : new PyFloat(0);
  return undefined;
}

/** `obj[key]`: the item, else (for a string key) the attribute (Jinja's `environment.getitem`). */
export function getitem(obj: unknown, key: unknown, env: RenderEnv): unknown {
  const value = lookupItem(obj, key, env);
  return isSafeValue(value) ? value : unsafeAttribute(obj, String(key));
}

function lookupItem(obj: unknown, key: unknown, env: RenderEnv): unknown {
  if (obj instanceof Undefined || obj === undefined) throw undefinedError(obj);
  if (typeof obj === 'string' || Array.isArray(obj)) {
    if (isInt(key) || typeof key === 'boolean') {
      const len = typeof obj === 'string' ? Array.from(obj).length : obj.length;
      let i = Number(toNumber(key));
      if (i < 0) i += len;
      if (i < 0 || i >= len || isPySet(obj)) return new Undefined(`'${typeLabel(obj)}' has no element ${String(key)}`);
      return typeof obj === 'string' ? (obj.length === len ? obj[i] : Array.from(obj)[i]) : obj[i];
    }
  } else if (isDict(obj)) {
    if (Array.isArray(key) || isDict(key)) return new Undefined(`'dict object' has no element ${String(key)}`);
    if (hasKey(obj, key)) return obj[dictKeyOf(key)];
  } else if (obj !== null && typeof obj === 'object' && !(typeof key === 'string' && !isSafeAttribute(key))) {
    const item = (obj as { __getitem__?: (k: unknown) => unknown }).__getitem__;
    if (typeof item === 'function') {
      const v = item.call(obj, key);
      if (v !== undefined) return v;
    }
  }
  if (typeof key === 'string') return getattr(obj, key, env);
  return new Undefined(`'${typeLabel(obj)}' has no element ${String(key)}`);
}

/**
 * What built-in filters, tests and methods may ask of the engine while they run: attribute
 * and item lookup through the sandbox, calls, and the other filters and tests by name.
 */
import type { Kwargs, Undefined } from './values.js';

export interface RenderEnv {
  /** `obj.name` as Jinja's sandbox resolves it (attribute, then item). */
  getattr(obj: unknown, name: string): unknown;
  /** `obj[key]` as Jinja's sandbox resolves it (item, then attribute). */
  getitem(obj: unknown, key: unknown): unknown;
  /** Calls any callable value (macro, builtin, bound method, host function). */
  call(fn: unknown, pos: unknown[], kw?: Kwargs): unknown;
  /** Applies the filter `name` (TemplateRuntimeError-like JinjaError if unknown). */
  applyFilter(name: string, value: unknown, pos: unknown[], kw?: Kwargs): unknown;
  /** Applies the test `name`. */
  applyTest(name: string, value: unknown, pos: unknown[], kw?: Kwargs): boolean;
  /** A fresh Undefined with Jinja's message. */
  makeUndefined(hint: string): Undefined;
}

/** A filter: `value|name(pos..., kw...)`. */
export type Filter = (env: RenderEnv, value: unknown, pos: unknown[], kw: Kwargs) => unknown;
/** A test: `value is name(pos..., kw...)`. */
export type Test = (env: RenderEnv, value: unknown, pos: unknown[], kw: Kwargs) => boolean;
/** A method of a Python built-in type, called on `self`. */
export type Method<T = never> = (self: T, pos: unknown[], kw: Kwargs, env: RenderEnv) => unknown;

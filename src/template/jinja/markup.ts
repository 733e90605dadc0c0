/**
 * markupsafe's Markup as the engine sees it: a value is markup when it has an `__html__`
 * method, as Python's `hasattr(value, "__html__")` asks. The one place `escape`,
 * `forceescape`, `safe`, `striptags`, `xmlattr` and the `escaped` test learn it. kiln's own
 * values have no such method, and a dict's keys are not attributes: `{'__html__': f}` is
 * a plain dict, as in Python.
 */
import { isDict, isUndefined } from './values.js';

function htmlMethod(value: unknown): (() => unknown) | undefined {
  if (value === null || typeof value !== 'object' || isDict(value) || isUndefined(value)) return undefined;
  const method = (value as { __html__?: unknown }).__html__;
  return typeof method === 'function' ? (method as () => unknown) : undefined;
}

export function isMarkup(value: unknown): boolean {
  return htmlMethod(value) !== undefined;
}

/** The text of a markup value (its `__html__()`); undefined for anything else. */
export function markupText(value: unknown): string | undefined {
  const method = htmlMethod(value);
  return method ? String(method.call(value)) : undefined;
}

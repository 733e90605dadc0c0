/**
 * Binding call arguments to a Python signature, with Python's TypeErrors: used by every
 * built-in filter, test, method and global so they accept positional and keyword forms alike.
 */
import { typeError, type Kwargs } from './values.js';

/** A parameter: its name, and its default when it is optional. */
export type Param = string | [name: string, dflt: unknown];

/**
 * The values of `params` in order. A parameter named `*name` takes the remaining positional
 * arguments as an array; `**name` takes the remaining keyword arguments as an object.
 */
export function bindArgs(fnName: string, params: Param[], pos: unknown[], kw: Kwargs): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  const used = new Set<string>();
  let restKw: string | undefined;
  for (const p of params) {
    const [name, dflt, optional] = typeof p === 'string' ? [p, undefined, false] : [p[0], p[1], true];
    if (name.startsWith('**')) {
      restKw = name;
      out.push(undefined);
      continue;
    }
    if (name.startsWith('*')) {
      out.push(pos.slice(i));
      i = pos.length;
      continue;
    }
    if (i < pos.length) {
      if (kw && Object.prototype.hasOwnProperty.call(kw, name))
        throw typeError(`${fnName}() got multiple values for argument '${name}'`);
      out.push(pos[i++]);
    } else if (kw && Object.prototype.hasOwnProperty.call(kw, name)) {
      out.push(kw[name]);
      used.add(name);
    } else if (optional) out.push(dflt);
    else throw typeError(`${fnName}() missing required argument: '${name}'`);
  }
  if (i < pos.length)
    throw typeError(`${fnName}() takes ${params.length} positional arguments but ${pos.length} were given`);
  const extra = kw ? Object.keys(kw).filter((k) => !used.has(k)) : [];
  if (restKw) {
    const rest: Record<string, unknown> = {};
    for (const k of extra) rest[k] = kw![k];
    out[params.indexOf(restKw)] = rest;
  } else if (extra.length) throw typeError(`${fnName}() got an unexpected keyword argument '${extra[0]}'`);
  return out;
}

/**
 * Parsing a SQL file (model, singular test, analysis): what it refs, which sources it reads,
 * what config() it sets — without a warehouse. Simple files are read by simple-template.ts;
 * the rest render once with execute=false, recording the calls.
 */
import type { Template } from '../template/engine.js';
import { KilnError, type ErrorLocation } from '../errors.js';
import type { TemplateEngine, Scope } from '../template/engine.js';
import { analyseSimpleTemplate, exact, type SimplePart } from './simple-template.js';
import { configObject } from '../template/context.js';
import { normaliseConfig, mergeConfig } from './configs.js';
import type { NodeConfig, RefCall } from './nodes.js';
import type { Relation } from '../adapters/relation.js';

export type ParsedTemplate = { kind: 'simple'; parts: SimplePart[] } | { kind: 'jinja'; template: Template };

export interface SqlParseResult {
  template: ParsedTemplate;
  refs: RefCall[];
  sources: Array<[string, string]>;
  config: NodeConfig;
}

export interface ParseCallbacks {
  /** Scope for a full render (var, this, target, ...), without ref/source/config. */
  scope: Scope;
  /** A placeholder relation for ref()/source() during parsing. */
  placeholder: (name: string) => Relation;
  /** Checks what a config() call sets; `at(key)` is where the key is written. */
  checkConfig?: (raw: Record<string, unknown>, at: (key: string) => ErrorLocation) => void;
  /** Off (dbt's `--no-static-parser`): every template is compiled and rendered by the engine. */
  staticParser?: boolean;
}

export function refFromArgs(args: unknown[], kwargs: Record<string, unknown>, file: string): RefCall {
  const strArgs = args.filter((a): a is string => typeof a === 'string');
  if (strArgs.length === 0 || strArgs.length > 2) {
    throw new KilnError('template', `ref() takes a model name, or a package and a model name`, { file });
  }
  const ref: RefCall = strArgs.length === 2 ? { package: strArgs[0], name: strArgs[1]! } : { name: strArgs[0]! };
  void kwargs;
  return ref;
}

export function parseSql(engine: TemplateEngine, text: string, file: string, cb: ParseCallbacks): SqlParseResult {
  const refs: RefCall[] = [];
  const sources: Array<[string, string]> = [];
  let config: NodeConfig = {};
  const simple = cb.staticParser === false ? null : analyseSimpleTemplate(text);
  if (simple) {
    for (const part of simple) {
      if (typeof part === 'string') continue;
      if (part.fn === 'ref') refs.push(refFromArgs(part.args, part.kwargs, file));
      else if (part.fn === 'source') sources.push(sourceArgs(part.args, file));
      else if (part.fn === 'config') {
        const raw = { ...part.kwargs, ...((part.args[0] as object) ?? {}) };
        cb.checkConfig?.(raw, () => ({ file, line: part.line }));
        config = mergeConfig(config, normaliseConfig(raw));
      } else if (part.fn === 'var') {
        try {
          (cb.scope.var as (n: unknown, d?: unknown) => unknown)(part.args[0], part.args[1]);
        } catch (e) {
          if (e instanceof KilnError) throw new KilnError(e.kind, e.message, { file, line: part.line, hint: e.hint });
          throw e;
        }
      }
    }
    return { template: { kind: 'simple', parts: simple }, refs: exact(refs), sources: exact(sources), config };
  }
  const template = engine.compile(text, file);
  const scope: Scope = {
    ...cb.scope,
    ref: (...args: unknown[]) => {
      const kwargs = extractKwargs(args);
      const ref = refFromArgs(args, kwargs, file);
      refs.push(ref);
      return cb.placeholder(ref.name);
    },
    source: (...args: unknown[]) => {
      extractKwargs(args);
      const s = sourceArgs(args, file);
      sources.push(s);
      return cb.placeholder(s[1]);
    },
    config: configObject(
      (kw) => {
        cb.checkConfig?.(kw, (key) => ({ file, line: lineOfConfigKey(text, key) }));
        config = mergeConfig(config, normaliseConfig(kw));
      },
      () => config,
      file,
    ),
  };
  engine.render(template, scope, file);
  return { template: { kind: 'jinja', template }, refs, sources, config };
}

function extractKwargs(args: unknown[]): Record<string, unknown> {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && '__keywords' in last) {
    args.pop();
    const { __keywords, ...rest } = last as Record<string, unknown>;
    void __keywords;
    return rest;
  }
  return {};
}

function sourceArgs(args: unknown[], file: string): [string, string] {
  if (args.length !== 2 || typeof args[0] !== 'string' || typeof args[1] !== 'string') {
    throw new KilnError('template', `source() takes a source name and a table name, e.g. source('shop', 'orders')`, {
      file,
    });
  }
  return [args[0], args[1]];
}

/**
 * The line a key of a config() call is written on, found in the text (a render does not say
 * which line is running): the first `key=` or quoted `'key'` after a `config(`, else the
 * first `config(`.
 */
function lineOfConfigKey(text: string, key: string): number | undefined {
  const call = /\bconfig\s*\(/g;
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const written = new RegExp(`\\b${escaped}\\s*=|['"]${escaped}['"]`, 'g');
  const first = call.exec(text);
  if (!first) return undefined;
  written.lastIndex = first.index;
  const at = written.exec(text)?.index ?? first.index;
  return text.slice(0, at).split('\n').length;
}

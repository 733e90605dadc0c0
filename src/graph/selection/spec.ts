/**
 * Selector text → a selection spec tree. The grammar is dbt's: a token is
 * `[@][N+][method[.arg]:]value[+N]`; words separated by spaces are a union, tokens joined by
 * commas an intersection. Mistakes are bad input that point at the offending token.
 * Pure, like the rest of the grammar (methods.ts, evaluate.ts, glob.ts): the docs site's
 * selection box runs the same code in the browser.
 */
import { KilnError } from '../../errors.js';

export type IndirectSelection = 'eager' | 'cautious' | 'buildable' | 'empty';

export interface SelectorToken {
  raw: string;
  childrens_parents: boolean;
  parentsDepth: number; // 0: none; Infinity: all
  childrenDepth: number;
  /** The full method, arguments included: `config.materialized`, `fqn`. */
  method: string;
  value: string;
}

export interface CriteriaSpec {
  kind: 'criteria';
  token: SelectorToken;
  indirect?: IndirectSelection;
}

export interface SetSpec {
  kind: 'union' | 'intersection';
  parts: SelectionSpec[];
  indirect?: IndirectSelection;
  /** Text to name in the warning when this set selects nothing; unset: no warning. */
  warnIfEmpty?: string;
}

export interface DifferenceSpec {
  kind: 'difference';
  include: SelectionSpec;
  exclude: SelectionSpec;
  indirect?: IndirectSelection;
}

/** Every node and source: the selection when nothing is given. */
export interface EverythingSpec {
  kind: 'everything';
}

export type SelectionSpec = CriteriaSpec | SetSpec | DifferenceSpec | EverythingSpec;

export const methodNames = [
  'fqn',
  'tag',
  'path',
  'file',
  'package',
  'resource_type',
  'source',
  'config',
  'test_type',
  'test_name',
  'unit_test',
  'exposure',
  'group',
  'access',
  'version',
  'source_status',
  'state',
  'result',
  'selector',
  'impact',
] as const;

export const resourceTypes = [
  'model',
  'seed',
  'test',
  'snapshot',
  'analysis',
  'source',
  'exposure',
  'metric',
  'semantic_model',
  'saved_query',
  'unit_test',
  'operation',
];
export const testTypes = ['generic', 'singular', 'unit', 'data'];
export const stateValues = [
  'new',
  'old',
  'modified',
  'unmodified',
  'modified.body',
  'modified.configs',
  'modified.relation',
  'modified.persisted_descriptions',
  'modified.macros',
  'modified.contract',
];
export const resultValues = ['success', 'error', 'fail', 'warn', 'pass', 'skipped', 'cancelled'];
export const accessValues = ['private', 'protected', 'public'];
export const versionValues = ['latest', 'prerelease', 'old', 'none'];
export const sourceStatusValues = ['fresher'];
export const impactValues = ['breaking', 'modified'];

const tokenPattern = /^(@)?(?:(\d*)\+)?(?:([A-Za-z_][\w.]*):)?(.*?)(?:\+(\d*))?$/;

/** A problem with one token; the caller adds where the token stands. */
class TokenProblem extends Error {}

/** Parses one token; throws a KilnError naming it when it is malformed. */
export function parseToken(raw: string): SelectorToken {
  try {
    return parseTokenOrThrow(raw);
  } catch (e) {
    if (e instanceof TokenProblem)
      throw new KilnError('selection', `malformed selector '${raw}': ${e.message}`, { hint: tokenHint });
    throw e;
  }
}

const tokenHint =
  "a selector is [@][N+][method:]value[+N], e.g. 'my_model', '+my_model', " +
  "'2+my_model+1', 'tag:nightly', 'path:models/staging', 'state:modified+'";

function parseTokenOrThrow(raw: string): SelectorToken {
  const m = tokenPattern.exec(raw);
  if (!m) throw new TokenProblem('it does not follow [@][N+][method:]value[+N]');
  const [, at, up, methodPart, body, down] = m;
  const value = body ?? '';
  if (value.includes('@')) throw new TokenProblem("'@' may only come first");
  if (value.includes('+'))
    throw new TokenProblem("'+' may only come first (ancestors) or last (descendants), with an optional depth");
  if (methodPart === undefined && value.includes(':')) {
    throw new TokenProblem(
      `unknown selector method '${value.slice(0, value.indexOf(':'))}'; known methods: ${methodNames.join(', ')}`,
    );
  }
  if (!value) throw new TokenProblem(methodPart ? `no value after '${methodPart}:'` : 'no node name or method');
  const parentsDepth = up === undefined ? 0 : up === '' ? Infinity : Number(up);
  const childrenDepth = down === undefined ? 0 : down === '' ? Infinity : Number(down);
  if (at && up !== undefined)
    throw new TokenProblem("'@' cannot be combined with a '+' prefix: use '@model' or '+model'");
  let method: string;
  if (methodPart !== undefined) method = methodPart;
  else if (value.includes('/') || value.includes('\\')) method = 'path';
  else if (/\.(sql|csv|py)$/.test(value)) method = 'file';
  else method = 'fqn';
  const [base, ...args] = method.split('.');
  if (!(methodNames as readonly string[]).includes(base!))
    throw new TokenProblem(
      `unknown selector method '${method}'; known methods: ${methodNames.join(', ')}, config.<key>`,
    );
  if (base === 'config' && !args.length) throw new TokenProblem("config needs a key: 'config.materialized:table'");
  if (base !== 'config' && args.length) throw new TokenProblem(`method '${base}' takes no '.${args.join('.')}'`);
  const oneOf = (allowed: string[], what: string) => {
    if (!allowed.includes(value))
      throw new TokenProblem(`'${value}' is not a ${what}; expected one of: ${allowed.join(', ')}`);
  };
  if (base === 'resource_type') oneOf(resourceTypes, 'resource type');
  if (base === 'test_type') oneOf(testTypes, 'test type');
  if (base === 'state') oneOf(stateValues, 'state check');
  if (base === 'result') oneOf(resultValues, 'result status');
  if (base === 'access') oneOf(accessValues, 'model access');
  if (base === 'version') oneOf(versionValues, 'version check');
  if (base === 'source_status') oneOf(sourceStatusValues, 'source status check');
  if (base === 'impact') oneOf(impactValues, 'impact check');
  if (base === 'exposure' && value.split('.').length > 2)
    throw new TokenProblem(`'${value}' is not an exposure: expected 'name' or 'package.name'`);
  return {
    raw,
    childrens_parents: Boolean(at),
    parentsDepth,
    childrenDepth: at ? Infinity : childrenDepth,
    method,
    value,
  };
}

/** Where an expression came from, for error messages: `--select`, or a selectors.yml line. */
export interface ExpressionOrigin {
  flag?: string;
  file?: string;
  line?: number;
}

/**
 * One `--select` value: space-separated words are a union, comma-joined tokens an
 * intersection. Each word warns when it selects nothing.
 */
export function parseExpression(expr: string, origin: ExpressionOrigin = {}, warn = true): SelectionSpec {
  const words: SelectionSpec[] = [];
  const re = /\S+/g;
  for (let w = re.exec(expr); w; w = re.exec(expr)) {
    const word = w[0];
    const parts: SelectionSpec[] = [];
    let offset = w.index;
    for (const tok of word.split(',')) {
      if (!tok) fail(expr, offset, 1, "empty selector next to ','", origin);
      try {
        parts.push({ kind: 'criteria', token: parseTokenOrThrow(tok) });
      } catch (e) {
        if (e instanceof TokenProblem)
          fail(expr, offset, tok.length, `malformed selector '${tok}': ${e.message}`, origin);
        throw e;
      }
      offset += tok.length + 1;
    }
    words.push({ kind: 'intersection', parts, warnIfEmpty: warn ? word : undefined });
  }
  if (!words.length) fail(expr, 0, 1, 'empty selector', origin);
  return words.length === 1 ? words[0]! : { kind: 'union', parts: words };
}

function fail(expr: string, at: number, length: number, message: string, origin: ExpressionOrigin): never {
  const label = origin.flag ? `${origin.flag} ` : '';
  const quoted = `${label}'${expr}'`;
  const caret = ' '.repeat(label.length + 1 + at) + '^'.repeat(Math.max(1, length));
  throw new KilnError('selection', `${message}\n    ${quoted}\n    ${caret}`, {
    file: origin.file,
    line: origin.line,
    hint: tokenHint,
  });
}

export function union(parts: SelectionSpec[]): SelectionSpec {
  return parts.length === 1 ? parts[0]! : { kind: 'union', parts };
}

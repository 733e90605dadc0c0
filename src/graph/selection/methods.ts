/**
 * Selector methods: does one node match `method:value`? Pure: the docs site's selection box
 * runs these on its own data, so a node is the few fields selection reads, not a manifest
 * node, and another run's artifacts come in through the interfaces below.
 */
import { KilnError } from '../../errors.js';
import { glob, hasWildcard } from './glob.js';
import type { SelectorToken } from './spec.js';

/**
 * What selection reads of a node. The manifest's nodes, sources and exposures have this
 * shape; the docs site builds it from its site data.
 */
export interface SelectableNode {
  uniqueId: string;
  resourceType: string;
  name: string;
  packageName: string;
  fqn: string[];
  /** The file the node comes from: its SQL or CSV, or the YAML that declares it. */
  originalFilePath: string;
  tags?: string[];
  config?: object;
  /** Sources only. */
  sourceName?: string;
  /** Generic tests only: the generic test used, without its package. */
  testMetadata?: { name: string };
}

/**
 * What `state:` and `result:` compare against: another run's artifacts (src/state/).
 * Kept as an interface so selection does not depend on how artifacts are read.
 */
export interface StateView {
  /** `check` is one of stateValues: 'new', 'modified', 'modified.body', ... */
  matches(id: string, check: string): boolean;
  /** The node's status in the previous run_results.json; undefined when it did not run. */
  resultStatus(id: string): string | undefined;
  hasRunResults: boolean;
}

/** `source_status:fresher` (src/graph/selection/source-status.ts reads the two sources.json). */
export interface SourceStatusView {
  fresher(id: string): boolean;
}

/** `impact:breaking` and `impact:modified` (src/graph/selection/impact-status.ts reads impact.json). */
export interface ImpactView {
  matches(id: string, value: string): boolean;
}

/** What the methods that look beyond the node read; each is absent when the caller has none. */
export interface MethodInputs {
  /** The root project, for `package:this`. */
  projectName: string;
  state?: StateView;
  sourceStatus?: SourceStatusView;
  impact?: ImpactView;
}

/**
 * dbt's fqn rule for one fqn (from its part `from` on): the leaf equals the selector, or the selector's dotted parts
 * equal the fqn's first parts (dots inside a name split it too) up to the first part with a
 * wildcard, from which the rest of the selector must glob-match the rest of the fqn.
 */
function fqnRule(selector: string): (fqn: readonly string[], from: number) => boolean {
  const parts = selector.split('.');
  const wild = parts.findIndex(hasWildcard);
  const rest = wild < 0 ? undefined : glob(parts.slice(wild).join('.'));
  const fixed = wild < 0 ? parts.length : wild;
  return (fqn, from) => {
    if (fqn.length > from && fqn[fqn.length - 1] === selector) return true;
    // A package name has no dots, so the flattened fqn still starts its unscoped part at `from`.
    const flat = flatFqn(fqn);
    if (flat.length - from < parts.length) return false;
    for (let i = 0; i < fixed; i++) if (flat[from + i] !== parts[i]) return false;
    return rest === undefined || rest.test(flat.slice(from + wild).join('.'));
  };
}

const flatFqns = new WeakMap<readonly string[], readonly string[]>();

function flatFqn(fqn: readonly string[]): readonly string[] {
  if (!fqn.some((s) => s.includes('.'))) return fqn;
  let flat = flatFqns.get(fqn);
  if (!flat) flatFqns.set(fqn, (flat = fqn.flatMap((s) => s.split('.'))));
  return flat;
}

/** The token as a predicate on nodes, prepared once per token. */
export function matcher(token: SelectorToken, inputs: MethodInputs): (node: SelectableNode) => boolean {
  const v = token.value;
  if (token.method === 'fqn') {
    const rule = fqnRule(v);
    // kiln's addition: a glob also matches the bare name, so `stg_*` reaches into folders.
    const nameGlob = hasWildcard(v) ? glob(v) : undefined;
    // Sources are reached with `source:`, as in dbt.
    return (node) =>
      node.resourceType !== 'source' &&
      (rule(node.fqn, 0) || rule(node.fqn, 1) || (nameGlob !== undefined && nameGlob.test(node.name)));
  }
  if (token.method === 'impact') {
    const impact = inputs.impact;
    if (!impact)
      throw new KilnError('selection', `'${token.raw}' needs this project's target/impact.json`, {
        hint: 'run `kiln impact --state <production artifacts>` first',
      });
    return (node) => impact.matches(node.uniqueId, v);
  }
  const [method, ...args] = token.method.split('.');
  return (node) => matches(token, method!, args, node, inputs);
}

function matches(
  token: SelectorToken,
  method: string,
  args: string[],
  node: SelectableNode,
  inputs: MethodInputs,
): boolean {
  const v = token.value;
  const config = () => (node.config ?? {}) as Record<string, unknown>;
  switch (method) {
    case 'tag':
      return (node.tags ?? []).some((t) => glob(v).test(t));
    case 'path': {
      const p = v.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
      const file = node.originalFilePath;
      return file === p || file.startsWith(`${p}/`) || (hasWildcard(p) && glob(p).test(file));
    }
    case 'file': {
      const base = node.originalFilePath.split('/').pop()!;
      return glob(v).test(base) || glob(v).test(base.replace(/\.[^.]*$/, ''));
    }
    case 'resource_type':
      return node.resourceType === v;
    case 'package':
      return glob(v === 'this' ? inputs.projectName : v).test(node.packageName);
    case 'source': {
      if (node.resourceType !== 'source') return false;
      const parts = v.split('.');
      const [pkg, src, table] = parts.length >= 3 ? parts : [undefined, parts[0], parts[1]];
      return (
        (pkg === undefined || glob(pkg).test(node.packageName)) &&
        glob(src!).test(node.sourceName ?? '') &&
        (table === undefined || glob(table).test(node.name))
      );
    }
    case 'test_type': {
      if (node.resourceType === 'unit_test') return v === 'unit';
      if (node.resourceType !== 'test') return false;
      const generic = Boolean(node.testMetadata);
      // `data` is both kinds of data test.
      return v === 'generic' ? generic : v === 'singular' ? !generic : v === 'data';
    }
    case 'test_name':
      return node.resourceType === 'test' && glob(v).test(node.testMetadata?.name ?? node.name);
    case 'config':
      return configMatches(config(), args, v);
    case 'unit_test': {
      // `unit_test:name`, `unit_test:model.name` or `unit_test:pkg.model.name`, globs allowed.
      if (node.resourceType !== 'unit_test') return false;
      const parts = v.split('.');
      const tail = node.fqn.slice(-parts.length);
      return tail.length === parts.length && parts.every((p, i) => glob(p).test(tail[i]!));
    }
    case 'exposure': {
      // dbt's rule: `name` or `package.name`, each part a glob.
      if (node.resourceType !== 'exposure') return false;
      const parts = v.split('.');
      const [pkg, name] = parts.length === 2 ? parts : [undefined, parts[0]!];
      return (pkg === undefined || glob(pkg).test(node.packageName)) && glob(name).test(node.name);
    }
    case 'group': {
      const group = config().group;
      return typeof group === 'string' && glob(v).test(group);
    }
    case 'access':
      // dbt's default access is `protected`; only models have one.
      return node.resourceType === 'model' && String(config().access ?? 'protected') === v;
    case 'version':
      // kiln parses no model versions: every model is unversioned.
      return node.resourceType === 'model' && v === 'none';
    case 'source_status':
      return node.resourceType === 'source' && (inputs.sourceStatus ?? noSourceStatus).fresher(node.uniqueId);
    case 'state':
      return requireState(inputs.state, token).matches(node.uniqueId, v);
    case 'result': {
      const s = requireState(inputs.state, token);
      if (!s.hasRunResults)
        throw new KilnError(
          'selection',
          `'${token.raw}' needs run_results.json in the --state folder, which has none`,
          { hint: 'point --state at the target folder of a run, test or build' },
        );
      return s.resultStatus(node.uniqueId) === v;
    }
  }
  return false;
}

const noSourceStatus: SourceStatusView = {
  fresher: () => {
    throw new KilnError('selection', "'source_status:' compares with another run, but no --state was given", {
      hint: 'pass --state <folder of the run to compare with, holding its sources.json>',
    });
  },
};

function requireState(state: StateView | undefined, token: SelectorToken): StateView {
  if (!state)
    throw new KilnError('selection', `'${token.raw}' compares with another run, but no --state was given`, {
      hint: "pass --state <folder holding that run's manifest.json>, e.g. --state prod-artifacts/",
    });
  return state;
}

function configMatches(config: Record<string, unknown>, path: string[], value: string): boolean {
  let cur: unknown = config;
  for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  const one = (x: unknown) => {
    if (typeof x === 'boolean') return String(x) === value.toLowerCase();
    if (x === null || x === undefined || typeof x === 'object') return false;
    return glob(value).test(String(x));
  };
  return Array.isArray(cur) ? cur.some(one) : one(cur);
}

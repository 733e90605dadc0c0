/** Selector methods: does one node match `method:value`? */
import { KilnError } from '../../errors.js';
import type { ExposureNode, GraphNode, SourceNode, TestNode } from '../../parse/nodes.js';
import type { SelectorToken } from './spec.js';
import type { SourceStatus } from './source-status.js';
import type { ImpactStatus } from './impact-status.js';

export type AnyNode = GraphNode | SourceNode | ExposureNode;

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

const globCache = new Map<string, RegExp>();

export function glob(pattern: string): RegExp {
  let re = globCache.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    try {
      re = new RegExp(`^${body}$`);
    } catch {
      // An unbalanced '[' is a literal character, not a class.
      re = new RegExp(`^${body.replace(/[[\]]/g, '\\$&')}$`);
    }
    globCache.set(pattern, re);
  }
  return re;
}

const hasWildcard = (s: string) => /[*?[\]]/.test(s);

const flatFqns = new WeakMap<string[], string[]>();

/** dbt's fqn rule: the leaf equals the value, or each dotted part matches the fqn from `from` on. */
function fqnMatches(fqn: string[], selector: string, parts: Array<string | RegExp>, from: number): boolean {
  if (fqn[fqn.length - 1] === selector && from === 0) return true;
  let flat = flatFqns.get(fqn);
  if (!flat) flatFqns.set(fqn, (flat = fqn.some((s) => s.includes('.')) ? fqn.flatMap((s) => s.split('.')) : fqn));
  if (flat.length - from < parts.length) return false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const seg = flat[i + from]!;
    if (typeof p === 'string' ? seg !== p : !p.test(seg)) return false;
  }
  return true;
}

/** The token as a predicate on nodes, prepared once per token. */
export function matcher(token: SelectorToken, projectName: string, state: StateView | undefined, sourceStatus?: SourceStatus, impact?: ImpactStatus): (node: AnyNode) => boolean {
  if (token.method === 'fqn') {
    const v = token.value;
    const parts = v.split('.').map((p) => (hasWildcard(p) ? glob(p) : p));
    const nameGlob = hasWildcard(v) ? glob(v) : undefined;
    // Sources are reached with `source:`, as in dbt.
    return (node) => node.resourceType !== 'source' && (fqnMatches(node.fqn, v, parts, 0) || fqnMatches(node.fqn, v, parts, 1) || (nameGlob !== undefined && nameGlob.test(node.name)));
  }
  if (token.method === 'impact') {
    if (!impact) throw new KilnError('selection', `'${token.raw}' needs this project's target/impact.json`, { hint: 'run `kiln impact --state <production artifacts>` first' });
    return (node) => impact.matches(node.uniqueId, token.value);
  }
  return (node) => matches(token, node, projectName, state, sourceStatus);
}

function matches(token: SelectorToken, node: AnyNode, projectName: string, state: StateView | undefined, sourceStatus: SourceStatus | undefined): boolean {
  const v = token.value;
  const [method = '', ...args] = token.method.split('.');
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
      return glob(v === 'this' ? projectName : v).test(node.packageName);
    case 'source': {
      if (node.resourceType !== 'source') return false;
      const s = node as SourceNode;
      const parts = v.split('.');
      const [pkg, src, table] = parts.length >= 3 ? parts : [undefined, parts[0], parts[1]];
      return (pkg === undefined || glob(pkg).test(s.packageName)) && glob(src!).test(s.sourceName) && (table === undefined || glob(table).test(s.name));
    }
    case 'test_type': {
      if (node.resourceType === 'unit_test') return v === 'unit';
      if (node.resourceType !== 'test') return false;
      const generic = Boolean((node as TestNode).testMetadata);
      // `data` is both kinds of data test.
      return v === 'generic' ? generic : v === 'singular' ? !generic : v === 'data';
    }
    case 'test_name':
      return node.resourceType === 'test' && glob(v).test((node as TestNode).testMetadata?.name ?? node.name);
    case 'config':
      return configMatches(node.config as Record<string, unknown>, args, v);
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
      return (pkg === undefined || glob(pkg).test(node.packageName)) && glob(name!).test(node.name);
    }
    case 'group': {
      const group = node.config?.group;
      return typeof group === 'string' && glob(v).test(group);
    }
    case 'access':
      // dbt's default access is `protected`; only models have one.
      return node.resourceType === 'model' && String(node.config.access ?? 'protected') === v;
    case 'version':
      // kiln parses no model versions: every model is unversioned.
      return node.resourceType === 'model' && v === 'none';
    case 'source_status':
      return node.resourceType === 'source' && (sourceStatus ?? noSourceStatus).fresher(node.uniqueId);
    case 'state':
      return requireState(state, token).matches(node.uniqueId, v);
    case 'result': {
      const s = requireState(state, token);
      if (!s.hasRunResults) throw new KilnError('selection', `'${token.raw}' needs run_results.json in the --state folder, which has none`, { hint: 'point --state at the target folder of a run, test or build' });
      return s.resultStatus(node.uniqueId) === v;
    }
  }
  return false;
}

const noSourceStatus = { fresher: (): boolean => { throw new KilnError('selection', "'source_status:' compares with another run, but no --state was given", { hint: 'pass --state <folder of the run to compare with, holding its sources.json>' }); } };

function requireState(state: StateView | undefined, token: SelectorToken): StateView {
  if (!state) throw new KilnError('selection', `'${token.raw}' compares with another run, but no --state was given`, { hint: 'pass --state <folder holding that run\'s manifest.json>, e.g. --state prod-artifacts/' });
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

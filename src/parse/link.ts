/**
 * Linking: each node's `dependsOn` from the refs and sources it recorded, resolved by dbt's
 * search rules. The one place that writes `dependsOn`; a ref to nothing is bad input that
 * names the file, line and column of the call.
 */
import { KilnError } from '../errors.js';
import type { ExposureNode, GraphNode, Manifest, TestNode } from './nodes.js';

/** What a dependency error needs to know about the node that has the dependency. */
type Dependent = Pick<GraphNode, 'name' | 'resourceType' | 'packageName' | 'originalFilePath'> | ExposureNode;

export const refable = new Set(['model', 'seed', 'snapshot']);

export function linkDependencies(manifest: Manifest): void {
  const byName = new Map<string, GraphNode>();
  for (const n of manifest.nodes.values()) if (refable.has(n.resourceType)) byName.set(`${n.packageName}.${n.name}`, n);
  const refTarget = (node: Dependent, name: string, pkg?: string): string => {
    // dbt's search: a named package only; else the root project, the node's own package, then any.
    const hit = pkg
      ? byName.get(`${pkg}.${name}`)
      : (byName.get(`${manifest.projectName}.${name}`) ??
        byName.get(`${node.packageName}.${name}`) ??
        [...byName.values()].find((n) => n.name === name));
    if (!hit) {
      const where = (node as TestNode).declaredAt ?? { file: node.originalFilePath };
      throw new KilnError(
        'graph',
        `${describe(node)} depends on '${pkg ? `${pkg}.` : ''}${name}', which was not found`,
        {
          file: where.file,
          line: (where as { line?: number }).line,
          hint: suggest(
            name,
            [...byName.values()].map((n) => n.name),
          ),
        },
      );
    }
    return hit.uniqueId;
  };
  const sourceIds = new Map<string, string>();
  for (const s of manifest.sources.values()) {
    sourceIds.set(`${s.packageName}.${s.sourceName}.${s.name}`, s.uniqueId);
    if (!sourceIds.has(`.${s.sourceName}.${s.name}`)) sourceIds.set(`.${s.sourceName}.${s.name}`, s.uniqueId);
  }
  // Exposures read what they name like any node; nothing reads them.
  for (const node of [...manifest.nodes.values(), ...(manifest.exposures?.values() ?? [])]) {
    const deps = new Set<string>();
    node.refs.forEach((r, i) => {
      try {
        deps.add(refTarget(node, r.name, r.package));
      } catch (e) {
        throw atCallSite(e, node, 'ref', i, r.package === undefined ? [r.name] : [r.package, r.name]);
      }
    });
    for (const [i, [src, table]] of node.sources.entries()) {
      const id =
        sourceIds.get(`${manifest.projectName}.${src}.${table}`) ??
        sourceIds.get(`${node.packageName}.${src}.${table}`) ??
        sourceIds.get(`.${src}.${table}`);
      if (!id) {
        const where = (node as TestNode).declaredAt ?? { file: node.originalFilePath };
        const tables = [...manifest.sources.values()].filter((s) => s.sourceName === src).map((s) => s.name);
        const near = suggest(table, tables);
        throw atCallSite(
          new KilnError('graph', `${describe(node)} reads source('${src}', '${table}'), which is not defined`, {
            file: where.file,
            line: (where as { line?: number }).line,
            hint:
              tables.length && near.startsWith('did you mean')
                ? near
                : `declare it under sources: in a properties .yml (name: ${src}, tables: [{name: ${table}}])`,
          }),
          node,
          'source',
          i,
          [src, table],
        );
      }
      deps.add(id);
    }
    node.dependsOn.nodes = [...deps];
  }
}

/**
 * Where the i-th ref() (or source()) of a node is written: line and column of the call in its
 * file. Looked up in the text only when an error needs it: the call with these literal
 * arguments, else the i-th call of that name (arguments built by Jinja). A node declared in
 * YAML (a generic test) keeps the line of its YAML entry.
 */
export function callSite(
  node: Dependent,
  fn: 'ref' | 'source',
  index: number,
  args: string[],
): { line?: number; column?: number } {
  if ((node as TestNode).declaredAt || node.resourceType === 'exposure' || node.resourceType === 'snapshot') return {};
  const text = (node as GraphNode).rawCode ?? '';
  const quoted = args.map((a) => `\\s*['"]${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]\\s*`).join(',');
  const literal = new RegExp(`\\b${fn}\\s*\\(${quoted}[,)]`).exec(text);
  let at = literal?.index;
  if (at === undefined) {
    const any = new RegExp(`\\b${fn}\\s*\\(`, 'g');
    for (let i = 0, m = any.exec(text); m; i++, m = any.exec(text)) {
      if (i === index) {
        at = m.index;
        break;
      }
    }
  }
  if (at === undefined) return {};
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

/** A dependency error, moved to the line and column of the call that made the dependency. */
function atCallSite(e: unknown, node: Dependent, fn: 'ref' | 'source', index: number, args: string[]): unknown {
  if (!(e instanceof KilnError) || e.line !== undefined) return e;
  const site = callSite(node, fn, index, args);
  if (site.line === undefined) return e;
  return new KilnError(e.kind, e.message, { file: e.file, line: site.line, column: site.column, hint: e.hint });
}

function describe(node: Dependent): string {
  if (node.resourceType === 'sql_operation') return 'the --inline query';
  return `${node.resourceType} '${node.name}'`;
}

function suggest(name: string, names: string[]): string {
  const close = names.filter((n) => distance(n, name) <= 2).slice(0, 3);
  return close.length
    ? `did you mean ${close.map((c) => `'${c}'`).join(' or ')}?`
    : 'check the name in ref(), or add the model';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i]![j] = Math.min(
        dp[i - 1]![j]! + 1,
        dp[i]![j - 1]! + 1,
        dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return dp[a.length]![b.length]!;
}

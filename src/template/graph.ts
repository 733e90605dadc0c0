/**
 * Context values that need the whole parsed project: `graph` (dbt's nodes/sources/macros
 * mapping, built on first use once parsing is over) and `doc()` in SQL files.
 */
import { KilnError } from '../errors.js';
import type { TemplateEngine } from './engine.js';

interface ProjectView {
  nodes: Map<string, { uniqueId: string; resourceType: string; name: string; packageName: string; path: string; originalFilePath: string; fqn: string[]; config: Record<string, unknown>; tags: string[]; meta: Record<string, unknown>; description: string; columns: Record<string, unknown>; dependsOn: { nodes: string[]; macros: string[] }; refs: Array<{ name: string; package?: string }>; sources: Array<[string, string]>; database?: string; schema: string; alias: string; rawCode: string }>;
  sources: Array<{ uniqueId: string; name: string; sourceName: string; packageName: string; database?: string; schema: string; identifier: string; description: string; columns: Record<string, unknown>; meta: Record<string, unknown>; tags: string[]; config: Record<string, unknown>; fqn: string[]; loader: string }>;
  docs: Map<string, { name: string; blockContents: string }>;
  macros: Map<string, { uniqueId: string; name: string; packageName: string; originalFilePath: string }>;
  exposures?: Map<string, { uniqueId: string; name: string; packageName: string; type: string; owner: Record<string, unknown>; label?: string; description: string; url?: string; maturity?: string; tags: string[]; meta: Record<string, unknown>; config: Record<string, unknown>; fqn: string[]; originalFilePath: string; dependsOn: { nodes: string[]; macros: string[] } }>;
}

export function installLateGlobals(engine: TemplateEngine, p: ProjectView): void {
  const docsByName = new Map([...p.docs.values()].map((d) => [d.name, d.blockContents]));
  engine.setGlobal('doc', (a: string, b?: string) => {
    const found = docsByName.get(b ?? a);
    if (found === undefined) throw new KilnError('template', `doc('${b ?? a}') refers to a docs block that does not exist`, { hint: 'define it in a .md file: {% docs name %}...{% enddocs %}' });
    return found;
  });
  let graph: Record<string, unknown> | undefined;
  Object.defineProperty(engine.globals, 'graph', {
    configurable: true,
    enumerable: true,
    get: () => (graph ??= buildGraph(p)),
  });
}

function buildGraph(p: ProjectView): Record<string, unknown> {
  const nodes: Record<string, unknown> = {};
  for (const n of p.nodes.values()) {
    nodes[n.uniqueId] = {
      unique_id: n.uniqueId,
      resource_type: n.resourceType,
      name: n.name,
      package_name: n.packageName,
      path: n.path,
      original_file_path: n.originalFilePath,
      fqn: n.fqn,
      config: n.config,
      tags: n.tags,
      meta: n.meta,
      description: n.description,
      columns: n.columns,
      depends_on: { nodes: n.dependsOn.nodes, macros: n.dependsOn.macros },
      refs: n.refs.map((r) => ({ name: r.name, package: r.package ?? null, version: null })),
      sources: n.sources,
      database: n.database ?? null,
      schema: n.schema,
      alias: n.alias,
      identifier: n.alias,
      raw_code: n.rawCode,
    };
  }
  const sources: Record<string, unknown> = {};
  for (const s of p.sources) {
    sources[s.uniqueId] = { unique_id: s.uniqueId, resource_type: 'source', name: s.name, source_name: s.sourceName, package_name: s.packageName, database: s.database ?? null, schema: s.schema, identifier: s.identifier, description: s.description, columns: s.columns, meta: s.meta, tags: s.tags, config: s.config, fqn: s.fqn, loader: s.loader };
  }
  const macros: Record<string, unknown> = {};
  for (const m of p.macros.values()) macros[m.uniqueId] = { unique_id: m.uniqueId, name: m.name, package_name: m.packageName, original_file_path: m.originalFilePath };
  const exposures: Record<string, unknown> = {};
  for (const e of p.exposures?.values() ?? []) {
    exposures[e.uniqueId] = { unique_id: e.uniqueId, resource_type: 'exposure', name: e.name, label: e.label ?? null, type: e.type, owner: e.owner, package_name: e.packageName, original_file_path: e.originalFilePath, fqn: e.fqn, description: e.description, url: e.url ?? null, maturity: e.maturity ?? null, tags: e.tags, meta: e.meta, config: e.config, depends_on: e.dependsOn };
  }
  return { nodes, sources, macros, exposures, metrics: {}, groups: {}, semantic_models: {}, saved_queries: {} };
}

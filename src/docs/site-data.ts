/**
 * Turns dbt-shaped artifacts (manifest, catalog, run_results, sources) into the
 * compact SiteData the documentation site ships. Tolerant of missing fields.
 * Pure: no DOM, no Node.
 */
import {
  derivedTestFqn,
  SITE_DATA_VERSION,
  type SiteColumn,
  type SiteData,
  type SiteForeignKey,
  type SiteNode,
  type SiteRun,
} from './model.js';
import { attachColumnLineage } from './column-lineage-data.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface BuildInput {
  manifest: Any;
  catalog?: Any;
  runResults?: Any;
  sources?: Any;
  /** target/column_lineage.json, when there is one. */
  columnLineage?: Any;
}

const INTERNAL_MACRO_PACKAGES = /^(kiln|dbt(_(postgres|duckdb|snowflake|bigquery|redshift|spark|databricks|trino))?)$/;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = (v: unknown): string[] | undefined => (Array.isArray(v) && v.length ? v.map(String) : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length ? (v as Record<string, unknown>) : undefined;
const values = (v: unknown): Any[] => (v && typeof v === 'object' ? Object.values(v) : []);

const DOC_CALL = /\{\{\s*doc\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]+)\3\s*)?\)\s*\}\}/g;

/** Resolve `{{ doc('name') }}` and `{{ doc('package', 'name') }}` against the manifest's docs blocks. */
export function makeDocResolver(docs: Any): (text: string | undefined, pkg?: string) => string | undefined {
  const byKey = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const d of values(docs)) {
    const name = str(d?.name);
    if (!name) continue;
    const body = typeof d.block_contents === 'string' ? d.block_contents : '';
    byKey.set(`${d.package_name ?? ''}.${name}`, body);
    if (!byName.has(name)) byName.set(name, body);
  }
  const resolve = (text: string | undefined, pkg: string | undefined, depth: number): string | undefined => {
    if (!text || !text.includes('doc(')) return text;
    return text.replace(DOC_CALL, (m, _q1, a: string, _q2, b: string | undefined) => {
      const found = b !== undefined ? byKey.get(`${a}.${b}`) : (byKey.get(`${pkg ?? ''}.${a}`) ?? byName.get(a));
      if (found === undefined) return m;
      return depth < 4 ? (resolve(found, b !== undefined ? a : pkg, depth + 1) ?? '') : found;
    });
  };
  return (text, pkg) => resolve(text, pkg, 0);
}

/** A colour name or hex code: nothing else reaches a style attribute. */
const CSS_COLOUR = /^(#[0-9a-f]{3,8}|[a-z]{3,20})$/i;

/** Config keys shown elsewhere on the page, or defaults not worth shipping 10,000 times. */
const CONFIG_SHOWN_ELSEWHERE = new Set(['tags', 'meta', 'materialized', 'severity', 'docs']);

function pruneConfig(config: Any): Record<string, unknown> | undefined {
  if (!config || typeof config !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null || v === undefined || v === '' || CONFIG_SHOWN_ELSEWHERE.has(k) || (k === 'enabled' && v === true))
      continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function runOf(r: Any): SiteRun {
  const timing: Any[] = Array.isArray(r?.timing) ? r.timing : [];
  const exec = timing.find((t) => t?.name === 'execute') ?? null;
  const first = timing[0];
  const last = timing[timing.length - 1];
  const run: SiteRun = { status: String(r?.status ?? 'unknown') };
  if (typeof r?.execution_time === 'number') run.time = r.execution_time;
  if (r?.message != null) run.message = String(r.message);
  if (typeof r?.failures === 'number') run.failures = r.failures;
  const start = str(exec?.started_at) ?? str(first?.started_at);
  const end = str(exec?.completed_at) ?? str(last?.completed_at);
  if (start) run.start = start;
  if (end) run.end = end;
  if (r?.thread_id != null) run.thread = String(r.thread_id);
  return run;
}

function mergeColumns(
  manifestCols: Any,
  catalogCols: Any,
  resolveDoc: (t: string | undefined, p?: string) => string | undefined,
  pkg: string,
): SiteColumn[] | undefined {
  const out: SiteColumn[] = [];
  const byLower = new Map<string, SiteColumn>();
  const cat = values(catalogCols)
    .slice()
    .sort((a, b) => (Number(a?.index) || 0) - (Number(b?.index) || 0));
  for (const c of cat) {
    const name = str(c?.name);
    if (!name) continue;
    const col: SiteColumn = { name };
    const type = str(c?.type);
    if (type) col.type = type;
    const comment = str(c?.comment);
    if (comment) col.desc = comment;
    out.push(col);
    byLower.set(name.toLowerCase(), col);
  }
  for (const [key, c] of Object.entries(manifestCols && typeof manifestCols === 'object' ? manifestCols : {})) {
    const m = c as Any;
    const name = str(m?.name) ?? key;
    let col = byLower.get(name.toLowerCase());
    if (!col) {
      col = { name };
      out.push(col);
      byLower.set(name.toLowerCase(), col);
    } else if (col.name !== name && col.name === col.name.toUpperCase()) {
      col.name = name; // prefer the documented spelling
    }
    const desc = resolveDoc(str(m?.description), pkg);
    if (desc) col.desc = desc;
    const dt = str(m?.data_type);
    if (dt && !col.type) col.type = dt;
    const tags = arr(m?.tags);
    if (tags) col.tags = tags;
    const meta = obj(m?.meta);
    if (meta) col.meta = meta;
  }
  return out.length ? out : undefined;
}

/** The `{% docs __overview__ %}` of each installed package (not dbt's own, not the root project's). */
function packageOverviews(
  docs: Any,
  projectName: string,
  resolveDoc: (t: string | undefined, p?: string) => string | undefined,
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const d of values(docs)) {
    const pkg = str(d?.package_name);
    if (d?.name !== '__overview__' || !pkg || pkg === 'dbt' || pkg === projectName) continue;
    const text = resolveDoc(str(d.block_contents), pkg);
    if (text) out[pkg] = text;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Finds the node a `ref('x')`, `ref('pkg', 'x')` or `source('s', 't')` string names, if any. */
function relationResolver(nodes: SiteNode[]): (text: string) => number | undefined {
  const byKey = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (n.type === 'source') byKey.set(`source:${n.source}.${n.name}`, i);
    else if (n.type !== 'test' && n.type !== 'macro' && n.type !== 'unit_test') {
      if (!byKey.has(`ref:${n.name}`)) byKey.set(`ref:${n.name}`, i);
      byKey.set(`ref:${n.pkg}.${n.name}`, i);
    }
  });
  return (text) => {
    const m = /^\s*(ref|source)\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?(?:,[^)]*)?\)\s*$/.exec(text);
    if (!m) return undefined;
    return byKey.get(m[3] ? `${m[1]}:${m[2]}.${m[3]}` : `${m[1]}:${m[2]}`);
  };
}

/** Columns learn their foreign keys from `relationships` tests and `foreign_key` constraints. */
function addForeignKeys(raw: Any[], nodes: SiteNode[]): void {
  let resolve: ((text: string) => number | undefined) | null = null;
  const add = (owner: number | undefined, column: string | undefined, to: unknown, toColumn: unknown) => {
    if (owner === undefined || !column || typeof to !== 'string') return;
    const col = nodes[owner]!.cols?.find((c) => c.name.toLowerCase() === column.replace(/^"|"$/g, '').toLowerCase());
    if (!col) return;
    const target = (resolve ??= relationResolver(nodes))(to);
    const fk: SiteForeignKey = {
      label: `${to}${typeof toColumn === 'string' ? `.${toColumn}` : ''}`,
      ...(target !== undefined ? { target } : {}),
      ...(typeof toColumn === 'string' ? { column: toColumn } : {}),
    };
    if (!(col.fk ??= []).some((f) => f.label === fk.label)) col.fk.push(fk);
  };
  raw.forEach((n: Any, i: number) => {
    const node = nodes[i]!;
    if (node.type === 'test' && n.test_metadata?.name === 'relationships') {
      const kw: Any = n.test_metadata.kwargs ?? {};
      add(node.testOf, node.testCol, kw.to, kw.field);
    }
    const constraints: Any[] = Array.isArray(n.constraints) ? n.constraints : [];
    for (const c of constraints)
      if (c?.type === 'foreign_key')
        for (const col of Array.isArray(c.columns) ? c.columns : [])
          add(i, String(col), c.to ?? c.expression, Array.isArray(c.to_columns) ? c.to_columns[0] : undefined);
    for (const col of values(n.columns)) {
      for (const c of Array.isArray(col?.constraints) ? col.constraints : [])
        if (c?.type === 'foreign_key')
          add(i, str(col.name), c.to ?? c.expression, Array.isArray(c.to_columns) ? c.to_columns[0] : undefined);
    }
  });
}

/** Build the site data from dbt-shaped artifacts. */
export function buildSiteData(input: BuildInput): SiteData {
  return prepareSiteData(input)(input.columnLineage);
}

/**
 * The site data but its column lineage, built at once; the function returned adds the lineage
 * and finishes it (`kiln docs generate` builds the nodes while lineage is still being computed).
 */
export function prepareSiteData(input: Omit<BuildInput, 'columnLineage'>): (columnLineage: unknown) => SiteData {
  const manifest: Any = input.manifest ?? {};
  const catalog: Any = input.catalog ?? null;
  const md: Any = manifest.metadata ?? {};
  const projectName =
    str(md.project_name) ??
    str(values(manifest.nodes).find((n) => n?.resource_type === 'model')?.package_name) ??
    'project';
  const resolveDoc = makeDocResolver(manifest.docs);

  const raw: Any[] = [];
  for (const n of values(manifest.nodes)) raw.push(n);
  for (const n of values(manifest.sources)) raw.push({ resource_type: 'source', ...n });
  for (const n of values(manifest.exposures)) raw.push({ resource_type: 'exposure', ...n });
  for (const n of values(manifest.unit_tests)) raw.push({ resource_type: 'unit_test', ...n });
  for (const n of values(manifest.metrics)) raw.push({ resource_type: 'metric', ...n });
  for (const n of values(manifest.semantic_models)) raw.push({ resource_type: 'semantic_model', ...n });
  for (const n of values(manifest.saved_queries)) raw.push({ resource_type: 'saved_query', ...n });
  for (const n of values(manifest.macros)) {
    const macroPkg = String(n?.package_name ?? '');
    if (INTERNAL_MACRO_PACKAGES.test(macroPkg) && macroPkg !== projectName) continue;
    raw.push({ resource_type: 'macro', ...n });
  }

  const index = new Map<string, number>();
  const kept = raw.filter(
    (n) => typeof n?.unique_id === 'string' && !index.has(n.unique_id) && (index.set(n.unique_id, index.size), true),
  );

  const runs = new Map<string, Any>();
  for (const r of Array.isArray(input.runResults?.results) ? input.runResults.results : [])
    if (r?.unique_id) runs.set(r.unique_id, r);
  const fresh = new Map<string, Any>();
  for (const r of Array.isArray(input.sources?.results) ? input.sources.results : [])
    if (r?.unique_id) fresh.set(r.unique_id, r);

  const nodes: SiteNode[] = kept.map((n: Any) => {
    const id: string = n.unique_id;
    const type = String(n.resource_type ?? id.split('.')[0] ?? 'node');
    const pkg = String(n.package_name ?? id.split('.')[1] ?? projectName);
    const node: SiteNode = { id, type, name: String(n.name ?? id.split('.').pop()), pkg, parents: [] };
    const set = <K extends keyof SiteNode>(k: K, v: SiteNode[K] | undefined) => {
      if (v !== undefined) node[k] = v;
    };
    set('path', str(n.original_file_path) ?? str(n.path));
    set('fqn', arr(n.fqn));
    set('db', str(n.database));
    set('schema', str(n.schema));
    set('alias', str(n.alias) ?? (type === 'source' ? str(n.identifier) : undefined));
    set('rel', str(n.relation_name));
    set('desc', resolveDoc(str(n.description), pkg));
    const config: Any = n.config ?? {};
    set('mat', str(config.materialized));
    const tags = arr(n.tags) ?? arr(config.tags);
    set('tags', tags);
    const meta = obj(n.meta) ?? obj(config.meta);
    set('meta', meta);
    const owner = meta?.owner ?? config.meta?.owner;
    set('owner', owner !== undefined ? String(owner) : undefined);
    set('config', pruneConfig(config));
    set('raw', str(n.raw_code) ?? str(n.raw_sql) ?? str(n.macro_sql) ?? str(n.sql));
    set('compiled', str(n.compiled_code) ?? str(n.compiled_sql));
    set('lang', str(n.language));
    const docs: Any = n.docs ?? config.docs ?? {};
    if (docs.show === false) node.hidden = true;
    if (typeof docs.node_color === 'string' && CSS_COLOUR.test(docs.node_color.trim()))
      node.nodeColor = docs.node_color.trim();
    const catEntry: Any = (type === 'source' ? catalog?.sources?.[id] : catalog?.nodes?.[id]) ?? null;
    set('cols', mergeColumns(n.columns, catEntry?.columns, resolveDoc, pkg));
    if (catEntry?.metadata || catEntry?.stats) {
      const m = catEntry.metadata ?? {};
      const c: NonNullable<SiteNode['cat']> = {};
      if (str(m.type)) c.type = m.type;
      if (str(m.owner)) c.owner = m.owner;
      if (str(m.comment)) c.comment = m.comment;
      const stats = obj(catEntry.stats);
      if (stats) c.stats = stats as NonNullable<SiteNode['cat']>['stats'];
      node.cat = c;
    }
    if (type === 'test') {
      // Generic tests: the boilerplate call and the test's own relation say nothing to a reader.
      if (node.raw && /^\{\{\s*test_\w+\(\*\*_dbt_generic_test_kwargs\)\s*\}\}$/.test(node.raw.trim())) delete node.raw;
      delete node.alias;
      delete node.rel;
      delete node.db;
      delete node.schema;
      // Selection reads a test's fqn; most are derived from the file, so only the others ship.
      if (node.fqn?.join('.') === derivedTestFqn(node).join('.')) delete node.fqn;
      const tm: Any = n.test_metadata ?? {};
      const kwargs = obj(tm.kwargs);
      set('testName', tm.namespace ? `${tm.namespace}.${tm.name}` : str(tm.name));
      set('testKw', kwargs);
      set('testCol', str(n.column_name) ?? str(kwargs?.column_name));
      set('severity', str(config.severity));
    }
    if (type === 'macro' && Array.isArray(n.arguments)) {
      const args = n.arguments
        .filter((a: Any) => str(a?.name))
        .map((a: Any) => ({
          name: String(a.name),
          ...(str(a.type) ? { type: a.type } : {}),
          ...(str(a.description) ? { desc: resolveDoc(a.description, pkg) } : {}),
        }));
      if (args.length) node.args = args;
    }
    if (type === 'unit_test') {
      node.unitTest = {
        given: (Array.isArray(n.given) ? n.given : []).map((g: Any) => ({
          input: String(g?.input ?? ''),
          rows: g?.rows,
          ...(str(g?.format) ? { format: g.format } : {}),
        })),
        expect: { rows: n.expect?.rows, ...(str(n.expect?.format) ? { format: n.expect.format } : {}) },
      };
    }
    if (type === 'source') {
      set('sourceDesc', resolveDoc(str(n.source_description), pkg));
      set('source', str(n.source_name));
      set('identifier', str(n.identifier));
      set('loader', str(n.loader));
      const f = n.freshness;
      if (f && (f.warn_after?.count || f.error_after?.count)) node.freshness = f;
    }
    if (type === 'exposure') {
      const e: NonNullable<SiteNode['exposure']> = {};
      if (str(n.type)) e.type = n.type;
      if (str(n.maturity)) e.maturity = n.maturity;
      if (str(n.url)) e.url = n.url;
      if (str(n.owner?.name)) e.ownerName = n.owner.name;
      if (str(n.owner?.email)) e.ownerEmail = n.owner.email;
      node.exposure = e;
      if (!node.owner && (e.ownerName || e.ownerEmail)) node.owner = e.ownerName ?? e.ownerEmail;
    }
    const r = runs.get(id);
    if (r) node.run = runOf(r);
    const fr = fresh.get(id);
    if (fr) {
      node.fresh = { status: String(fr.status ?? 'unknown') };
      if (str(fr.max_loaded_at)) node.fresh.maxLoadedAt = fr.max_loaded_at;
      if (str(fr.snapshotted_at)) node.fresh.snapshottedAt = fr.snapshotted_at;
      if (typeof fr.max_loaded_at_time_ago_in_s === 'number') node.fresh.ageS = fr.max_loaded_at_time_ago_in_s;
      if (fr.criteria) node.fresh.criteria = fr.criteria;
      if (str(fr.error)) node.fresh.error = fr.error;
    }
    return node;
  });

  kept.forEach((n: Any, i: number) => {
    const deps: unknown[] = Array.isArray(n?.depends_on?.nodes) ? n.depends_on.nodes : [];
    const ps = nodes[i]!.parents;
    for (const d of deps) {
      const j = index.get(String(d));
      if (j !== undefined && j !== i && !ps.includes(j)) ps.push(j);
    }
    if (nodes[i]!.type === 'test' || nodes[i]!.type === 'unit_test') {
      const attached = str(n.attached_node);
      let target = attached ? index.get(attached) : undefined;
      if (target === undefined) target = ps.find((p) => nodes[p]!.type !== 'macro');
      if (target !== undefined) nodes[i]!.testOf = target;
    }
  });

  return (columnLineage) => finishSiteData(input, manifest, projectName, resolveDoc, kept, nodes, index, columnLineage);
}

function finishSiteData(
  input: Omit<BuildInput, 'columnLineage'>,
  manifest: Any,
  projectName: string,
  resolveDoc: ReturnType<typeof makeDocResolver>,
  kept: Any[],
  nodes: SiteNode[],
  index: Map<string, number>,
  columnLineage: unknown,
): SiteData {
  const md: Any = manifest.metadata ?? {};
  attachColumnLineage(nodes, index, columnLineage);
  addForeignKeys(kept, nodes);

  // Parent map from the manifest is authoritative when depends_on is missing.
  if (manifest.parent_map && typeof manifest.parent_map === 'object') {
    for (const [child, parents] of Object.entries(manifest.parent_map as Record<string, unknown>)) {
      const i = index.get(child);
      if (i === undefined || !Array.isArray(parents) || nodes[i]!.parents.length) continue;
      for (const p of parents) {
        const j = index.get(String(p));
        if (j !== undefined && j !== i) nodes[i]!.parents.push(j);
      }
    }
  }

  const overviewDoc =
    values(manifest.docs).find((d) => d?.name === '__overview__' && d?.package_name === projectName) ??
    values(manifest.docs).find((d) => d?.name === '__overview__' && d?.package_name !== 'dbt') ??
    null;

  const rr: Any = input.runResults;
  const sr: Any = input.sources;
  return {
    v: SITE_DATA_VERSION,
    project: {
      name: projectName,
      ...(str(md.generated_at) ? { generatedAt: md.generated_at } : {}),
      ...(str(md.adapter_type) ? { adapter: md.adapter_type } : {}),
      ...(str(md.dbt_version) ? { dbtVersion: md.dbt_version } : {}),
      ...(str(md.invocation_id) ? { invocationId: md.invocation_id } : {}),
    },
    overview: overviewDoc ? (resolveDoc(str(overviewDoc.block_contents), projectName) ?? null) : null,
    packageOverviews: packageOverviews(manifest.docs, projectName, resolveDoc),
    nodes,
    run: rr
      ? {
          ...(str(rr.metadata?.generated_at) ? { generatedAt: rr.metadata.generated_at } : {}),
          ...(typeof rr.elapsed_time === 'number' ? { elapsed: rr.elapsed_time } : {}),
          ...(str(rr.metadata?.invocation_id) ? { invocationId: rr.metadata.invocation_id } : {}),
          ...(Array.isArray(rr.args?.which) || str(rr.args?.which) ? { command: String(rr.args.which) } : {}),
        }
      : null,
    freshness: sr
      ? {
          ...(str(sr.metadata?.generated_at) ? { generatedAt: sr.metadata.generated_at } : {}),
          ...(typeof sr.elapsed_time === 'number' ? { elapsed: sr.elapsed_time } : {}),
        }
      : null,
  };
}

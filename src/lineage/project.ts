/**
 * Column lineage of a whole project: every model, snapshot, seed and source, in DAG order so
 * each node's `select *` sees its parents' columns, and the columns every test reads.
 *
 * Its collaborators are passed in: the parsed project, the DAG, a function that yields a
 * node's compiled SQL, and the catalog if one was written. It opens no connection and
 * writes nothing.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../seeds/csv.js';
import { cteName } from '../compile/ephemeral.js';
import { LineageGap, QueryAnalyzer, type ExternalRelation } from './query.js';
import { dialectOf, parseStatement } from './sql.js';
import type { ColumnEdge, ColumnLineage, NodeLineage, TestLineage } from './types.js';
import { hash } from './hash.js';
import { kilnVersion } from '../version.js';

/** Columns per unique id from catalog.json (`nodes` and `sources`), lower-cased. */
export type CatalogColumns = Map<string, string[]>;

/** All lineage reads of the catalog: a relation's columns (a CatalogColumns is one). */
export interface CatalogReader {
  get(uniqueId: string): string[] | undefined;
}

/**
 * What lineage reads of a node (a parsed GraphNode or TestNode has it all): plain data, so a
 * worker thread can be sent it.
 */
export interface LineageNode {
  uniqueId: string;
  resourceType: string;
  name: string;
  originalFilePath: string;
  config: { materialized?: string; unique_key?: unknown; updated_at?: unknown };
  columns: Record<string, { name: string }>;
  dependsOn: { nodes: string[] };
  database?: string;
  schema: string;
  alias: string;
  attachedNode?: string;
  columnName?: string;
  testMetadata?: { kwargs: Record<string, unknown> };
}

export interface LineageSource {
  uniqueId: string;
  database?: string;
  schema: string;
  identifier: string;
  columns: Record<string, { name: string }>;
}

/** What lineage reads of a parsed project (a ParsedProject is one). */
export interface LineageProject {
  manifest: { nodes: Map<string, LineageNode>; sources: Map<string, LineageSource> };
  project: { projectDir: string };
}

/** What lineage reads of the DAG (a Dag is one). */
export interface LineageDag {
  order: string[];
  parents: (id: string) => string[];
}

export interface ProjectLineageInput {
  parsed: LineageProject;
  dag: LineageDag;
  /** The adapter's type, whose SQL dialect the compiled code is read in. */
  adapterType: string;
  /** The node's compiled SQL (with ephemeral CTEs injected), or an Error saying why not. */
  compiledSql: (uniqueId: string) => string | Error;
  catalog?: CatalogReader;
  /** The last column_lineage.json: a node whose cache key is unchanged is not parsed again. */
  previous?: ColumnLineage;
}

/** The nodes whose compiled SQL lineage asks `compiledSql` for: models and snapshots in the DAG, and tests it cannot read from their metadata. */
export function nodesNeedingSql(parsed: LineageProject, dag: LineageDag): string[] {
  const ids = dag.order.filter((id) => withSql.has(parsed.manifest.nodes.get(id)?.resourceType ?? ''));
  for (const node of parsed.manifest.nodes.values())
    if (node.resourceType === 'test' && !testReadsFromMetadata(node)) ids.push(node.uniqueId);
  return ids;
}

const withSql = new Set(['model', 'snapshot']);

/** Columns dbt's snapshots add to the snapshotted query. */
const snapshotColumns = ['dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to'];

export function projectLineage(input: ProjectLineageInput): ColumnLineage {
  const { parsed, dag } = input;
  const { manifest } = parsed;
  const dialect = dialectOf(input.adapterType);
  const lineage: ColumnLineage = { nodes: {}, tests: {} };
  const relations = relationIndex(parsed);
  // A node's entry is set once, so the names of its columns are listed once, however many children read it.
  const columnNames = new Map<string, string[]>();
  const relationOf = (node: string | undefined): ExternalRelation | undefined => {
    if (!node) return undefined;
    const entry = lineage.nodes[node];
    let known = columnNames.get(node);
    if (entry && !known) columnNames.set(node, (known = entry.columns.map((c) => c.name)));
    // No columns at all means none are known (a source nobody described), not an empty relation.
    return { node, columns: known?.length ? known : knownColumns(input, node) };
  };
  // `read` collects the nodes that relation names in FROM resolved to, for cachedNodeLineage. An
  // inlined ephemeral's CTE is not one: the compiled SQL holds its SQL, and its parents' columns
  // reach the key through the direct parents'.
  const analyzer = (read?: Set<string>): QueryAnalyzer =>
    new QueryAnalyzer(
      (parts) => {
        const id = relations.find(parts);
        if (id !== undefined) read?.add(id);
        return relationOf(id);
      },
      (cte) => relationOf(relations.inlined(cte)),
    );

  for (const id of dag.order) {
    const node = manifest.nodes.get(id);
    if (manifest.sources.has(id)) {
      lineage.nodes[id] =
        sourceBuiltBy(dag, id, lineage) ?? rootLineage('source', input.catalog?.get(id) ?? knownColumns(input, id));
    } else if (node?.resourceType === 'seed') {
      lineage.nodes[id] = rootLineage('seed', seedHeader(parsed, node) ?? knownColumns(input, id));
    } else if (node && withSql.has(node.resourceType)) {
      lineage.nodes[id] = cachedNodeLineage(input, node, dialect, analyzer, (p) => relationOf(p)?.columns, relations);
    }
  }
  for (const node of manifest.nodes.values()) {
    if (node.resourceType === 'test') lineage.tests[node.uniqueId] = testLineage(input, node, dialect, analyzer);
  }
  return lineage;
}

function rootLineage(resourceType: string, columns: string[] | undefined): NodeLineage {
  return { resourceType, parsed: true, columns: (columns ?? []).map((name) => ({ name, upstream: [] })) };
}

/** A source that names a seed or model of the project is a copy of that node's columns. */
function sourceBuiltBy(dag: LineageDag, id: string, lineage: ColumnLineage): NodeLineage | undefined {
  const builder = dag.parents(id).find((p) => lineage.nodes[p]);
  if (!builder) return undefined;
  const columns = lineage.nodes[builder]!.columns.map((c) => ({
    name: c.name,
    upstream: [{ node: builder, column: c.name, kind: 'copied' as const }],
  }));
  return { resourceType: 'source', parsed: true, columns };
}

/**
 * A node's lineage, or the previous one when its SQL, its parents' columns and what their
 * names resolve to are what they were.
 */
function cachedNodeLineage(
  input: ProjectLineageInput,
  node: LineageNode,
  dialect: ReturnType<typeof dialectOf>,
  analyzer: (read?: Set<string>) => QueryAnalyzer,
  columnsOf: (id: string) => string[] | undefined,
  relations: RelationIndex,
): NodeLineage {
  const sql = input.compiledSql(node.uniqueId);
  if (sql instanceof Error) return nodeLineage(input, node, dialect, analyzer, sql);
  const parents = node.dependsOn.nodes
    .map((p) => `${p}:${columnsOf(p)?.join(',') ?? '?'}${relations.shortNamesOf(p)}`)
    .join(';');
  // A null setting is no setting (snapshotMetaColumns reads both alike; manifest.json writes an absent one as null).
  const config =
    node.resourceType === 'snapshot'
      ? `${String(node.config.unique_key ?? null)}|${String(node.config.updated_at ?? null)}`
      : '';
  const cacheKey = hash(
    [kilnVersion, dialect, sql, parents, config, JSON.stringify(Object.keys(node.columns))].join('\u0000'),
  );
  const previous = input.previous?.nodes[node.uniqueId];
  // Only a parsed entry is reused: an unparsed one lists the node's own declared or catalog
  // columns, and the catalog is not part of the key.
  if (previous?.cacheKey === cacheKey && previous.resourceType === node.resourceType && previous.parsed)
    return previous;
  const read = new Set<string>();
  const entry = nodeLineage(input, node, dialect, () => analyzer(read), sql);
  // A relation named in the SQL by hand (not a ref or source) has columns the key does not cover.
  if ([...read].some((id) => !node.dependsOn.nodes.includes(id))) return entry;
  return { ...entry, cacheKey };
}

function nodeLineage(
  input: ProjectLineageInput,
  node: LineageNode,
  dialect: ReturnType<typeof dialectOf>,
  analyzer: () => QueryAnalyzer,
  sql: string | Error,
): NodeLineage {
  const unparsed = (reason: string): NodeLineage => {
    const declared = knownColumns(input, node.uniqueId);
    return {
      resourceType: node.resourceType,
      dialect,
      parsed: false,
      reason,
      columns: (declared ?? []).map((name) => ({ name, upstream: [] })),
      ...(declared ? { columnsFrom: columnsSource(input, node.uniqueId) } : {}),
    };
  };
  if (sql instanceof Error) return unparsed(`could not compile: ${sql.message.split('\n')[0]}`);
  const statement = parseStatement(sql, dialect);
  if (!statement.ok) return unparsed(statement.reason);
  try {
    const result = analyzer().statement(statement.statement);
    const columns: NodeLineage['columns'] = result.columns.map((c) => ({
      name: c.name,
      upstream: c.upstream,
      fingerprint: c.fingerprint,
    }));
    if (node.resourceType === 'snapshot')
      columns.push(
        ...snapshotMetaColumns(
          node,
          result.columns.map((c) => c.name),
          columns,
        ),
      );
    return { resourceType: node.resourceType, dialect, parsed: true, columns };
  } catch (e) {
    if (e instanceof LineageGap) return unparsed(e.message);
    throw e;
  }
}

/** dbt_valid_from and the others derive from the snapshot's unique key and updated_at columns. */
function snapshotMetaColumns(
  node: LineageNode,
  names: string[],
  columns: NodeLineage['columns'],
): NodeLineage['columns'] {
  const fromConfig = (value: unknown): string[] =>
    (Array.isArray(value) ? value : value ? [value] : []).map((v) => String(v).toLowerCase());
  const keyColumns = fromConfig(node.config.unique_key).filter((c) => names.includes(c));
  const updatedAt = fromConfig(node.config.updated_at).filter((c) => names.includes(c));
  const edgesOf = (cols: string[]): ColumnEdge[] =>
    cols.flatMap((c) =>
      columns
        .find((x) => x.name === c)!
        .upstream.map((e) => ({ ...e, kind: e.kind === 'filter' ? e.kind : ('transformed' as const) })),
    );
  return snapshotColumns.map((name) => ({
    name,
    upstream: edgesOf(name === 'dbt_scd_id' ? [...keyColumns, ...updatedAt] : updatedAt),
  }));
}

/** A generic test on a column of its model: what it reads is in its metadata, with no SQL to parse. */
function testReadsFromMetadata(test: LineageNode): boolean {
  return Boolean(test.testMetadata && test.attachedNode && testColumn(test));
}

const testColumn = (test: LineageNode) =>
  test.columnName ?? (test.testMetadata?.kwargs.column_name as string | undefined);

function testLineage(
  input: ProjectLineageInput,
  test: LineageNode,
  dialect: ReturnType<typeof dialectOf>,
  analyzer: () => QueryAnalyzer,
): TestLineage {
  const attached = test.attachedNode;
  const meta = test.testMetadata;
  const column = testColumn(test);
  if (meta && attached && column) {
    const reads = [{ node: attached, column: unquote(column) }];
    // relationships: the column it points to in the other model is read too.
    const field = meta.kwargs.field as string | undefined;
    const other = test.dependsOn.nodes.find((d) => d !== attached);
    if (field && other) reads.push({ node: other, column: unquote(field) });
    return { attachedNode: attached, reads };
  }
  const sql = input.compiledSql(test.uniqueId);
  if (sql instanceof Error) return { attachedNode: attached, reads: [] };
  const statement = parseStatement(sql, dialect);
  if (!statement.ok) return { attachedNode: attached, reads: [] };
  try {
    const result = analyzer().statement(statement.statement);
    return { attachedNode: attached, reads: result.reads.map((e) => ({ node: e.node, column: e.column })) };
  } catch (e) {
    if (e instanceof LineageGap) return { attachedNode: attached, reads: [] };
    throw e;
  }
}

const unquote = (name: string) => name.replace(/^["`[](.*)["`\]]$/, '$1').toLowerCase();

/** Columns declared for a node: its contract or properties YAML, else the catalog. */
function knownColumns(input: ProjectLineageInput, id: string): string[] | undefined {
  const declared = declaredColumns(input.parsed, id);
  if (declared.length > 0) return declared.map((c) => c.name.toLowerCase());
  return input.catalog?.get(id);
}

function columnsSource(input: ProjectLineageInput, id: string): string {
  return declaredColumns(input.parsed, id).length > 0 ? 'properties' : 'catalog';
}

function declaredColumns(parsed: LineageProject, id: string): Array<{ name: string }> {
  const owner = parsed.manifest.nodes.get(id) ?? parsed.manifest.sources.get(id);
  return owner ? Object.values(owner.columns) : [];
}

/** The header line of a seed's CSV file: the seed's columns, without reading the rows. */
function seedHeader(parsed: LineageProject, node: LineageNode): string[] | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(join(parsed.project.projectDir, node.originalFilePath), 'r');
    const buffer = Buffer.alloc(64 * 1024);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer
      .subarray(0, read)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    const firstLine = text.split(/\r?\n/)[0] ?? '';
    return parseCsv(firstLine + '\n', node.originalFilePath)[0]?.map((c) => c.trim().toLowerCase());
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface RelationIndex {
  find(parts: string[]): string | undefined;
  inlined(cte: string): string | undefined;
  /**
   * '' when every spelling of the node's relation (three, two or one part; its CTE name)
   * resolves to it, else what they resolve to: a cache key's part, since another relation of the
   * same name changes what the SQL reads.
   */
  shortNamesOf(id: string): string;
}

/** Relation names as compiled SQL spells them, to the unique ids they belong to. */
function relationIndex(parsed: LineageProject): RelationIndex {
  const spellings = new Map<string, () => Array<string | null | undefined>>();
  // Every name is added before the first question, so an answer holds for the whole run.
  const shortNames = new Map<string, string>();
  const exact = new Map<string, string>();
  const ephemerals = new Map<string, string>();
  const bySchema = new Map<string, string | null>();
  const byName = new Map<string, string | null>();
  const addUnique = (map: Map<string, string | null>, key: string, id: string) =>
    map.set(key, map.has(key) && map.get(key) !== id ? null : id);
  const add = (id: string, database: string | undefined, schema: string, name: string) => {
    const parts = [database ?? '', schema, name].map((p) => p.toLowerCase());
    exact.set(parts.join('.'), id);
    addUnique(bySchema, parts.slice(1).join('.'), id);
    addUnique(byName, parts[2]!, id);
    spellings.set(id, () => [
      exact.get(parts.join('.')),
      bySchema.get(parts.slice(1).join('.')),
      byName.get(parts[2]!),
    ]);
  };
  for (const n of parsed.manifest.nodes.values()) {
    if (n.resourceType !== 'model' && n.resourceType !== 'seed' && n.resourceType !== 'snapshot') continue;
    if (n.config.materialized === 'ephemeral') {
      const cte = cteName(n.name).toLowerCase();
      ephemerals.set(cte, n.uniqueId);
      spellings.set(n.uniqueId, () => [ephemerals.get(cte)]);
    } else add(n.uniqueId, n.database, n.schema, n.alias);
  }
  for (const s of parsed.manifest.sources.values()) add(s.uniqueId, s.database, s.schema, s.identifier);
  return {
    find(parts) {
      const lower = parts.map((p) => p.toLowerCase());
      if (lower.length >= 3) return exact.get(lower.slice(-3).join('.'));
      if (lower.length === 2) return bySchema.get(lower.join('.')) ?? undefined;
      return byName.get(lower[0]!) ?? undefined;
    },
    inlined: (cte) => ephemerals.get(cte.toLowerCase()),
    shortNamesOf(id) {
      let text = shortNames.get(id);
      if (text === undefined) {
        const found = spellings.get(id)?.() ?? [];
        text = found.every((f) => f === id) ? '' : `@${found.map((f) => f ?? '-').join('/')}`;
        shortNames.set(id, text);
      }
      return text;
    },
  };
}

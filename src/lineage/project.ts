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
import type { Dag } from '../graph/dag.js';
import type { ParsedProject } from '../parse/index.js';
import type { ColumnDef, GraphNode, TestNode } from '../parse/nodes.js';
import { parseCsv } from '../seeds/csv.js';
import { cteName } from '../compile/ephemeral.js';
import { LineageGap, QueryAnalyzer, type ExternalRelation } from './query.js';
import { dialectOf, parseStatement } from './sql.js';
import type { ColumnEdge, ColumnLineage, NodeLineage, TestLineage } from './types.js';
import { hash } from './hash.js';
import { kilnVersion } from '../version.js';

/** Columns per unique id from catalog.json (`nodes` and `sources`), lower-cased. */
export type CatalogColumns = Map<string, string[]>;

export interface ProjectLineageInput {
  parsed: ParsedProject;
  dag: Dag;
  /** The adapter's type, whose SQL dialect the compiled code is read in. */
  adapterType: string;
  /** The node's compiled SQL (with ephemeral CTEs injected), or an Error saying why not. */
  compiledSql: (uniqueId: string) => string | Error;
  catalog?: CatalogColumns;
  /** The last column_lineage.json: a node whose cache key is unchanged is not parsed again. */
  previous?: ColumnLineage;
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
  const relationOf = (node: string | undefined): ExternalRelation | undefined => {
    if (!node) return undefined;
    const known = lineage.nodes[node]?.columns.map((c) => c.name);
    // No columns at all means none are known (a source nobody described), not an empty relation.
    return { node, columns: known?.length ? known : knownColumns(input, node) };
  };
  const analyzer = (): QueryAnalyzer =>
    new QueryAnalyzer(
      (parts) => relationOf(relations.find(parts)),
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
      lineage.nodes[id] = cachedNodeLineage(input, node, dialect, analyzer, (p) => relationOf(p)?.columns);
    }
  }
  for (const node of manifest.nodes.values()) {
    if (node.resourceType === 'test')
      lineage.tests[node.uniqueId] = testLineage(input, node as TestNode, dialect, analyzer);
  }
  return lineage;
}

function rootLineage(resourceType: string, columns: string[] | undefined): NodeLineage {
  return { resourceType, parsed: true, columns: (columns ?? []).map((name) => ({ name, upstream: [] })) };
}

/** A source that names a seed or model of the project is a copy of that node's columns. */
function sourceBuiltBy(dag: Dag, id: string, lineage: ColumnLineage): NodeLineage | undefined {
  const builder = dag.parents(id).find((p) => lineage.nodes[p]);
  if (!builder) return undefined;
  const columns = lineage.nodes[builder]!.columns.map((c) => ({
    name: c.name,
    upstream: [{ node: builder, column: c.name, kind: 'copied' as const }],
  }));
  return { resourceType: 'source', parsed: true, columns };
}

/** A node's lineage, or the previous one when its SQL and its parents' columns are what they were. */
function cachedNodeLineage(
  input: ProjectLineageInput,
  node: GraphNode,
  dialect: ReturnType<typeof dialectOf>,
  analyzer: () => QueryAnalyzer,
  columnsOf: (id: string) => string[] | undefined,
): NodeLineage {
  const sql = input.compiledSql(node.uniqueId);
  if (sql instanceof Error) return nodeLineage(input, node, dialect, analyzer, sql);
  const parents = node.dependsOn.nodes.map((p) => `${p}:${columnsOf(p)?.join(',') ?? '?'}`).join(';');
  const config =
    node.resourceType === 'snapshot' ? `${String(node.config.unique_key)}|${String(node.config.updated_at)}` : '';
  const cacheKey = hash(
    [kilnVersion, dialect, sql, parents, config, JSON.stringify(Object.keys(node.columns))].join('\u0000'),
  );
  const previous = input.previous?.nodes[node.uniqueId];
  if (previous?.cacheKey === cacheKey && previous.resourceType === node.resourceType) return previous;
  return { ...nodeLineage(input, node, dialect, analyzer, sql), cacheKey };
}

function nodeLineage(
  input: ProjectLineageInput,
  node: GraphNode,
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
  node: GraphNode,
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

function testLineage(
  input: ProjectLineageInput,
  test: TestNode,
  dialect: ReturnType<typeof dialectOf>,
  analyzer: () => QueryAnalyzer,
): TestLineage {
  const attached = test.attachedNode;
  const meta = test.testMetadata;
  const column = test.columnName ?? (meta?.kwargs.column_name as string | undefined);
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

function declaredColumns(parsed: ParsedProject, id: string): ColumnDef[] {
  const owner = parsed.manifest.nodes.get(id) ?? parsed.manifest.sources.get(id);
  return owner ? Object.values(owner.columns) : [];
}

/** The header line of a seed's CSV file: the seed's columns, without reading the rows. */
function seedHeader(parsed: ParsedProject, node: GraphNode): string[] | undefined {
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

/** Relation names as compiled SQL spells them, to the unique ids they belong to. */
function relationIndex(parsed: ParsedProject): {
  find(parts: string[]): string | undefined;
  inlined(cte: string): string | undefined;
} {
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
  };
  for (const n of parsed.manifest.nodes.values()) {
    if (n.resourceType !== 'model' && n.resourceType !== 'seed' && n.resourceType !== 'snapshot') continue;
    if (n.config.materialized === 'ephemeral') ephemerals.set(cteName(n.name).toLowerCase(), n.uniqueId);
    else add(n.uniqueId, n.database, n.schema, n.alias);
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
  };
}

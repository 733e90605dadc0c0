/**
 * Column lineage of one SQL query: for each output column, the columns of the project's
 * relations it comes from and how (copied, transformed, aggregated, filter-only), through
 * CTEs, joins, derived tables, subqueries, set operations, aggregates and windows.
 *
 * Reads sqlparser-rs's JSON syntax tree; knows nothing about files or the manifest: table
 * names are resolved by the caller's `resolveRelation`. A construct it cannot follow is a
 * `LineageGap` with the reason, never a guess.
 */
import { composeKinds, mergeEdges, type ColumnEdge, type EdgeKind } from './types.js';
import { hash } from './hash.js';

/** What a table name in FROM refers to: a node, with its columns if they are known. */
export interface ExternalRelation {
  node: string;
  columns?: string[];
}

export type RelationResolver = (nameParts: string[]) => ExternalRelation | undefined;

export interface OutputColumn {
  name: string;
  upstream: ColumnEdge[];
  /** Changes when the column's expression changes, through CTEs; not when only its name does. */
  fingerprint: string;
}

export interface QueryLineage {
  columns: OutputColumn[];
  /** Columns that decide the rows: read by where, join, group by, having, qualify. */
  rowEdges: ColumnEdge[];
  /** Every column the query reads, however: what a test reads. */
  reads: ColumnEdge[];
}

export class LineageGap extends Error {}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Column {
  key: string;
  name: string;
  edges: ColumnEdge[];
  /** The expression's text and what its names resolved to (hashed at the top level). */
  fp: string;
}

interface Resolved {
  edges: ColumnEdge[];
  fp: string;
}

/** A relation in a FROM clause, as the query sees it. */
interface Relation {
  label: string;
  /** Known output columns; undefined for a node whose columns are not known. */
  columns?: Column[];
  /** The node read directly, for columns not in `columns`. */
  node?: string;
  /** A table function: every column it yields comes from these. */
  opaque?: ColumnEdge[];
  rowEdges: ColumnEdge[];
}

interface Ctes {
  map: Map<string, Relation>;
  parent?: Ctes;
}

interface Scope {
  relations: Array<{ alias: string; relation: Relation }>;
  /** Columns joined with USING, each kept once. */
  using: Set<string>;
  /** Output columns computed so far: DuckDB, Snowflake and BigQuery let later clauses name them. */
  projection: Column[];
  parent?: Scope;
  /** CTEs visible here, and so in subqueries of its expressions. */
  ctes?: Ctes;
}

/** Aggregate functions: a column inside one is aggregated (also as a window function). */
const aggregates = new Set(
  (
    'sum count avg min max array_agg string_agg listagg group_concat any_value arbitrary first last median mode ' +
    'stddev stddev_pop stddev_samp variance var_pop var_samp corr covar_pop covar_samp bool_and bool_or every ' +
    'bit_and bit_or count_if countif sum_if approx_count_distinct approx_distinct approx_quantile quantile ' +
    'percentile_cont percentile_disc hll list histogram arg_max arg_min max_by min_by product logical_and logical_or ' +
    'object_agg array_union_agg json_agg jsonb_agg json_object_agg approx_top_count regr_slope regr_intercept'
  ).split(' '),
);

const key = (ident: Json): string => (ident.quote_style ? String(ident.value) : String(ident.value).toLowerCase());
const nameOf = (ident: Json): string => (ident.quote_style ? String(ident.value) : String(ident.value).toLowerCase());

/** Parts of an ObjectName (`[{Identifier: ident}]`) as lower-cased keys. */
function objectNameParts(name: Json): string[] {
  return (name as Json[]).map((part) => key(part.Identifier ?? part));
}

function withKind(edges: ColumnEdge[], kind: EdgeKind): ColumnEdge[] {
  if (kind === 'copied') return edges;
  return edges.map((e) => {
    const composed = composeKinds(kind, e.kind);
    return composed === e.kind ? e : { ...e, kind: composed };
  });
}

export class QueryAnalyzer {
  /** What the names in the expression being read resolved to, for its fingerprint. */
  private fingerprintParts: string[] | undefined;

  /**
   * @param resolveRelation what a table name in FROM refers to
   * @param inlinedNode the node a CTE stands for when the compiler inlined it (an ephemeral
   *   model): lineage then points at that node instead of going through the CTE
   */
  constructor(
    private readonly resolveRelation: RelationResolver,
    private readonly inlinedNode: (cteName: string) => ExternalRelation | undefined = () => undefined,
  ) {}

  /** Lineage of a top-level statement: a query, or the query of `create ... as`. */
  statement(statement: Json): QueryLineage {
    const query = statement.Query ?? statement.CreateTable?.query ?? statement.CreateView?.query;
    if (!query) throw new LineageGap(`not a query: ${Object.keys(statement)[0] ?? 'statement'}`);
    const relation = this.query(query, undefined, undefined);
    const columns = (relation.columns ?? []).map((c) => ({
      name: c.name,
      upstream: c.edges,
      fingerprint: c.fp.length === 16 ? c.fp : hash(c.fp),
    }));
    const reads = mergeEdges(...columns.map((c) => c.upstream), relation.rowEdges);
    return { columns, rowEdges: relation.rowEdges, reads };
  }

  private query(query: Json, scope: Scope | undefined, ctes: Ctes | undefined): Relation {
    let env = ctes;
    for (const cte of query.with?.cte_tables ?? []) {
      const name = key(cte.alias.name);
      const inlined = this.inlinedNode(name);
      if (inlined) {
        env = { map: new Map([[name, externalRelation(inlined, name)]]), parent: env };
        continue;
      }
      const relation = this.query(cte.query, scope, env);
      renameColumns(relation, cte.alias.columns ?? [], name);
      env = { map: new Map([[name, { ...relation, label: name }]]), parent: env };
    }
    return this.body(query.body, scope, env);
  }

  private body(body: Json, scope: Scope | undefined, ctes: Ctes | undefined): Relation {
    if (body.Select) return this.select(body.Select, scope, ctes);
    if (body.Query) return this.query(body.Query, scope, ctes);
    if (body.SetOperation) {
      const left = this.body(body.SetOperation.left, scope, ctes);
      const right = this.body(body.SetOperation.right, scope, ctes);
      const l = left.columns ?? [];
      const r = right.columns ?? [];
      if (l.length !== r.length)
        throw new LineageGap(`${String(body.SetOperation.op).toLowerCase()} of ${l.length} and ${r.length} columns`);
      return {
        label: 'set operation',
        columns: l.map((c, i) => ({ ...c, edges: mergeEdges(c.edges, r[i]!.edges), fp: `${c.fp}|${r[i]!.fp}` })),
        rowEdges: mergeEdges(left.rowEdges, right.rowEdges),
      };
    }
    if (body.Values) {
      const rows: Json[][] = body.Values.rows ?? [];
      const width = rows[0]?.length ?? 0;
      return {
        label: 'values',
        columns: Array.from({ length: width }, (_, i) => ({
          key: `column${i + 1}`,
          name: `column${i + 1}`,
          edges: [],
          fp: 'values',
        })),
        rowEdges: [],
      };
    }
    throw new LineageGap(`unsupported query form ${Object.keys(body)[0]}`);
  }

  private select(select: Json, parent: Scope | undefined, ctes: Ctes | undefined): Relation {
    const scope: Scope = { relations: [], using: new Set(), projection: [], parent, ctes };
    let rowEdges: ColumnEdge[] = [];
    for (const item of select.from ?? []) {
      rowEdges = mergeEdges(rowEdges, this.addFactor(item.relation, scope, ctes));
      for (const join of item.joins ?? []) {
        rowEdges = mergeEdges(
          rowEdges,
          this.addFactor(join.relation, scope, ctes),
          this.joinConstraint(join.join_operator, scope),
        );
      }
    }
    for (const item of select.projection ?? []) scope.projection.push(...this.projectionItem(item, scope));
    const filters: Json[] = [select.selection, select.having, select.qualify, select.prewhere].filter((x) => x);
    for (const expr of filters) rowEdges = mergeEdges(rowEdges, this.expression(expr, scope, 'filter'));
    rowEdges = mergeEdges(rowEdges, this.groupBy(select.group_by, scope));
    const columns = scope.projection.map((c) => ({ ...c, edges: mergeEdges(c.edges, withKind(rowEdges, 'filter')) }));
    return { label: 'select', columns, rowEdges };
  }

  private groupBy(groupBy: Json, scope: Scope): ColumnEdge[] {
    const exprs: Json[] = groupBy?.Expressions?.[0] ?? [];
    const out: ColumnEdge[][] = [];
    for (const expr of exprs) {
      const ordinal = expr.Value?.value?.Number?.[0];
      if (ordinal !== undefined) out.push(withKind(scope.projection[Number(ordinal) - 1]?.edges ?? [], 'filter'));
      else if (expr.Identifier && key(expr.Identifier) === 'all' && !this.findColumn(scope, ['all'])) continue;
      else out.push(this.expression(expr, scope, 'filter'));
    }
    return mergeEdges(...out);
  }

  /** Adds a FROM item to the scope; returns the edges that decide its rows. */
  private addFactor(factor: Json, scope: Scope, ctes: Ctes | undefined): ColumnEdge[] {
    const alias = factor[Object.keys(factor)[0]!]?.alias;
    const add = (name: string, relation: Relation) => {
      renameColumns(relation, alias?.columns ?? [], name);
      scope.relations.push({ alias: alias ? key(alias.name) : name, relation });
      return relation.rowEdges;
    };
    if (factor.Table) {
      const t = factor.Table;
      const parts = objectNameParts(t.name);
      if (t.args)
        return add(parts.at(-1)!, {
          label: parts.join('.'),
          opaque: this.expression(t.args, scope, 'transformed'),
          rowEdges: [],
        });
      const cte = parts.length === 1 ? findCte(ctes, parts[0]!) : undefined;
      if (cte) return add(parts[0]!, { ...cte, columns: cte.columns?.map((c) => ({ ...c })) });
      const external = this.resolveRelation(parts);
      if (!external) throw new LineageGap(`reads ${parts.join('.')}, which is neither a ref, a source nor a CTE`);
      return add(parts.at(-1)!, externalRelation(external, parts.join('.')));
    }
    if (factor.Derived) return add('subquery', this.query(factor.Derived.subquery, scope, ctes));
    if (factor.NestedJoin) {
      const inner = factor.NestedJoin.table_with_joins;
      let edges = this.addFactor(inner.relation, scope, ctes);
      for (const join of inner.joins ?? [])
        edges = mergeEdges(
          edges,
          this.addFactor(join.relation, scope, ctes),
          this.joinConstraint(join.join_operator, scope),
        );
      return edges;
    }
    if (factor.UNNEST) {
      const edges = this.expression(factor.UNNEST.array_exprs, scope, 'transformed');
      const name = alias ? key(alias.name) : 'unnest';
      return add(name, {
        label: 'unnest',
        columns: [{ key: name, name, edges, fp: `unnest:${name}` }],
        opaque: edges,
        rowEdges: [],
      });
    }
    if (factor.Function || factor.TableFunction) {
      const f = factor.Function ?? factor.TableFunction;
      return add('function', {
        label: 'table function',
        opaque: this.expression(f.args ?? f.expr, scope, 'transformed'),
        rowEdges: [],
      });
    }
    throw new LineageGap(`unsupported FROM item ${Object.keys(factor)[0]}`);
  }

  private joinConstraint(operator: Json, scope: Scope): ColumnEdge[] {
    if (typeof operator !== 'object' || operator === null) return [];
    const constraint = Object.values(operator)[0] as Json;
    if (!constraint || typeof constraint !== 'object') return [];
    if (constraint.On) return this.expression(constraint.On, scope, 'filter');
    if (constraint.Using) {
      const out: ColumnEdge[][] = [];
      for (const name of constraint.Using as Json[]) {
        const column = objectNameParts(name).at(-1)!;
        for (const { relation } of scope.relations)
          out.push(withKind(columnOf(relation, column)?.edges ?? [], 'filter'));
        scope.using.add(column);
      }
      return mergeEdges(...out);
    }
    return [];
  }

  private projectionItem(item: Json, scope: Scope): Column[] {
    if (item.UnnamedExpr) {
      const name = outputName(item.UnnamedExpr, scope.projection.length);
      return [{ key: name.toLowerCase(), name, ...this.value(item.UnnamedExpr, scope) }];
    }
    if (item.ExprWithAlias) {
      const name = nameOf(item.ExprWithAlias.alias);
      return [{ key: key(item.ExprWithAlias.alias), name, ...this.value(item.ExprWithAlias.expr, scope) }];
    }
    if (item.Wildcard) return this.wildcard(scope.relations, item.Wildcard, scope);
    if (item.QualifiedWildcard) {
      const [target, options] = item.QualifiedWildcard as [Json, Json];
      const qualifier = objectNameParts(target.ObjectName ?? target).at(-1)!;
      const found = scope.relations.filter((r) => r.alias === qualifier);
      if (found.length === 0) throw new LineageGap(`${qualifier}.*: no relation ${qualifier} in FROM`);
      return this.wildcard(found, options, scope);
    }
    throw new LineageGap(`unsupported select item ${Object.keys(item)[0]}`);
  }

  /** `*` and `t.*` with DuckDB's/Snowflake's `exclude`, BigQuery's `except`, `replace` and `rename`. */
  private wildcard(relations: Scope['relations'], options: Json, scope: Scope): Column[] {
    const excluded = new Set<string>([...identsIn(options.opt_exclude), ...identsIn(options.opt_except)]);
    const replaced = new Map<string, Json>();
    for (const item of options.opt_replace?.items ?? []) replaced.set(key(item.column_name), item.expr);
    const renamed = new Map<string, string>();
    for (const r of renameItems(options.opt_rename)) renamed.set(key(r.ident), nameOf(r.alias));
    const out: Column[] = [];
    const emitted = new Set<string>();
    for (const { relation } of relations) {
      if (!relation.columns) {
        throw new LineageGap(
          `select * from ${relation.label}: its columns are unknown (declare ` +
            `them in YAML, or run \`kiln docs generate\` for a catalog)`,
        );
      }
      for (const c of relation.columns) {
        if (excluded.has(c.key) || (scope.using.has(c.key) && emitted.has(c.key))) continue;
        emitted.add(c.key);
        const replacement = replaced.get(c.key);
        const value = replacement ? this.value(replacement, scope) : { edges: c.edges, fp: c.fp };
        const name = renamed.get(c.key) ?? c.name;
        out.push({ key: name.toLowerCase(), name, ...value });
      }
    }
    return out;
  }

  /** Edges and fingerprint of a projected expression: a bare column is copied, anything else is computed. */
  private value(expr: Json, scope: Scope): Resolved {
    const outer = this.fingerprintParts;
    const parts: string[] = (this.fingerprintParts = [expressionText(expr)]);
    try {
      const bare = columnParts(expr.Nested ?? expr);
      const edges = bare ? this.reference(bare, scope, 'copied') : this.expression(expr, scope, 'transformed');
      const fp = hash(parts.join('|'));
      outer?.push(fp);
      return { edges, fp };
    } finally {
      this.fingerprintParts = outer;
    }
  }

  private reference(parts: string[], scope: Scope, kind: EdgeKind): ColumnEdge[] {
    const found = this.findColumn(scope, parts);
    if (found) {
      this.fingerprintParts?.push(found.fp);
      return withKind(found.edges, kind);
    }
    // A name no relation in scope has (keywords such as `current_date` parse as names too): no edge rather than a
    // guess.
    return [];
  }

  /** The edges of the column `parts` names, looking outward through enclosing queries. */
  private findColumn(scope: Scope, parts: string[]): Resolved | undefined {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const found = findInScope(s, parts);
      if (found) return found;
    }
    // A struct field (`address.city`) is a transformation of the struct column.
    if (parts.length > 1) {
      for (let s: Scope | undefined = scope; s; s = s.parent) {
        const found = findInScope(s, [parts[0]!]);
        if (found)
          return { edges: withKind(found.edges, 'transformed'), fp: `${found.fp}.${parts.slice(1).join('.')}` };
      }
    }
    return undefined;
  }

  /** Every column an expression reads, each with the kind the context gives it. */
  private expression(node: Json, scope: Scope, kind: EdgeKind): ColumnEdge[] {
    const out: ColumnEdge[] = [];
    this.collect(node, scope, kind, out);
    return mergeEdges(out);
  }

  /** Walks the syntax tree generically, appending to `out`: only names, calls and subqueries matter. */
  private collect(node: Json, scope: Scope, kind: EdgeKind, out: ColumnEdge[]): void {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) this.collect(n, scope, kind, out);
      return;
    }
    const valueKind = kind === 'copied' ? 'transformed' : kind;
    for (const k in node) {
      if (skippedKeys.has(k)) continue;
      const v = node[k];
      if (k === 'Identifier' && v && typeof v.value === 'string')
        out.push(...this.reference([key(v)], scope, valueKind));
      else if (k === 'CompoundIdentifier') out.push(...this.reference((v as Json[]).map(key), scope, valueKind));
      else if (k === 'Function') this.functionCall(v, scope, kind, out);
      else if (k === 'Subquery') out.push(...this.subquery(v, scope, kind));
      else if (k === 'Exists') out.push(...this.subquery(v.subquery, scope, kind));
      else if (k === 'InSubquery') {
        this.collect(v.expr, scope, kind, out);
        out.push(...this.subquery(v.subquery, scope, kind));
      } else if (k === 'Named') this.collect(v.arg, scope, kind, out);
      else this.collect(v, scope, kind, out);
    }
  }

  private functionCall(f: Json, scope: Scope, kind: EdgeKind, out: ColumnEdge[]): void {
    const name = objectNameParts(f.name).at(-1) ?? '';
    const argKind = aggregates.has(name) ? composeKinds(kind, 'aggregated') : composeKinds(kind, 'transformed');
    this.collect(f.args, scope, argKind, out);
    if (f.within_group) this.collect(f.within_group, scope, argKind, out);
    if (f.filter) this.collect(f.filter, scope, 'filter', out);
    const window = f.over?.WindowSpec;
    if (window) {
      const windowKind = composeKinds(kind, 'transformed');
      this.collect(window.partition_by ?? [], scope, windowKind, out);
      for (const o of window.order_by ?? []) this.collect(o.expr, scope, windowKind, out);
    }
  }

  /** A scalar, EXISTS or IN subquery: it reads what its result and its rows depend on. */
  private subquery(query: Json, scope: Scope, kind: EdgeKind): ColumnEdge[] {
    const relation = this.query(query, scope, scope.ctes);
    const valueKind = kind === 'copied' ? 'transformed' : kind;
    return mergeEdges(
      ...(relation.columns ?? []).map((c) => withKind(c.edges, valueKind)),
      withKind(relation.rowEdges, 'filter'),
    );
  }
}

/** Keys of the syntax tree that never name a column. */
const skippedKeys = new Set([
  'span',
  'alias',
  'data_type',
  'field',
  'path',
  'key',
  'Value',
  'TypedString',
  'wildcard_token',
  'case_token',
  'end_token',
  'name',
  'Interval',
  'params',
  'collation',
  'format',
  'kind',
  'style',
]);

/** The expression's syntax tree as text, without source positions (so moving it changes nothing). */
function expressionText(expr: Json): string {
  const out: string[] = [];
  const visit = (v: Json) => {
    if (v === null || typeof v !== 'object') {
      out.push(String(v));
      return;
    }
    if (Array.isArray(v)) {
      out.push('[');
      for (const x of v) visit(x);
      out.push(']');
      return;
    }
    for (const k in v) {
      if (k === 'span' || k.endsWith('_token')) continue;
      out.push(k, ':');
      visit(v[k]);
    }
  };
  visit(expr);
  return out.join(' ');
}

function columnParts(expr: Json): string[] | undefined {
  if (expr?.Identifier && typeof expr.Identifier.value === 'string') return [key(expr.Identifier)];
  if (expr?.CompoundIdentifier) return (expr.CompoundIdentifier as Json[]).map(key);
  return undefined;
}

function outputName(expr: Json, index: number): string {
  const e = expr.Nested ?? expr;
  if (e.Identifier) return nameOf(e.Identifier);
  if (e.CompoundIdentifier) return nameOf((e.CompoundIdentifier as Json[]).at(-1));
  if (e.Cast) return outputName(e.Cast.expr, index);
  if (e.Function) return objectNameParts(e.Function.name).at(-1)!;
  return `column${index + 1}`;
}

function externalRelation(external: ExternalRelation, label: string): Relation {
  const columns = external.columns?.map((c) => {
    const name = c.toLowerCase();
    return {
      key: name,
      name,
      edges: [{ node: external.node, column: name, kind: 'copied' as const }],
      fp: `${external.node}.${name}`,
    };
  });
  return { label, node: external.node, columns, rowEdges: [] };
}

function findCte(ctes: Ctes | undefined, name: string): Relation | undefined {
  for (let c = ctes; c; c = c.parent) {
    const found = c.map.get(name);
    if (found) return found;
  }
  return undefined;
}

function columnOf(relation: Relation, column: string): Resolved | undefined {
  const known = relation.columns?.find((c) => c.key === column);
  if (known) return known;
  if (relation.node)
    return { edges: [{ node: relation.node, column, kind: 'copied' }], fp: `${relation.node}.${column}` };
  if (relation.opaque) return { edges: withKind(relation.opaque, 'transformed'), fp: `${relation.label}.${column}` };
  return undefined;
}

function findInScope(scope: Scope, parts: string[]): Resolved | undefined {
  const column = parts.at(-1)!;
  if (parts.length > 1) {
    const qualifier = parts.at(-2)!;
    const match = scope.relations.find((r) => r.alias === qualifier);
    return match ? columnOf(match.relation, column) : undefined;
  }
  const withColumn = scope.relations.filter((r) => r.relation.columns?.some((c) => c.key === column));
  if (withColumn.length > 0) return columnOf(withColumn[0]!.relation, column);
  const open = scope.relations.filter((r) => !r.relation.columns);
  if (open.length === 1) return columnOf(open[0]!.relation, column);
  const alias = scope.projection.find((c) => c.key === column);
  if (alias) return alias;
  // A single relation whose known columns are a partial list (properties YAML) still owns the name.
  if (scope.relations.length === 1 && scope.relations[0]!.relation.node)
    return columnOf(scope.relations[0]!.relation, column);
  return undefined;
}

/** Column aliases `t(a, b)` rename a relation's columns by position. */
function renameColumns(relation: Relation, aliases: Json[], label: string): void {
  if (aliases.length === 0) return;
  const columns = relation.columns ?? [];
  if (columns.length < aliases.length)
    throw new LineageGap(`${label} names ${aliases.length} columns but has ${columns.length}`);
  relation.columns = columns.map((c, i) => {
    const a = aliases[i];
    if (!a) return c;
    const ident = a.name ?? a;
    return { ...c, key: key(ident), name: nameOf(ident) };
  });
}

function identsIn(node: Json): string[] {
  const out: string[] = [];
  const visit = (n: Json) => {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(visit);
    if (typeof n.value === 'string' && !('Identifier' in n)) {
      out.push(key(n));
      return;
    }
    Object.values(n).forEach(visit);
  };
  visit(node);
  return out;
}

function renameItems(rename: Json): Array<{ ident: Json; alias: Json }> {
  if (!rename) return [];
  if (rename.Single) return [rename.Single];
  if (rename.Multiple) return rename.Multiple;
  return [];
}

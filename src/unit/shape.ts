/**
 * The shape (columns and types, no rows) of a node that may not exist in the warehouse yet,
 * as SQL: the relation itself when it exists; a seed's CSV types (also behind a source that
 * names the seed's relation); a source's declared data_types; a model's SQL over the shapes
 * of its parents, or its declared data types (a contract's) when a parent's shape is
 * unknown. This is how a unit test types the columns a fixture leaves out on a fresh
 * schema, with no upstream built.
 */
import { join } from 'node:path';
import type { Relation } from '../adapters/relation.js';
import { Compiler } from '../compile/compiler.js';
import { injectCtes } from '../compile/ephemeral.js';
import type { Materializer } from '../run/materialize.js';
import { readSeed } from '../seeds/csv.js';
import { literal } from './fixture-sql.js';
import { sourceBuilders } from '../graph/dag.js';

/** Shapes nest their parents' shapes; past this size a chain is not worth inlining. */
const maxShapeSql = 200_000;

export class ShapeBuilder {
  private readonly cache = new Map<string, Promise<string | undefined>>();
  private readonly compiler: Compiler;
  private readonly sourceBuilders: Map<string, string>;
  private readonly cteOf = (id: string) => `__kiln_shape_${id.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 60);

  constructor(private readonly m: Materializer) {
    const { info } = m.session;
    this.compiler = new Compiler(m.parsed, { ...m.session, info: { ...info, flags: { ...info.flags, EMPTY: false } } });
    // Every ref and source renders as the CTE holding its shape.
    const deferred = new Map<string, Relation>();
    for (const n of m.parsed.manifest.nodes.values())
      if (n.config.materialized !== 'ephemeral')
        deferred.set(n.uniqueId, m.adapter.relation(undefined, undefined, this.cteOf(n.uniqueId), 'cte'));
    for (const id of m.parsed.manifest.sources.keys())
      deferred.set(id, m.adapter.relation(undefined, undefined, this.cteOf(id), 'cte'));
    this.compiler.deferred = deferred;
    this.sourceBuilders = new Map(sourceBuilders(m.parsed.manifest).map(([builder, source]) => [source, builder]));
  }

  private seedNamed(name: string): string | undefined {
    const { manifest } = this.m.parsed;
    const seeds = [...manifest.nodes.values(), ...(manifest.disabled?.values() ?? [])].filter(
      (n) => n.resourceType === 'seed' && n.name.toLowerCase() === name.toLowerCase(),
    );
    return seeds.length === 1 ? seeds[0]!.uniqueId : undefined;
  }

  /** Zero-row SQL with the node's columns, or undefined when they cannot be known. */
  shape(id: string): Promise<string | undefined> {
    let p = this.cache.get(id);
    if (!p) {
      p = this.build(id, new Set()).catch(() => undefined);
      this.cache.set(id, p);
    }
    return p;
  }

  private async build(id: string, visiting: Set<string>): Promise<string | undefined> {
    const { manifest, project } = this.m.parsed;
    const node = manifest.nodes.get(id) ?? manifest.disabled?.get(id);
    const source = manifest.sources.get(id);
    const q = (n: string) => this.m.adapter.quoteIdentifier(n);
    const enabled = node !== undefined && manifest.nodes.has(id);
    const relation = node
      ? node.config.materialized === 'ephemeral' || !enabled
        ? undefined
        : this.m.relationFor(node)
      : source
        ? this.m.adapter.relation(source.database, source.schema, source.identifier)
        : undefined;
    if (relation && (await this.m.existing(relation))) return `select * from ${relation.render()} where false`;
    if (node?.resourceType === 'seed') {
      const seed = readSeed(
        join(project.projectDir, node.originalFilePath),
        node.originalFilePath,
        node.config.column_types ?? {},
      );
      const typedNull = (c: (typeof seed.columns)[number]) =>
        `${literal(null, c.type ?? this.m.adapter.seedColumnType(c.kind))} as ${q(c.name)}`;
      return `select ${seed.columns.map(typedNull).join(', ')} where false`;
    }
    // A source that names a relation the project builds (a seed loaded as a source) has its
    // builder's shape; failing that, a seed of the table's name (jaffle-shop loads its raw
    // tables from seeds that are disabled by default) gives its CSV's.
    const builder = source ? (this.sourceBuilders.get(id) ?? this.seedNamed(source.identifier)) : undefined;
    if (builder && !visiting.has(builder)) return this.build(builder, visiting);
    const declared = Object.values((node ?? source)?.columns ?? {});
    const fromDeclared =
      declared.length && declared.every((c) => c.data_type)
        ? `select ${declared.map((c) => `${literal(null, c.data_type)} as ${q(c.name)}`).join(', ')} where false`
        : undefined;
    if (source || !node || !this.m.parsed.templates.has(id) || visiting.has(id)) return fromDeclared;
    visiting.add(id);
    const parents = new Set<string>();
    const walk = (nid: string) => {
      for (const p of manifest.nodes.get(nid)?.dependsOn.nodes ?? []) {
        if (manifest.nodes.get(p)?.config.materialized === 'ephemeral') walk(p);
        else parents.add(p);
      }
    };
    walk(id);
    const ctes: Array<{ name: string; sql: string }> = [];
    for (const p of parents) {
      const sql = await this.build(p, visiting);
      // Parents of unknown shape: the model's declared columns (a contract's data types) if it has them.
      if (sql === undefined) return fromDeclared;
      ctes.push({ name: this.cteOf(p), sql });
    }
    const sql = injectCtes(this.compiler.compile(id).compiledCode, ctes);
    return sql.length > maxShapeSql ? undefined : sql;
  }
}

/**
 * Materializations as control flow: what to create, in which order, in which transaction.
 * How each warehouse spells it comes from dispatched macros in templates/. A table or view
 * is built under a temporary name and swapped in, so a failed build never replaces a good
 * relation with a half-built one.
 */
import { KilnError } from '../errors.js';
import type { Adapter, ExistingRelation, Session } from '../adapters/types.js';
import type { Relation, RelationType } from '../adapters/relation.js';
import type { Compiler } from '../compile/compiler.js';
import type { ParsedProject } from '../parse/index.js';
import type { GraphNode } from '../parse/nodes.js';
import { dispatchMacro } from '../template/context.js';
import { readSeed } from '../seeds/csv.js';
import { join } from 'node:path';

export const tempSuffix = '__kiln_tmp';

export interface BuildOutcome {
  message: string;
  relation?: Relation;
  rows?: number;
}

export class Materializer {
  private readonly known = new Map<string, Promise<Map<string, ExistingRelation>>>();
  private readonly schemas = new Map<string, Promise<void>>();

  constructor(
    private readonly parsed: ParsedProject,
    private readonly compiler: Compiler,
    private readonly adapter: Adapter,
  ) {}

  /** Renders a dispatched adapter macro (e.g. create_table_as) into SQL. */
  sql(name: string, ...args: unknown[]): string {
    const fn = dispatchMacro(this.parsed.engine, this.adapter.type, name) as (...a: unknown[]) => unknown;
    return String(fn(...args)).trim();
  }

  private schemaKey(database: string | undefined, schema: string): string {
    return `${database ?? ''}\u0000${schema}`;
  }

  /** The relations of a schema, listed once per invocation and kept up to date. */
  private relationsIn(database: string | undefined, schema: string): Promise<Map<string, ExistingRelation>> {
    const key = this.schemaKey(database, schema);
    let p = this.known.get(key);
    if (!p) {
      p = this.adapter.listRelations(database, schema).then((list) => new Map(list.map((r) => [r.name, r])));
      this.known.set(key, p);
    }
    return p;
  }

  async existing(relation: Relation): Promise<RelationType | undefined> {
    const rels = await this.relationsIn(relation.database, relation.schema ?? this.adapter.defaultSchema);
    return rels.get(relation.identifier)?.type;
  }

  private async remember(relation: Relation, type: RelationType | undefined): Promise<void> {
    const rels = await this.relationsIn(relation.database, relation.schema ?? this.adapter.defaultSchema);
    if (type) rels.set(relation.identifier, { database: relation.database, schema: relation.schema!, name: relation.identifier, type });
    else rels.delete(relation.identifier);
  }

  async ensureSchema(database: string | undefined, schema: string): Promise<void> {
    const key = this.schemaKey(database, schema);
    let p = this.schemas.get(key);
    if (!p) {
      p = this.adapter.createSchema(database, schema);
      this.schemas.set(key, p);
    }
    return p;
  }

  relationFor(node: GraphNode): Relation {
    return this.adapter.relation(node.database, node.schema, node.alias, node.config.materialized === 'view' ? 'view' : 'table');
  }

  async build(node: GraphNode, compiledSql: string): Promise<BuildOutcome> {
    const materialized = node.resourceType === 'seed' ? 'seed' : String(node.config.materialized ?? 'view');
    switch (materialized) {
      case 'view':
        return this.swapIn(node, 'view', (tmp) => this.sql('create_view_as', tmp, compiledSql));
      case 'table':
        return this.swapIn(node, 'table', (tmp) => this.sql('create_table_as', tmp, compiledSql));
      case 'seed':
        return this.seed(node);
      case 'ephemeral':
        return { message: 'ephemeral (inlined as a CTE)' };
      default:
        throw new KilnError('config', `materialization '${materialized}' is not supported`, {
          file: node.originalFilePath,
          hint: 'use view, table or ephemeral',
        });
    }
  }

  private async dropIfExists(relation: Relation, session?: Session): Promise<void> {
    const type = await this.existing(relation);
    if (!type) return;
    const sql = this.sql('drop_relation', relation, type);
    await (session ? session.execute(sql) : this.adapter.execute(sql));
    await this.remember(relation, undefined);
  }

  /**
   * Creates the new relation under a temporary name, then, in one transaction, drops the
   * old one and renames the new one into place. The old relation stays until then.
   */
  private async swapIn(node: GraphNode, type: RelationType, create: (tmp: Relation) => string, fill?: (tmp: Relation, s: Session) => Promise<number>): Promise<BuildOutcome> {
    const target = this.relationFor(node).withType(type);
    const tmp = target.withIdentifier(target.identifier + tempSuffix);
    await this.ensureSchema(target.database, target.schema!);
    await this.dropIfExists(tmp);
    await this.runHooks(node, 'pre_hook');
    let rows: number | undefined;
    try {
      if (fill) {
        await this.adapter.transaction(async (s) => {
          await s.execute(create(tmp));
          rows = await fill(tmp, s);
        });
      } else await this.adapter.execute(create(tmp));
      await this.remember(tmp, type);
    } catch (e) {
      await this.adapter.execute(this.sql('drop_relation', tmp, type)).catch(() => undefined);
      await this.remember(tmp, undefined);
      throw e;
    }
    await this.adapter.transaction(async (s) => {
      const old = await this.existing(target);
      if (old) await s.execute(this.sql('drop_relation', target.withType(old), old));
      await s.execute(this.sql('rename_relation', tmp, type, target.identifier));
    });
    await this.remember(tmp, undefined);
    await this.remember(target, type);
    await this.runHooks(node, 'post_hook');
    const what = node.resourceType === 'seed' ? `INSERT ${rows ?? 0}` : `CREATE ${type.toUpperCase()}`;
    return { message: what, relation: target, rows };
  }

  private async runHooks(node: GraphNode, which: 'pre_hook' | 'post_hook'): Promise<void> {
    const hooks = (node.config[which] as string[] | undefined) ?? [];
    for (const hook of hooks) {
      const sql = this.parsed.engine.render(this.parsed.engine.compile(hook, node.originalFilePath), this.compiler.nodeScope(node), node.originalFilePath).trim();
      if (sql) await this.adapter.execute(sql);
    }
  }

  private async seed(node: GraphNode): Promise<BuildOutcome> {
    const file = join(this.parsed.project.projectDir, node.originalFilePath);
    const seed = readSeed(file, node.originalFilePath, (node.config.column_types as Record<string, string>) ?? {});
    const columns = seed.columns.map((c) => ({ name: c.name, type: c.type ?? this.adapter.seedColumnType(c.kind) }));
    return this.swapIn(
      node,
      'table',
      (tmp) => this.sql('create_empty_table', tmp, columns),
      async (tmp, s) => {
        await this.adapter.loadSeed(tmp, seed, s);
        return seed.rows.length;
      },
    );
  }
}

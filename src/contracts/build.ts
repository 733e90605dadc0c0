/**
 * Building a model with an enforced contract: a zero-row probe compares the columns the SQL
 * returns with the declared ones (a table of differences fails the node before anything is
 * built), then a table is created from explicit DDL — declared types and constraints — and
 * filled from the SQL, so the warehouse checks every row against the constraints.
 */
import { KilnError } from '../errors.js';
import type { ColumnInfo } from '../adapters/types.js';
import type { Relation } from '../adapters/relation.js';
import type { ConstraintDef, GraphNode } from '../parse/nodes.js';
import type { BuildOutcome, Materializer } from '../run/materialize.js';
import { parseInput } from '../parse/unit-tests.js';
import { contractColumns } from '../parse/contracts.js';
import { diffContract, formatMismatches } from './diff.js';
import { allSettled, probeColumns } from './probe.js';
import { constraintSupport, supportReason } from './support.js';

/** `fallback` builds the node the usual way (views, and incremental runs that only insert). */
export async function buildWithContract(
  m: Materializer,
  node: GraphNode,
  sql: string,
  materialized: string,
  fallback: () => Promise<BuildOutcome>,
): Promise<BuildOutcome> {
  await checkContract(m, node, sql);
  const ddl = materialized === 'table' || (materialized === 'incremental' && !m.isIncremental(node));
  if (!ddl) {
    if (materialized === 'view' && hasConstraints(node))
      warn(m, `model '${node.name}' is a view: its constraints are not applied (only tables carry constraints)`);
    return fallback();
  }
  const present = (list: Array<Record<string, unknown> | undefined>) =>
    list.filter((k): k is Record<string, unknown> => k !== undefined);
  const columns = contractColumns(node).map((c) => ({
    name: c.name,
    data_type: c.data_type!,
    constraints: present((c.constraints ?? []).map((k) => constraintArgs(m, node, k))),
  }));
  const modelLevel: Array<Record<string, unknown>> = [];
  for (const k of node.constraints ?? []) {
    // A table constraint cannot say "not null": it applies to each named column instead.
    if (k.type === 'not_null') {
      for (const name of k.columns ?? [])
        columns.find((c) => c.name.toLowerCase() === name.toLowerCase())?.constraints.push({ type: 'not_null' });
    } else modelLevel.push(...present([constraintArgs(m, node, k)]));
  }
  const names = columns.map((c) => c.name);
  const outcome = await m.swapIn(
    node,
    'table',
    (tmp) => m.sql('create_table_with_contract', tmp, columns, modelLevel),
    async (tmp, s) => {
      await s.execute(m.sql('insert_into_contract', tmp, names, sql));
      return Number((await s.execute(m.sql('kiln_count_rows', tmp))).rows[0]?.n ?? 0);
    },
  );
  return { ...outcome, message: `CREATE TABLE (${outcome.rows ?? 0} rows, contract enforced)` };
}

/** Fails with a table of differences when the SQL's columns do not match the contract. */
export async function checkContract(m: Materializer, node: GraphNode, sql: string): Promise<void> {
  const near = m.relationFor(node);
  const declared = contractColumns(node);
  const [definition, contract] = await allSettled<[ColumnInfo[], ColumnInfo[]]>([
    probeColumns(m, near, sql),
    declaredTypes(m, node, near),
  ]);
  const mismatches = diffContract(definition, contract);
  if (!mismatches.length) return;
  throw new KilnError(
    'config',
    `model '${node.name}' has an enforced contract that failed: its ` +
      `SQL does not return the declared columns\n\n${formatMismatches(mismatches)}`,
    {
      file: node.patchPath?.replace(/^[^:]*:\/\//, '') ?? node.originalFilePath,
      hint:
        `make the name, data_type and number of columns in the YAML (${declared.length} ` +
        `declared) match what ${node.originalFilePath} returns`,
    },
  );
}

/** The declared types as the warehouse names them; an unknown type names its column. */
async function declaredTypes(m: Materializer, node: GraphNode, near: Relation): Promise<ColumnInfo[]> {
  const declared = contractColumns(node);
  try {
    return await probeColumns(m, near, m.sql('contract_types_sql', declared));
  } catch (e) {
    for (const c of declared) {
      try {
        await probeColumns(m, near, m.sql('contract_types_sql', [c]));
      } catch {
        throw new KilnError(
          'config',
          `model '${node.name}': column '${c.name}' declares data_type ` +
            `'${c.data_type}', which ${m.adapter.type} does not know`,
          {
            file: node.patchPath?.replace(/^[^:]*:\/\//, ''),
            hint: 'use a type name of the warehouse, e.g. integer, varchar, date',
          },
        );
      }
    }
    throw e;
  }
}

function hasConstraints(node: GraphNode): boolean {
  return (node.constraints?.length ?? 0) > 0 || contractColumns(node).some((c) => (c.constraints?.length ?? 0) > 0);
}

/**
 * A constraint as the DDL macros take it, with `to: ref('x')` resolved; undefined when the warehouse cannot take it.
 */
function constraintArgs(m: Materializer, node: GraphNode, k: ConstraintDef): Record<string, unknown> | undefined {
  const support = constraintSupport(m.adapter.type, k.type);
  if (support !== 'enforced' && k.warn_unenforced !== false && k.warn_unsupported !== false) {
    warn(
      m,
      `model '${node.name}': ${m.adapter.type} does not enforce ${k.type} constraints, so ${supportReason[support]}`,
    );
  }
  if (support === 'omitted') return undefined;
  const base = {
    type: k.type,
    name: k.name,
    expression: k.expression,
    columns: k.columns ?? [],
    to_columns: k.to_columns,
  };
  if (k.type !== 'foreign_key' || !k.to) return base;
  const target = parseInput(k.to);
  const { manifest } = m.parsed;
  const file = node.patchPath?.replace(/^[^:]*:\/\//, '');
  let to: Relation;
  if (target?.kind === 'ref') {
    const parent = [...manifest.nodes.values()].find(
      (n) =>
        n.name === target.name &&
        (n.resourceType === 'model' || n.resourceType === 'seed' || n.resourceType === 'snapshot'),
    );
    if (!parent)
      throw new KilnError('config', `model '${node.name}': foreign_key to ${k.to} names no model or seed`, { file });
    to = m.relationFor(parent);
  } else if (target?.kind === 'source') {
    const src = [...manifest.sources.values()].find((s) => s.sourceName === target.source && s.name === target.table);
    if (!src) throw new KilnError('config', `model '${node.name}': foreign_key to ${k.to} names no source`, { file });
    to = m.adapter.relation(src.database, src.schema, src.identifier);
  } else return { ...base, to_relation: k.to, to_relation_in_database: k.to };
  return { ...base, to_relation: to.render(), to_relation_in_database: to.include({ database: false }).render() };
}

/** Each warning once per invocation (one materializer per invocation). */
const warned = new WeakMap<Materializer, Set<string>>();
function warn(m: Materializer, message: string): void {
  const seen = warned.get(m) ?? warned.set(m, new Set()).get(m)!;
  if (seen.has(message)) return;
  seen.add(message);
  m.session.info.log(`warning: ${message}`);
}

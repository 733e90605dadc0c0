/**
 * A model's contract: `contract: {enforced: true}` and a `data_type` on every column of its
 * properties YAML. Checked when the project is parsed, so a contract that cannot be kept is
 * bad input (exit 2) before anything runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../errors.js';
import { parseYaml } from '../config/yaml.js';
import type { ColumnDef, ConstraintDef, GraphNode } from './nodes.js';
import { parseInput } from './unit-tests.js';

export const constraintTypes = ['not_null', 'unique', 'primary_key', 'foreign_key', 'check', 'custom'] as const;
export type ConstraintType = (typeof constraintTypes)[number];

/** Refs a model has only because a foreign key names them (its SQL does not read them). */
const constraintParents = new WeakMap<GraphNode, Set<string>>();
export function refsFromConstraints(node: GraphNode): ReadonlySet<string> {
  return constraintParents.get(node) ?? new Set();
}

export function contractEnforced(node: GraphNode): boolean {
  const c = node.config.contract as { enforced?: unknown } | undefined;
  return (
    node.resourceType === 'model' &&
    c !== undefined &&
    c !== null &&
    (c.enforced === true || String(c.enforced).toLowerCase() === 'true')
  );
}

/** The declared columns, in YAML order. */
export function contractColumns(node: GraphNode): ColumnDef[] {
  return Object.values(node.columns);
}

/** Checks every model with an enforced contract; the first problem is a `config` error at its YAML line. */
export function checkContracts(nodes: Iterable<GraphNode>, projectDir: string): void {
  for (const node of nodes) if (contractEnforced(node)) checkContract(node, projectDir);
}

function checkContract(node: GraphNode, projectDir: string): void {
  const file = node.patchPath?.replace(/^[^:]*:\/\//, '');
  const where = (sub: Array<string | number>) => ({
    file: file ?? node.originalFilePath,
    line: file ? lineInProperties(projectDir, file, node.name, sub) : undefined,
  });
  const fail = (message: string, sub: Array<string | number>, hint: string) =>
    new KilnError('config', `model '${node.name}' has an enforced contract, but ${message}`, { ...where(sub), hint });
  const materialized = String(node.config.materialized ?? 'view');
  if (!['table', 'view', 'incremental'].includes(materialized))
    throw fail(`it is materialized as '${materialized}'`, [], 'contracts apply to table, view and incremental models');
  const columns = contractColumns(node);
  if (!columns.length)
    throw fail(
      'its properties YAML declares no columns',
      [],
      'list every column the model returns under columns:, each with a data_type',
    );
  columns.forEach((c, i) => {
    if (!c.data_type)
      throw fail(
        `column '${c.name}' has no data_type`,
        ['columns', i],
        'give every column of a contracted model a data_type, e.g. data_type: integer',
      );
    (c.constraints ?? []).forEach((k, j) =>
      checkConstraint(k, (m, h) => fail(`column '${c.name}': ${m}`, ['columns', i, 'constraints', j], h), false),
    );
  });
  // A foreign key's parent must be built first: `to: ref('x')` makes x a parent, as in dbt.
  for (const k of [...(node.constraints ?? []), ...columns.flatMap((c) => c.constraints ?? [])]) {
    const to = k && k.type === 'foreign_key' && typeof k.to === 'string' ? parseInput(k.to) : undefined;
    if (to?.kind === 'ref' && !node.refs.some((r) => r.name === to.name)) {
      node.refs.push({ name: to.name, package: to.package });
      (constraintParents.get(node) ?? constraintParents.set(node, new Set()).get(node)!).add(to.name);
    }
    if (to?.kind === 'source' && !node.sources.some(([s, t]) => s === to.source && t === to.table))
      node.sources.push([to.source, to.table]);
  }
  const names = new Set(columns.map((c) => c.name.toLowerCase()));
  (node.constraints ?? []).forEach((k, j) => {
    checkConstraint(k, (m, h) => fail(m, ['constraints', j], h), true);
    for (const col of k.columns ?? [])
      if (!names.has(col.toLowerCase()))
        throw fail(
          `constraint '${k.type}' names column '${col}', which the contract does not declare`,
          ['constraints', j],
          'name columns declared under columns:',
        );
  });
}

function checkConstraint(
  k: ConstraintDef,
  fail: (message: string, hint: string) => KilnError,
  modelLevel: boolean,
): void {
  if (!k || typeof k !== 'object' || typeof k.type !== 'string')
    throw fail('a constraint needs a type', `one of: ${constraintTypes.join(', ')}`);
  if (!(constraintTypes as readonly string[]).includes(k.type))
    throw fail(`constraint type '${k.type}' is unknown`, `use one of: ${constraintTypes.join(', ')}`);
  if ((k.type === 'check' || k.type === 'custom') && !k.expression)
    throw fail(
      `a ${k.type} constraint needs an expression`,
      k.type === 'check' ? 'expression: "amount >= 0"' : 'expression: the SQL to add to the column',
    );
  if (k.type === 'foreign_key' && !k.expression && !k.to)
    throw fail(
      'a foreign_key constraint needs `to: ref(...)` and `to_columns`, or an expression',
      "to: ref('customers')\n  to_columns: [id]",
    );
  if (modelLevel && ['not_null', 'unique', 'primary_key', 'foreign_key'].includes(k.type) && !k.columns?.length)
    throw fail(`a model-level ${k.type} constraint needs columns:`, 'columns: [id]');
  if (k.columns !== undefined && !Array.isArray(k.columns))
    throw fail('constraint columns must be a list', 'columns: [id]');
}

/** The line of a model's entry (or a key inside it) in a properties file; only on the error path. */
function lineInProperties(
  projectDir: string,
  file: string,
  model: string,
  sub: Array<string | number>,
): number | undefined {
  try {
    const yaml = parseYaml(readFileSync(join(projectDir, file), 'utf8'), file);
    const models = (yaml.data as { models?: Array<{ name?: string }> }).models ?? [];
    const i = models.findIndex((m) => m?.name === model);
    if (i < 0) return undefined;
    return yaml.lineOf(['models', i, ...sub]);
  } catch {
    return undefined;
  }
}

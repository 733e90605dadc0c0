/**
 * Running one unit test: the model's SQL over fixture CTEs, its output compared with the
 * expected rows on the expected columns, order-insensitive.
 */
import { KilnError } from '../errors.js';
import type { ColumnInfo, QueryResult } from '../adapters/types.js';
import type { Relation } from '../adapters/relation.js';
import { ShapeBuilder } from './shape.js';
import { injectCtes } from '../compile/ephemeral.js';
import type { GraphNode, UnitTestGiven, UnitTestNode } from '../parse/nodes.js';
import type { Materializer } from '../run/materialize.js';
import type { NodeResult, TimingInfo } from '../run/results.js';
import { inferKind } from '../seeds/csv.js';
import { errorMessage } from '../errors.js';
import { allSettled, probeColumns } from '../contracts/probe.js';
import { refsFromConstraints } from '../parse/contracts.js';
import { UnitTestCompiler } from './compiler.js';
import { loadFixture, type Fixture } from './fixtures.js';
import { fixtureSql } from './fixture-sql.js';
import { compareRows, formatDiff } from './compare.js';
import { inTestedModel } from '../compile/error-location.js';

export interface UnitTestOutcome {
  status: 'pass' | 'fail';
  failures: number;
  message: string;
  sql: string;
}

/** The runner's entry: a unit test node in, a node result out (errors become an `error` result). */
export async function executeUnitTest(test: UnitTestNode, threadId: string, m: Materializer): Promise<NodeResult> {
  const start = Date.now();
  const started = new Date().toISOString();
  const base = { uniqueId: test.uniqueId, threadId, adapterResponse: {} as Record<string, unknown> };
  const timing = (): TimingInfo[] => [{ name: 'execute', started_at: started, completed_at: new Date().toISOString() }];
  try {
    const outcome = await runUnitTest(test, m);
    return {
      ...base,
      status: outcome.status,
      message: outcome.message,
      failures: outcome.failures,
      executionTime: (Date.now() - start) / 1000,
      timing: timing(),
    };
  } catch (e) {
    return {
      ...base,
      status: 'error',
      message: errorMessage(e),
      failures: null,
      executionTime: (Date.now() - start) / 1000,
      timing: timing(),
    };
  }
}

interface ResolvedInput {
  id: string;
  given?: UnitTestGiven;
  label: string;
}

export async function runUnitTest(test: UnitTestNode, m: Materializer): Promise<UnitTestOutcome> {
  const { manifest, project } = m.parsed;
  const model = manifest.nodes.get(test.model);
  if (!model) throw new KilnError('internal', `unit test ${test.uniqueId} has no model`);
  const shapes = new ShapeBuilder(m);
  const inputs = resolveInputs(test, model, m);
  const ctes: Array<{ name: string; sql: string }> = [];
  const deferred = new Map<string, Relation>();
  for (const [i, input] of inputs.entries()) {
    if (!input.given) continue;
    const name = `__kiln_input_${i}_${input.label.replace(/[^A-Za-z0-9_]/g, '_')}`.slice(0, 60);
    const fixture = loadFixture(input.given, test, project, `input ${input.given.input}`);
    const columns = fixture.kind === 'rows' ? await inputColumns(input, fixture, model, m, shapes) : undefined;
    ctes.push({
      name,
      sql: fixtureSql(fixture, {
        quote: (n) => m.adapter.quoteIdentifier(n),
        columns,
        describe: `unit test '${test.name}': input ${input.given.input}`,
      }),
    });
    deferred.set(input.id, m.adapter.relation(undefined, undefined, name, 'cte'));
  }
  const compiler = new UnitTestCompiler(m.parsed, m.session, test, deferred);
  const sql = injectCtes(compiler.compile(model.uniqueId).compiledCode, ctes);
  const near = m.relationFor(model);
  const blamingModel = <T>(work: Promise<T>): Promise<T> =>
    work.catch((e: unknown) => {
      throw inTestedModel(e, model, compiler);
    });

  const outputColumns = await blamingModel(probeColumns(m, near, sql));
  const expectFixture = loadFixture(test.expect, test, project, 'expect');
  const q = (n: string) => m.adapter.quoteIdentifier(n);
  let expectedSql: string;
  let columns: string[];
  if (expectFixture.kind === 'rows') {
    columns = expectFixture.columns.map((c) => matchColumn(c, outputColumns, test, model, expectFixture));
    const typed = columns.map((c) => outputColumns.find((o) => o.name === c)!);
    // Expected values take the types the model returns, so both sides compare alike.
    const renamed: Fixture = {
      ...expectFixture,
      columns,
      rows: expectFixture.rows.map((r) => Object.fromEntries(expectFixture.columns.map((c, i) => [columns[i]!, r[c]]))),
    };
    expectedSql = columns.length
      ? fixtureSql(renamed, { quote: q, columns: typed, describe: `unit test '${test.name}': expect` })
      : '';
  } else {
    expectedSql = expectFixture.sql;
    const shape = await probeColumns(m, near, expectedSql);
    columns = shape.map((c) => matchColumn(c.name, outputColumns, test, model, expectFixture));
  }
  const list = columns.map(q).join(', ');
  const [actual, expected] = await blamingModel(
    allSettled<[QueryResult, QueryResult]>([
      m.adapter.execute(`select ${list || 'count(*) as n'} from (\n${sql}\n) as kiln_actual`),
      expectedSql
        ? m.adapter.execute(`select ${list} from (\n${expectedSql}\n) as kiln_expected`)
        : Promise.resolve({ columns: [], rows: [] }),
    ]),
  );
  // Rows keyed by `columns`, read by position: a warehouse may name result columns in another
  // case than its catalog does (Snowflake gives ID back as id).
  const byColumn = (r: QueryResult) =>
    r.rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[r.columns[i] ?? c]])));
  // With no expected columns (expect: {rows: []}), only the row count matters.
  const actualRows = list ? byColumn(actual) : Array.from({ length: Number(actual.rows[0]?.n ?? 0) }, () => ({}));
  const numeric = new Set(
    columns.filter((c) =>
      /numeric|decimal|double|real|float/i.test(outputColumns.find((o) => o.name === c)?.type ?? ''),
    ),
  );
  const comparison = compareRows(
    canonical(expectedSql ? byColumn(expected) : [], numeric),
    canonical(actualRows, numeric),
    columns,
  );
  if (comparison.equal) return { status: 'pass', failures: 0, message: 'PASS', sql };
  const failures = comparison.missing.length + comparison.extra.length + comparison.changed.length;
  return {
    status: 'fail',
    failures,
    message:
      `unit test '${test.name}' of model '${model.name}': ` +
      formatDiff(comparison, columns.length ? columns : ['(row)']),
    sql,
  };
}

/** Numbers some drivers return as text keep their scale ('5.00'); 5 and 5.00 are the same value. */
function canonical(rows: Array<Record<string, unknown>>, numeric: Set<string>): Array<Record<string, unknown>> {
  if (!numeric.size) return rows;
  return rows.map((r) => {
    const out = { ...r };
    for (const c of numeric) {
      const v = out[c];
      if (typeof v === 'string' && /^-?\d*\.\d+$|^-?\d+\.?\d*$/.test(v))
        out[c] = v.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v;
    }
    return out;
  });
}

function matchColumn(
  name: string,
  output: ColumnInfo[],
  test: UnitTestNode,
  model: GraphNode,
  fixture: Fixture,
): string {
  const hit = output.find((o) => o.name === name) ?? output.find((o) => o.name.toLowerCase() === name.toLowerCase());
  if (!hit) {
    throw new KilnError(
      'config',
      `unit test '${test.name}': expect names column '${name}', which model '${model.name}' does not return`,
      { file: fixture.file, line: fixture.line, hint: `the model returns: ${output.map((o) => o.name).join(', ')}` },
    );
  }
  return hit.name;
}

/** Every ref and source of the model, with its given rows; a seed not given reads the seed itself. */
function resolveInputs(test: UnitTestNode, model: GraphNode, m: Materializer): ResolvedInput[] {
  const { manifest } = m.parsed;
  const out: ResolvedInput[] = [];
  const givenFor = (pred: (g: UnitTestGiven) => boolean) => test.given.find(pred);
  for (const id of model.dependsOn.nodes) {
    const node = manifest.nodes.get(id);
    const source = manifest.sources.get(id);
    const given = node
      ? givenFor((g) => g.target.kind === 'ref' && g.target.name === node.name)
      : source
        ? givenFor(
            (g) =>
              g.target.kind === 'source' && g.target.source === source.sourceName && g.target.table === source.name,
          )
        : undefined;
    const label = node ? node.name : source ? `${source.sourceName}_${source.name}` : id;
    // A parent named only by a foreign key constraint is not read by the SQL.
    if (!given && node && refsFromConstraints(model).has(node.name)) continue;
    if (!given && node?.resourceType !== 'seed') {
      const call = node ? `ref('${node.name}')` : source ? `source('${source.sourceName}', '${source.name}')` : id;
      throw new KilnError(
        'config',
        `unit test '${test.name}': model '${model.name}' reads ${call}, but no input gives its rows`,
        {
          file: test.declaredAt.file,
          line: test.declaredAt.line,
          hint: `add to given: - input: ${call}\n      rows: []`,
        },
      );
    }
    out.push({ id, given, label });
  }
  const self = givenFor((g) => g.target.kind === 'this');
  if (self) out.push({ id: model.uniqueId, given: self, label: 'this' });
  return out;
}

/**
 * The input's columns and types: from the warehouse when its relation exists, else from the
 * upstream's shape (its compiled SQL over its own parents' shapes), else from data_type in
 * its YAML; untyped CSV cells are typed as seeds are.
 */
async function inputColumns(
  input: ResolvedInput,
  fixture: Extract<Fixture, { kind: 'rows' }>,
  model: GraphNode,
  m: Materializer,
  shapes: ShapeBuilder,
): Promise<ColumnInfo[] | undefined> {
  const { manifest } = m.parsed;
  const node = input.id === model.uniqueId ? model : manifest.nodes.get(input.id);
  const source = manifest.sources.get(input.id);
  const relation = node
    ? node.config.materialized === 'ephemeral'
      ? undefined
      : m.relationFor(node)
    : source
      ? m.adapter.relation(source.database, source.schema, source.identifier)
      : undefined;
  if (relation && (await m.existing(relation))) {
    const cols = await m.adapter.getColumns(relation);
    if (cols.length) return cols;
  }
  const shape = await shapes.shape(input.id);
  if (shape !== undefined) {
    try {
      const cols = await probeColumns(m, m.relationFor(model), shape);
      if (cols.length) return cols;
    } catch {
      // A shape the warehouse cannot plan: fall back to what the YAML declares.
    }
  }
  const declared = Object.values((node ?? source)?.columns ?? {});
  if (declared.length && declared.every((c) => c.data_type))
    return declared.map((c, i) => ({ name: c.name, type: c.data_type!, index: i + 1 }));
  if (fixture.csv)
    return fixture.columns.map((name, i) => ({
      name,
      type: m.adapter.seedColumnType(inferKind(fixture.rows.map((r) => (r[name] as string | null) ?? null))),
      index: i + 1,
    }));
  return undefined;
}

/**
 * Generator for synthetic dbt-format projects used by the benchmarks.
 *
 * The project is a layered DAG: a tiny seed `base` (ids 1..10), then models
 * spread over up to ten layers in `models/layer_<k>/m_<i>.sql`. Layer 0 models
 * select from the seed; every later model joins one to three models of earlier
 * layers on `id`, so each model keeps exactly the ten seed rows and stays cheap
 * to query even as a chain of views. Each layer has a `_schema.yml` that
 * describes its models and tests `id` with `unique` and `not_null` (as many tests as asked).
 *
 * The output depends only on `models` and `seed`.
 */

import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GenerateOptions {
  /** Number of models to generate (0 or more). */
  models: number;
  /** Seed of the pseudo-random generator that picks parents and values; default 1. */
  seed?: number;
}

const MAX_LAYERS = 10;
const SEED_ROWS = 10;

/** mulberry32: a small, fast, deterministic 32-bit PRNG returning floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, n). */
function pick(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** Number of parents of a model outside layer 0: mostly one, sometimes two or three. */
function parentCount(random: () => number): number {
  const r = random();
  if (r < 0.6) return 1;
  if (r < 0.9) return 2;
  return 3;
}

function projectYaml(): string {
  return [
    'name: bench',
    "version: '1.0.0'",
    'config-version: 2',
    'profile: bench',
    '',
    'model-paths: ["models"]',
    'seed-paths: ["seeds"]',
    'test-paths: ["tests"]',
    'macro-paths: ["macros"]',
    '',
    'target-path: target',
    'clean-targets:',
    '  - target',
    '',
    'models:',
    '  bench:',
    '    +materialized: view',
    '',
  ].join('\n');
}

function seedCsv(random: () => number): string {
  const lines = ['id,value'];
  for (let id = 1; id <= SEED_ROWS; id++) {
    lines.push(`${id},${1 + pick(random, 100)}`);
  }
  return lines.join('\n') + '\n';
}

function baseModelSql(index: number): string {
  return `select id, value + ${index % 7} as value\nfrom {{ ref('base') }}\n`;
}

function joinModelSql(parents: readonly number[]): string {
  if (parents.length === 1) {
    return `select p1.id, (p1.value + 1) % 1000 as value\nfrom {{ ref('m_${parents[0]}') }} as p1\n`;
  }
  const sum = parents.map((_, k) => `p${k + 1}.value`).join(' + ');
  let sql = `select p1.id, (${sum}) % 1000 as value\nfrom {{ ref('m_${parents[0]}') }} as p1\n`;
  for (let k = 1; k < parents.length; k++) {
    sql += `join {{ ref('m_${parents[k]}') }} as p${k + 1} on p${k + 1}.id = p1.id\n`;
  }
  return sql;
}

function schemaYaml(layer: number, first: number, end: number, testsOf: (model: number) => string[]): string {
  const parts: string[] = ['version: 2', '', 'models:'];
  for (let i = first; i < end; i++) {
    parts.push(
      `  - name: m_${i}`,
      `    description: Synthetic benchmark model ${i} in layer ${layer}.`,
      '    columns:',
      '      - name: id',
      '        description: Row identifier carried through from the base seed.',
    );
    const tests = testsOf(i);
    if (tests.length) parts.push('        data_tests:', ...tests.map((t) => `          - ${t}`));
  }
  return parts.join('\n') + '\n';
}

/** One model of the DAG: its layer and the models it joins (none: it reads the seed). */
interface ModelSpec {
  layer: number;
  parents: number[];
}

/** The layered DAG, the same for the dbt-format and the Dataform project. */
function layeredDag(total: number, seed: number): { models: ModelSpec[]; starts: number[]; seedRows: string } {
  const random = createRandom(seed);
  const seedRows = seedCsv(random);
  const layers = Math.min(MAX_LAYERS, total);
  // Layer k holds models [starts[k], starts[k + 1]).
  const starts: number[] = [];
  for (let k = 0; k <= layers; k++) starts.push(Math.floor((k * total) / Math.max(layers, 1)));
  const models: ModelSpec[] = [];
  for (let k = 0; k < layers; k++) {
    const first = starts[k]!;
    const previousFirst = k > 0 ? starts[k - 1]! : 0;
    for (let i = first; i < starts[k + 1]!; i++) {
      if (k === 0) {
        models.push({ layer: 0, parents: [] });
        continue;
      }
      // The first parent comes from the previous layer so that every layer
      // adds depth; further parents come from any earlier layer.
      const parents = [previousFirst + pick(random, first - previousFirst)];
      const wanted = Math.min(parentCount(random), first);
      while (parents.length < wanted) {
        const candidate = pick(random, first);
        if (!parents.includes(candidate)) parents.push(candidate);
      }
      models.push({ layer: k, parents });
    }
  }
  return { models, starts, seedRows };
}

/**
 * Writes a synthetic benchmark project into `dir` (created if missing).
 * Previously generated `models/layer_*` folders in `dir` are removed first so
 * that a smaller project never inherits models from a larger earlier run.
 * `tests` generic tests (default two per model: unique and not_null on id) go to the first models.
 */
export function generateProject(dir: string, opts: { models: number; seed?: number; tests?: number }): void {
  const total = opts.models;
  if (!Number.isInteger(total) || total < 0) {
    throw new RangeError(`models must be a non-negative integer, got ${String(total)}`);
  }
  const tests = opts.tests ?? total * 2;
  const { models, starts, seedRows } = layeredDag(total, opts.seed ?? 1);
  const modelsDir = join(dir, 'models');
  const seedsDir = join(dir, 'seeds');
  mkdirSync(modelsDir, { recursive: true });
  mkdirSync(seedsDir, { recursive: true });
  for (const entry of readdirSync(modelsDir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith('layer_')) {
      rmSync(join(modelsDir, entry.name), { recursive: true, force: true });
    }
  }
  writeFileSync(join(dir, 'dbt_project.yml'), projectYaml());
  writeFileSync(join(seedsDir, 'base.csv'), seedRows);
  const testsOf = (i: number) => ['unique', 'not_null'].slice(0, Math.max(0, Math.min(2, tests - 2 * i)));
  for (let k = 0; k + 1 < starts.length; k++) {
    const layerDir = join(modelsDir, `layer_${k}`);
    mkdirSync(layerDir, { recursive: true });
    for (let i = starts[k]!; i < starts[k + 1]!; i++) {
      const { parents } = models[i]!;
      writeFileSync(join(layerDir, `m_${i}.sql`), parents.length ? joinModelSql(parents) : baseModelSql(i));
    }
    writeFileSync(join(layerDir, '_schema.yml'), schemaYaml(k, starts[k]!, starts[k + 1]!, testsOf));
  }
}

/**
 * The same DAG as a Dataform project (views in definitions/*.sqlx, the seed as a
 * declaration), for comparing `dataform compile` with `kiln compile`. Dataform needs
 * @dataform/core in the project's node_modules: `coreFolder` is copied there.
 */
export function generateDataformProject(
  dir: string,
  opts: { models: number; seed?: number; coreFolder: string },
): void {
  const { models } = layeredDag(opts.models, opts.seed ?? 1);
  const definitions = join(dir, 'definitions');
  rmSync(definitions, { recursive: true, force: true });
  mkdirSync(definitions, { recursive: true });
  writeFileSync(
    join(dir, 'workflow_settings.yaml'),
    'defaultProject: bench\ndefaultDataset: bench\ndefaultLocation: US\n',
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench', dependencies: { '@dataform/core': '*' } }));
  mkdirSync(join(dir, 'node_modules', '@dataform'), { recursive: true });
  cpSync(opts.coreFolder, join(dir, 'node_modules', '@dataform', 'core'), { recursive: true });
  writeFileSync(join(definitions, 'base.sqlx'), 'config { type: "declaration", name: "base" }\n');
  models.forEach(({ parents }, i) => {
    const sql = (parents.length ? joinModelSql(parents) : baseModelSql(i)).replace(
      /\{\{ ref\('([^']+)'\) \}\}/g,
      '${ref("$1")}',
    );
    writeFileSync(join(definitions, `m_${i}.sqlx`), `config { type: "view" }\n${sql}`);
  });
}

/**
 * Column lineage benchmark: a synthetic 10,000-model project whose models read their parents
 * through CTEs and `select *`, join them, and add a window function and a CASE, so each
 * model's `*` needs its parents' lineage. Prints the cold time (a fresh Node process: load,
 * parse, render every node, parse its SQL, resolve every column, write column_lineage.json)
 * as the median of three processes, and the lineage stage run again in the same process with
 * nothing changed (every node rendered, every entry reused from column_lineage.json).
 * Run with `node dist/bench/lineage.js [models]`. Figures, not assertions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject } from './generate.js';
import { columnLineage } from '../src/index.js';
import { buildColumnLineage } from '../src/lineage/artifact.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Rewrites each joining model as CTEs over `select *` of its parents. */
function enrichModels(dir: string): void {
  const modelsDir = join(dir, 'models');
  for (const layer of readdirSync(modelsDir)) {
    if (!layer.startsWith('layer_') || layer === 'layer_0') continue;
    for (const file of readdirSync(join(modelsDir, layer))) {
      if (!file.endsWith('.sql')) continue;
      const path = join(modelsDir, layer, file);
      const parents = [...readFileSync(path, 'utf8').matchAll(/ref\('(m_\d+)'\)/g)].map((m) => m[1]!);
      const ctes = parents.map((p, i) => `p${i + 1} as (\n  select * from {{ ref('${p}') }}\n)`).join(',\n');
      const joins = parents
        .slice(1)
        .map((_, i) => `join p${i + 2} on p${i + 2}.id = p1.id`)
        .join('\n');
      const sum = parents.map((_, i) => `p${i + 1}.value`).join(' + ');
      writeFileSync(
        path,
        `with ${ctes},\njoined as (\n  select p1.id, (${sum}) % 1000 as value\n  from p1\n  ${joins}\n)\n` +
          (`select id, value,\n  sum(value) over (partition by id % 3 order ` +
            `by id) as running,\n  case when value > 500 then 'big' else 'small' ` +
            `end as size\nfrom joined\nwhere value is not null\n`),
      );
    }
  }
}

async function once(dir: string): Promise<void> {
  const t = performance.now();
  const { lineage, project } = await columnLineage({ projectDir: dir });
  const cold = performance.now() - t;
  const coldCpu = process.cpuUsage().user / 1000;
  const unparsed = Object.values(lineage.nodes).filter((n) => !n.parsed).length;
  const w = performance.now();
  const wCpu = process.cpuUsage().user;
  await buildColumnLineage(project.parsed, project.session, project.dag);
  const warmStage = performance.now() - w;
  const warmStageCpu = (process.cpuUsage().user - wCpu) / 1000;
  process.stdout.write(
    JSON.stringify({ cold, coldCpu, warmStage, warmStageCpu, nodes: Object.keys(lineage.nodes).length, unparsed }) +
      '\n',
  );
}

/** Only writes the project (to profile `--once` on it by hand). */
function generate(dir: string, models: number): void {
  generateProject(dir, { models, seed: 42 });
  enrichModels(dir);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--once') return once(process.argv[3]!);
  if (process.argv[2] === '--generate') return generate(process.argv[3]!, Number(process.argv[4]));
  const models = Number(process.argv[2] ?? 10000);
  const dir = mkdtempSync(join(tmpdir(), `kiln-bench-lineage-${models}-`));
  try {
    generateProject(dir, { models, seed: 42 });
    enrichModels(dir);
    const runs: Array<{
      cold: number;
      coldCpu: number;
      warmStage: number;
      warmStageCpu: number;
      nodes: number;
      unparsed: number;
    }> = [];
    for (let i = 0; i < 3; i++) {
      // Cold: no column_lineage.json from an earlier run to reuse.
      rmSync(join(dir, 'target', 'column_lineage.json'), { force: true });
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--once', dir], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      if (r.status !== 0) throw new Error(r.stderr);
      runs.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!));
    }
    const size = statSync(join(dir, 'target', 'column_lineage.json')).size;
    console.log(
      `column lineage, ${models} models (${runs[0]!.nodes} nodes, ${runs[0]!.unparsed} ` +
        `unparsed), node ${process.version}`,
    );
    console.log(
      `  cold, fresh process (parse, render, SQL parse, resolve, write)  ` +
        `median ${(median(runs.map((r) => r.cold)) / 1000).toFixed(2)} ` +
        `s  (runs: ${runs.map((r) => (r.cold / 1000).toFixed(2)).join(', ')})`,
    );
    console.log(
      `  cold, CPU time of that process (less sensitive to a busy machine)  ` +
        `median ${(median(runs.map((r) => r.coldCpu)) / 1000).toFixed(2)} ` +
        `s`,
    );
    console.log(
      `  lineage stage again, nothing changed (render + cache hits)         ` +
        `median ${(median(runs.map((r) => r.warmStage)) / 1000).toFixed(2)} ` +
        `s wall, ${(median(runs.map((r) => r.warmStageCpu)) / 1000).toFixed(2)} ` +
        `s CPU`,
    );
    console.log(`  target/column_lineage.json ${(size / 1024 / 1024).toFixed(1)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * `npm run bench`: parse+compile and run figures on layered synthetic projects.
 * Prints medians of repeated parse+compile runs; run is measured once per size (it is
 * dominated by the warehouse). Figures, not assertions: read them with the machine's noise in mind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject } from './generate.js';
import { compile, run, parse, seed } from '../src/index.js';

const sizes = (process.env.KILN_BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const repeats = Number(process.env.KILN_BENCH_REPEATS ?? 3);
const runMax = Number(process.env.KILN_BENCH_RUN_MAX ?? 10000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  console.log(`kiln benchmark — node ${process.version}, ${process.platform}/${process.arch}`);
  for (const models of sizes) {
    const dir = mkdtempSync(join(tmpdir(), `kiln-bench-${models}-`));
    try {
      generateProject(dir, { models, seed: 42 });
      const parseTimes: number[] = [];
      const compileTimes: number[] = [];
      const inMemory: number[] = [];
      const writes: number[] = [];
      for (let i = 0; i < repeats; i++) {
        let t = performance.now();
        await parse({ projectDir: dir });
        parseTimes.push(performance.now() - t);
        t = performance.now();
        const c = await compile({ projectDir: dir });
        compileTimes.push(performance.now() - t);
        inMemory.push(c.timings.parse + c.timings.render);
        writes.push(c.timings.write);
        if (c.compiled.size < models * 3) throw new Error(`expected ${models * 3} compiled nodes, got ${c.compiled.size}`);
      }
      console.log(`\n${models} models, ${models * 2} tests`);
      console.log(`  parse                      median ${median(parseTimes).toFixed(0)} ms  (runs: ${parseTimes.map((x) => x.toFixed(0)).join(', ')})`);
      console.log(`  parse+compile (all nodes)  median ${median(compileTimes).toFixed(0)} ms  (runs: ${compileTimes.map((x) => x.toFixed(0)).join(', ')})`);
      console.log(`    of which parse+render    median ${median(inMemory).toFixed(0)} ms; writing manifest.json and ${models * 3} files in target/compiled/ median ${median(writes).toFixed(0)} ms`);
      if (models <= runMax) {
        await seed({ projectDir: dir });
        const t = performance.now();
        const result = await run({ projectDir: dir, threads: 1 });
        const wall = performance.now() - t;
        if (!result.success) throw new Error('benchmark run failed');
        const inNodes = result.results.reduce((s, r) => s + r.executionTime * 1000, 0);
        const overhead = wall - inNodes;
        console.log(`  run (DuckDB views, 1 thread) ${(wall / 1000).toFixed(2)} s wall; ${(inNodes / 1000).toFixed(2)} s inside nodes (compile + SQL)`);
        console.log(`  kiln overhead outside nodes  ${(overhead / models).toFixed(3)} ms per node (parse, scheduling, events, artifacts)`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\npeak memory (max RSS) ${mb(process.resourceUsage().maxRSS * 1024)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

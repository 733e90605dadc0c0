/**
 * The orchestrator's history queries at growing sizes: what the monitoring page asks for on
 * load (jobs with their last runs and last successes, one job's recent runs, its per-node
 * duration trends, test failures, source latency, alerts), against a history file filled
 * with synthetic runs of 50 nodes each (10 of them tests, 1 in 20 failing).
 * Prints medians; `node dist/bench/orchestrate.js`. Figures, not assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { History } from '../src/orchestrate/history.js';

const sizes = (process.env.KILN_BENCH_HISTORY ?? '10x100,20x1000,50x2000,100x5000,200x10000')
  .split(',')
  .map((s) => s.split('x').map(Number) as [number, number]);
const repeats = Number(process.env.KILN_BENCH_REPEATS ?? 15);
const NODES_PER_RUN = 50;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Runs and nodes made in SQL (a million rows in a second, where inserting them one by one
 * would take minutes), in time order, as the orchestrator appends them.
 */
export async function fill(file: string, jobs: number, runsPerJob: number): Promise<void> {
  await (await History.open(file)).close();
  const instance = await DuckDBInstance.create(file, {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const db = await instance.connect();
  const start = Date.parse('2026-01-01T00:00:00Z');
  await db.run(
    `insert into runs select
      'run-' || j || '-' || r, 'job_' || j, 'cron', 'bench', case when r % 20 = 7 then 'failed' else 'success' end, 1,
      ${start} + r * 600000.0, ${start} + r * 600000.0 + 1000, ${start} ` +
      `+ r * 600000.0 + 61000, 60.0, null, null, null, 1
    from range(${jobs}) a(j), range(${runsPerJob}) b(r) order by r, j`,
  );
  await db.run(`insert into node_runs select
      'run-' || j || '-' || r, case when n < 40 then 'model.bench.m_' || n else 'test.bench.t_' || n end,
      case when n < 40 then 'model' else 'test' end,
      case when n >= 40 and r % 20 = 7 and n = 45 then 'fail' when n >= 40 then 'pass' else 'success' end,
      ${start} + r * 600000.0 + n * 1000, 0.5 + (n % 7) * 0.3 + (r % 13) * 0.01, n * 100, 0, ''
    from range(${jobs}) a(j), range(${runsPerJob}) b(r), range(${NODES_PER_RUN}) c(n) order by r, j, n`);
  // As History.insertNode does: failing tests also in test_problems.
  await db.run(
    `insert into test_problems select r.job, n.run_id, n.unique_id, ` +
      `n.resource_type, n.status, n.started_at, n.duration, n.failures, ` +
      `n.message
    from node_runs n join runs r using (run_id) where n.status = 'fail'`,
  );
  await db.run(
    `insert into freshness_readings select 'shop.source_' || s, ${start} ` +
      `+ r * 300000.0, ${start} + r * 300000.0 - 600000, 600, 'pass' ` +
      `from range(10) a(s), range(500) b(r)`,
  );
  db.closeSync();
  instance.closeSync();
}

async function pageLoad(history: History, job: string): Promise<void> {
  // The page asks for these at once; the history answers them one after the other.
  await Promise.all([
    history.lastRuns(),
    history.runs({ job, limit: 40 }),
    history.nodeTrends(job, 30),
    history.testFailures(),
    history.freshness(Date.parse('2026-01-01T00:00:00Z') + 500 * 300000 - 48 * 3600000),
    history.alerts(),
  ]);
}

async function main(): Promise<void> {
  console.log(`kiln orchestrate history benchmark — node ${process.version}, median of ${repeats}`);
  console.log('jobs  runs/job   runs total  node rows   page load (ms)  last runs (ms)  node trends (ms)');
  for (const [jobs, runsPerJob] of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-history-'));
    try {
      const file = join(dir, 'history.duckdb');
      await fill(file, jobs, runsPerJob);
      const history = await History.open(file);
      const job = `job_${Math.floor(jobs / 2)}`;
      await pageLoad(history, job);
      const load: number[] = [];
      const last: number[] = [];
      const trends: number[] = [];
      for (let i = 0; i < repeats; i++) {
        let t = performance.now();
        await pageLoad(history, job);
        load.push(performance.now() - t);
        t = performance.now();
        await history.lastRuns();
        last.push(performance.now() - t);
        t = performance.now();
        await history.nodeTrends(job, 30);
        trends.push(performance.now() - t);
      }
      await history.close();
      const runs = jobs * runsPerJob;
      const cells = [
        String(jobs).padStart(4),
        String(runsPerJob).padStart(8),
        String(runs).padStart(11),
        String(runs * NODES_PER_RUN).padStart(9),
        median(load).toFixed(1).padStart(15),
        median(last).toFixed(1).padStart(14),
        median(trends).toFixed(1).padStart(16),
      ];
      console.log(cells.join('  '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1]?.endsWith('orchestrate.js'))
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });

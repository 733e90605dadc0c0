/**
 * `npm run bench`: the speed table of kiln, each row a ratio against its comparator measured
 * in the same run (medians of KILN_BENCH_REPEATS runs, 3 by default; kiln and the comparator of a ratio run in
 * turn), every figure the wall time of a child process as a user would start it:
 *
 * - `kiln compile`, 1,000 models, against Dataform's CLI on the same DAG (installed with npm
 *   into a cache folder outside the repository, never a dependency), beside the disk's share of kiln's: creating
 *   as many small files (one compiled file a model) in one process, with nothing else
 * - importing kiln's entry module and `kiln --version`, against starting Node with nothing; `kiln compile`, `ls`,
 *   `parse` and `run` of a one-model project (the fixed cost every command pays), against `kiln --version`
 * - `kiln compile` at 10,000 models + 500 tests, cold, and again after editing one model: with
 *   the partial parse cache of the run before, and with `--no-partial-parse`
 * - `kiln run --threads 1`, 1,000 views, against the DuckDB floor (the same compiled SQL on
 *   one connection, bench/duckdb-floor.ts), in a new database and replacing the views of a run
 * - `kiln docs generate` at 10,000 models, catalog from DuckDB: cold (no column lineage to
 *   reuse) and a second run, with their peak memory, and the site it wrote opened in headless Chromium until its
 *   first render (interactive)
 * - peak memory of `kiln compile` at 10,000 models + 20,000 tests, with the partial parse cache
 *   (written as it is a cold run's) and with `--no-partial-parse`
 *
 * KILN_BENCH_KILN names another checkout (built) to measure instead of this one, for a
 * before/after table; KILN_BENCH_SCALE (default 1) shrinks every project; KILN_BENCH_ONLY, a
 * comma-separated list of groups (`startup`, `dataform`, `compile`, `run`, `docs`, `memory`:
 * the rows above in order), measures only those. Figures, not
 * assertions: read them with the machine's load in mind. On Linux each figure also gives the
 * CPU time (user and system) of the process measured, which a busy machine changes far less
 * than the wall time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateDataformProject, generateProject } from './generate.js';
import { launchChromium } from '../test/fixtures/docs/browser.js';

const repeats = Number(process.env.KILN_BENCH_REPEATS ?? 3);
const scale = Number(process.env.KILN_BENCH_SCALE ?? 1);
const checkout = resolve(process.env.KILN_BENCH_KILN ?? fileURLToPath(new URL('../../', import.meta.url)));
const kilnBin = join(checkout, 'bin', 'kiln.js');
const entry = join(checkout, 'dist', 'src', 'index.js');
const floorScript = fileURLToPath(new URL('./duckdb-floor.js', import.meta.url));
const dataformVersion = '3.0.69';
const dataformCoreVersion = '3.0.62';
const cacheDir = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
  'kiln-bench',
  `dataform-${dataformVersion}`,
);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const n = (x: number) => Math.max(1, Math.round(x * scale));
const benchGroups = ['startup', 'dataform', 'compile', 'run', 'docs', 'memory'] as const;
const only = process.env.KILN_BENCH_ONLY?.split(',')
  .map((g) => g.trim())
  .filter(Boolean);
const unknownGroup = only?.find((g) => !(benchGroups as readonly string[]).includes(g));
if (unknownGroup) throw new Error(`KILN_BENCH_ONLY: no group '${unknownGroup}' (groups: ${benchGroups.join(', ')})`);
/** Whether KILN_BENCH_ONLY (if set) asks for this group of rows. */
const measures = (group: (typeof benchGroups)[number]) => !only?.length || only.includes(group);

interface Timed {
  ms: number;
  /** CPU time of the child and its children (NaN where /proc cannot tell). */
  cpuMs: number;
  maxRssKb: number;
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU milliseconds of this process's finished children so far (Linux: cutime + cstime of /proc/self/stat). */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks;
  } catch {
    return NaN;
  }
}

/** Runs a command to completion; its wall and CPU time, and its peak memory where it reports it. */
function timed(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Timed {
  const cpu = childrenCpuMs();
  const t = performance.now();
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - t;
  if (r.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`,
    );
  const rss = /kiln-bench-maxrss (\d+)/.exec(r.stderr);
  return { ms, cpuMs: childrenCpuMs() - cpu, maxRssKb: rss ? Number(rss[1]) : 0 };
}

/** Whether `perf stat` runs here (asked once). */
let perfCounts: boolean | undefined;

/**
 * A command whose CPU the finished-children count misses: Dataform's CLI compiles in a child process that it kills
 * and never waits for, so its ~15 s of CPU never reach this process's children's times. `perf stat` counts every
 * process and thread the command starts (task-clock, inherited across forks); without perf, the CPU is unknown (NaN).
 */
function timedWithDescendants(command: string, args: string[], cwd: string, scratch: string): Timed {
  const counts = join(scratch, 'perf-stat.csv');
  perfCounts ??= spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '-o', counts, '--', 'true']).status === 0;
  if (!perfCounts) return { ...timed(command, args, cwd), cpuMs: NaN };
  const run = timed('perf', ['stat', '-x,', '-e', 'task-clock', '-o', counts, '--', command, ...args], cwd);
  const line = readFileSync(counts, 'utf8')
    .split('\n')
    .find((l) => l.includes(',task-clock,'));
  return { ...run, cpuMs: line ? Number(line.split(',')[0]) : NaN };
}

/** `kiln <args>` in a child process, started as bin/kiln.js starts it, that reports its peak memory as it exits. */
function kiln(args: string[], cwd: string): Timed {
  const script =
    `process.on('exit', () => process.stderr.write('kiln-bench-maxrss ` +
    `' + process.resourceUsage().maxRSS + '\\n')); import(${JSON.stringify(pathToFileURL(kilnBin).href)})`;
  return timed(process.execPath, ['-e', script, 'kiln', ...args], cwd);
}

/** Medians of wall and CPU milliseconds, and of peak memory where the process reports it. */
interface Figure {
  wall: number;
  cpu: number;
  /** Peak resident memory in MB, of a `kiln` run (which reports it; 0 if it did not). */
  peakMb?: number;
}

function medianOf(run: () => Timed, before?: () => void): Figure {
  const runs: Timed[] = [];
  for (let i = 0; i < repeats; i++) {
    before?.();
    runs.push(run());
  }
  return figureOf(runs);
}

/**
 * Medians of two commands run in turn (a, b, a, b, ...), for a ratio of one to the other: this machine's speed
 * drifts from minute to minute, and run one after the other's repeats, one side would get the slower minute.
 */
function alternately(
  a: { run: () => Timed; before?: () => void },
  b: { run: () => Timed; before?: () => void },
): [Figure, Figure] {
  const runsA: Timed[] = [];
  const runsB: Timed[] = [];
  for (let i = 0; i < repeats; i++) {
    a.before?.();
    runsA.push(a.run());
    b.before?.();
    runsB.push(b.run());
  }
  return [figureOf(runsA), figureOf(runsB)];
}

function figureOf(runs: Timed[]): Figure {
  return {
    wall: median(runs.map((r) => r.ms)),
    cpu: median(runs.map((r) => r.cpuMs)),
    peakMb: median(runs.map((r) => r.maxRssKb)) / 1024,
  };
}

/** "1.23 s (CPU 0.98 s)". */
const figure = (f: Figure) => `${seconds(f.wall)}${Number.isNaN(f.cpu) ? '' : ` (CPU ${seconds(f.cpu)})`}`;
/** "1.23 s (CPU 0.98 s), peak 350 MB": for `kiln` runs, which report their peak memory. */
const figureWithPeak = (f: Figure) => `${figure(f)}, peak ${(f.peakMb ?? 0).toFixed(0)} MB`;
/** How many times `a` is `b`, in wall time and in CPU time. */
const times = (a: Figure, b: Figure) =>
  `${(a.wall / b.wall).toFixed(2)}x${Number.isNaN(a.cpu) || !b.cpu ? '' : ` (CPU ${(a.cpu / b.cpu).toFixed(2)}x)`}`;

/** What a start takes beyond Node's own: the part kiln can change, where Node alone is near or above a goal. */
const ownShare = (a: Figure, bare: Figure) => `kiln's own share ${seconds(a.wall - bare.wall)}`;

const rows: Array<[string, string, string]> = [];
function row(what: string, kilnFigure: string, comparison: string): void {
  rows.push([what, kilnFigure, comparison]);
  console.log(`  ${what}: ${kilnFigure} — ${comparison}`);
}

/** Dataform's CLI and core, installed once into the cache folder; undefined when the registry cannot provide them. */
function dataformCli(): { bin: string; core: string } | undefined {
  const bin = join(cacheDir, 'node_modules', '.bin', 'dataform');
  const core = join(cacheDir, 'node_modules', '@dataform', 'core');
  if (!existsSync(bin) || !existsSync(core)) {
    mkdirSync(cacheDir, { recursive: true });
    console.log(`  installing @dataform/cli@${dataformVersion} into ${cacheDir} ...`);
    const r = spawnSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefix',
        cacheDir,
        `@dataform/cli@${dataformVersion}`,
        `@dataform/core@${dataformCoreVersion}`,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0 || !existsSync(bin)) {
      console.log(`  the registry could not provide Dataform's CLI: ${(r.stderr || '').trim().split('\n').pop()}`);
      return undefined;
    }
  }
  return { bin, core };
}

/** Median time from navigation to the docs site's first render (its app marks `ready`), in a fresh page each time. */
async function timeToInteractive(indexHtml: string): Promise<number> {
  const browser = await launchChromium();
  try {
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const page = await browser.context.newPage();
      const t = performance.now();
      await page.goto(pathToFileURL(indexHtml).href);
      await page.waitForFunction(
        () => (globalThis as { __kiln?: { ready?: boolean } }).__kiln?.ready === true,
        undefined,
        { timeout: 120_000 },
      );
      times.push(performance.now() - t);
      await page.close();
    }
    return median(times);
  } finally {
    await browser.close();
  }
}

/**
 * Moves a folder out of the way into `bin` instead of deleting it. Deleting thousands of files on a disk
 * mounted with `discard` leaves the kernel seconds of work that lands on whatever creates files next (10,500
 * small files: ~0.3 s in a fresh folder, 5-6 s right after such a delete), so each measured run would pay
 * for the cleanup of the one before. A rename costs nothing; the bench's folder is deleted once, at the end.
 */
let setAsideCount = 0;
function setAside(path: string, bin: string): void {
  if (!existsSync(path)) return;
  mkdirSync(bin, { recursive: true });
  renameSync(path, join(bin, String(++setAsideCount)));
}

async function main(): Promise<void> {
  console.log(
    `kiln benchmark — ${checkout}, node ${process.version}, ` +
      `${process.platform}/${process.arch}, medians of ${repeats}`,
  );
  const root = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
  const bin = join(root, 'set-aside');
  const removeTarget = (dir: string) => setAside(join(dir, 'target'), bin);
  try {
    // Startup.
    const bare = medianOf(() => timed(process.execPath, ['-e', ''], root));
    if (measures('startup')) {
      const imported = medianOf(() =>
        timed(process.execPath, ['-e', `import(${JSON.stringify(pathToFileURL(entry).href)})`], root),
      );
      row(
        "importing kiln's entry module",
        figure(imported),
        `${times(imported, bare)} Node starting with nothing (${figure(bare)}), ${ownShare(imported, bare)}; goal <= 0.08 s`,
      );
      const version = medianOf(() => timed(process.execPath, [kilnBin, '--version'], root));
      row(
        'kiln --version',
        figure(version),
        `${times(version, bare)} Node starting with nothing, ${ownShare(version, bare)}; goal <= 0.15 s`,
      );
      const oneDir = join(root, 'one-model');
      generateProject(oneDir, { models: 1, seed: 42, tests: 0 });
      for (const command of ['compile', 'ls', 'parse']) {
        const one = medianOf(() => timed(process.execPath, [kilnBin, command], oneDir));
        row(`kiln ${command}, one model`, figure(one), `${times(one, version)} kiln --version; goal <= 0.15 s`);
      }
      timed(process.execPath, [kilnBin, 'seed'], oneDir);
      const runOne = medianOf(() => timed(process.execPath, [kilnBin, 'run'], oneDir));
      row('kiln run, one model', figure(runOne), `${times(runOne, version)} kiln --version`);
    }

    // The disk's share: a cold compile writes one compiled file per model and test, and creating
    // small files costs from a fraction of a second to several seconds, machine to machine and minute to minute.
    const filesFloor = (fileCount: number) => {
      const filesDir = join(root, 'files-floor');
      return medianOf(
        () =>
          timed(
            process.execPath,
            [
              '-e',
              `const fs = require('fs'); for (let i = 0; i < ${fileCount}; i++) ` +
                `fs.writeFileSync(${JSON.stringify(filesDir)} + '/f' + i + '.sql', 'select ' + i);`,
            ],
            root,
          ),
        () => {
          setAside(filesDir, bin);
          mkdirSync(filesDir);
        },
      );
    };

    // Compile at 1,000 models against Dataform's CLI, the same DAG and no tests (Dataform has none of these).
    const small = n(1000);
    const big = n(10000);
    if (measures('dataform')) {
      const dbtDir = join(root, 'compile-1000');
      generateProject(dbtDir, { models: small, seed: 42, tests: 0 });
      const coldCompile = { run: () => kiln(['compile'], dbtDir), before: () => removeTarget(dbtDir) };
      const dataform = dataformCli();
      if (dataform) {
        const dfDir = join(root, 'dataform-1000');
        generateDataformProject(dfDir, { models: small, seed: 42, coreFolder: dataform.core });
        const [kilnSmall, df] = alternately(coldCompile, {
          run: () => timedWithDescendants(dataform.bin, ['compile', '--json', '--timeout=30m'], dfDir, root),
        });
        row(
          `kiln compile, ${small} models, vs dataform compile`,
          figure(kilnSmall),
          `Dataform ${figure(df)}: kiln ${times(df, kilnSmall)} faster; goal >= 30x; creating ${small} small files ` +
            `on this disk alone takes ${figure(filesFloor(small))}`,
        );
        // Dataform keeps nothing between compiles; kiln's second compile after an edit is the one a user waits for.
        const edited = join(dbtDir, 'models', 'layer_5', `m_${Math.floor(small / 2)}.sql`);
        let edit = 0;
        kiln(['compile'], dbtDir);
        const kilnEdited = medianOf(
          () => kiln(['compile'], dbtDir),
          () => writeFileSync(edited, readFileSync(edited, 'utf8').replace(/(-- edit \d+\n)?$/, `-- edit ${++edit}\n`)),
        );
        row(
          `kiln compile, ${small} models, after editing one model, vs dataform compile`,
          figure(kilnEdited),
          `Dataform ${figure(df)} (which keeps nothing between compiles): kiln ${times(df, kilnEdited)} faster; goal >= 30x`,
        );
      } else {
        const kilnSmall = medianOf(coldCompile.run, coldCompile.before);
        row(
          `kiln compile, ${small} models, vs dataform compile`,
          figure(kilnSmall),
          `Dataform not measured; the issue's figure 12.2–12.5 s would ` +
            `make kiln ${(12.2e3 / kilnSmall.wall).toFixed(1)}x faster`,
        );
      }
    }

    // Compile at 10,000 models + 500 tests: cold, then again after editing one model.
    if (measures('compile')) {
      const bigDir = join(root, 'compile-10000');
      generateProject(bigDir, { models: big, seed: 42, tests: n(500) });
      const cold = medianOf(
        () => kiln(['compile'], bigDir),
        () => removeTarget(bigDir),
      );
      const fileCount = big + n(500);
      const floor = filesFloor(fileCount);
      row(
        `kiln compile, ${big} models + ${n(500)} tests, cold`,
        figure(cold),
        `${(cold.wall / 1500).toFixed(2)}x the goal of 1.5 s; creating ${fileCount} small files ` +
          `on this disk alone takes ${figure(floor)}`,
      );
      const edited = join(bigDir, 'models', 'layer_5', `m_${Math.floor(big / 2)}.sql`);
      let edit = 0;
      const editOne = () =>
        writeFileSync(edited, readFileSync(edited, 'utf8').replace(/(-- edit \d+\n)?$/, `-- edit ${++edit}\n`));
      const warmNoCache = medianOf(() => kiln(['compile', '--no-partial-parse'], bigDir), editOne);
      row(
        `second kiln compile after editing one model, --no-partial-parse, ${big} models`,
        figure(warmNoCache),
        `${times(warmNoCache, cold)} cold`,
      );
      kiln(['compile'], bigDir);
      const warm = medianOf(() => kiln(['compile'], bigDir), editOne);
      row(
        `second kiln compile after editing one model, ${big} models`,
        figure(warm),
        `${times(warm, cold)} cold, ${times(warm, warmNoCache)} --no-partial-parse; goal <= 0.3 s`,
      );
      const unchanged = medianOf(() => kiln(['compile'], bigDir));
      row(
        `second kiln compile with nothing changed, ${big} models`,
        figure(unchanged),
        `${times(unchanged, cold)} cold`,
      );
    }

    // run --threads 1 at 1,000 views against the DuckDB floor.
    if (measures('run')) {
      const runDir = join(root, 'run-1000');
      generateProject(runDir, { models: small, seed: 42, tests: 0 });
      kiln(['seed'], runDir);
      const floorDir = join(root, 'floor');
      // The floor reads the compiled SQL from a run's manifest.json.
      kiln(['run', '--threads', '1'], runDir);
      const [runs, floor] = alternately(
        { run: () => kiln(['run', '--threads', '1'], runDir) },
        {
          run: () =>
            timed(
              process.execPath,
              [floorScript, join(runDir, 'target', 'manifest.json'), join(runDir, 'seeds', 'base.csv'), floorDir],
              root,
            ),
          before: () => setAside(floorDir, bin),
        },
      );
      row(
        `kiln run --threads 1, ${small} views`,
        figure(runs),
        `${times(runs, floor)} the DuckDB floor (${figure(floor)}); goal <= 1.3x`,
      );
      // The floor above creates views in a new database; a second kiln run replaces the views of the first.
      const replacingFloor = medianOf(
        () =>
          timed(
            process.execPath,
            [
              floorScript,
              '--from',
              join(runDir, 'target', 'kiln.duckdb'),
              join(runDir, 'target', 'manifest.json'),
              join(runDir, 'seeds', 'base.csv'),
              floorDir,
            ],
            root,
          ),
        () => setAside(floorDir, bin),
      );
      row(
        `kiln run --threads 1, ${small} views, against the floor replacing the views of a run`,
        figure(runs),
        `${times(runs, replacingFloor)} the DuckDB floor on a copy of the run's database (${figure(replacingFloor)})`,
      );
      // Where the difference goes: a run of one view (start-up, parse, open, artifacts) and each further view.
      const [oneRun, oneFloor] = alternately(
        { run: () => kiln(['run', '--threads', '1', '--select', 'm_0'], runDir) },
        {
          run: () =>
            timed(
              process.execPath,
              [
                floorScript,
                join(runDir, 'target', 'manifest.json'),
                join(runDir, 'seeds', 'base.csv'),
                floorDir,
                'model.bench.m_0',
              ],
              root,
            ),
          before: () => setAside(floorDir, bin),
        },
      );
      row(
        `kiln run --threads 1, one view (the fixed cost)`,
        figure(oneRun),
        `${times(oneRun, oneFloor)} the DuckDB floor's one view (${figure(oneFloor)})`,
      );
      const perView = (all: Figure, one: Figure) => ({
        wall: (all.wall - one.wall) / (small - 1),
        cpu: (all.cpu - one.cpu) / (small - 1),
      });
      const kilnView = perView(runs, oneRun);
      const floorView = perView(floor, oneFloor);
      const ms = (f: Figure) => `${f.wall.toFixed(2)} ms${Number.isNaN(f.cpu) ? '' : ` (CPU ${f.cpu.toFixed(2)} ms)`}`;
      row(
        `kiln run --threads 1, each further view`,
        ms(kilnView),
        `${times(kilnView, floorView)} the DuckDB floor's (${ms(floorView)})`,
      );
    }

    // docs generate at 10,000 models, the catalog read from DuckDB.
    if (measures('docs')) {
      const docsDir = join(root, 'docs-10000');
      generateProject(docsDir, { models: big, seed: 42, tests: 0 });
      kiln(['seed'], docsDir);
      kiln(['run', '--threads', '2'], docsDir);
      // Cold: no column_lineage.json to reuse, as in a fresh CI checkout; second: the one the run before wrote.
      const forgetLineage = () =>
        ['column_lineage.json', 'catalog.json'].forEach((f) => rmSync(join(docsDir, 'target', f), { force: true }));
      const docsCold = medianOf(() => kiln(['docs', 'generate'], docsDir), forgetLineage);
      row(
        `kiln docs generate, ${big} models (catalog from DuckDB), cold`,
        figureWithPeak(docsCold),
        `${(docsCold.wall / 3000).toFixed(2)}x the goal of 3 s; peak ${((docsCold.peakMb ?? 0) / 400).toFixed(2)}x the goal of 400 MB`,
      );
      const docs = medianOf(() => kiln(['docs', 'generate'], docsDir));
      row(
        `kiln docs generate, ${big} models (catalog from DuckDB), second run`,
        figureWithPeak(docs),
        `${times(docs, docsCold)} cold; ${(docs.wall / 3000).toFixed(2)}x the goal of 3 s; peak ${((docs.peakMb ?? 0) / 400).toFixed(2)}x the goal of 400 MB`,
      );
      const interactive = await timeToInteractive(join(docsDir, 'target', 'index.html'));
      row(
        `docs site interactive, ${big} models (Chromium, load to first render)`,
        seconds(interactive),
        `${(interactive / 1000).toFixed(2)}x the goal of 1 s`,
      );
    }

    // Peak memory at 10,000 models + 20,000 tests.
    if (measures('memory')) {
      const memDir = join(root, 'memory');
      generateProject(memDir, { models: big, seed: 42, tests: n(20000) });
      const peakMbOf = (args: string[]) => {
        const peaks: number[] = [];
        for (let i = 0; i < repeats; i++) {
          removeTarget(memDir);
          peaks.push(kiln(args, memDir).maxRssKb);
        }
        return median(peaks) / 1024;
      };
      const peakMb = peakMbOf(['compile']);
      const peakMbNoCache = peakMbOf(['compile', '--no-partial-parse']);
      row(
        `peak memory, kiln compile at ${big} models + ${n(20000)} tests`,
        `${peakMb.toFixed(0)} MB`,
        `${(peakMb / 400).toFixed(2)}x the goal of 400 MB; ${peakMbNoCache.toFixed(0)} MB with --no-partial-parse`,
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  console.log('\n| what | kiln | against |\n| --- | --- | --- |');
  for (const [what, figure, comparison] of rows) console.log(`| ${what} | ${figure} | ${comparison} |`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

/**
 * The differential template test's machinery: the corpus, the allowlist, the Python oracle
 * (Jinja2 configured as dbt configures it) and kiln's side of each case.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const oracleDir = join(repoRoot, 'test', 'jinja-oracle');
export const casesDir = join(oracleDir, 'cases');
export const oracleScript = join(oracleDir, 'render_jinja2.py');
export const allowlistFile = join(repoRoot, 'docs', 'jinja-differences.md');
export const PYTHON = '/usr/bin/python3';
export const INSTALL_HINT = 'apt-get install python3-jinja2 python3-tz python3-yaml';

export interface OracleCase {
  name: string;
  template: string;
  context?: Record<string, unknown>;
  macros?: Record<string, string>;
  /** dbt-only cases: the answer written by hand; the oracle is not run for them. */
  expected?: string;
  /** Set by the loader: the topic of the file the case comes from. */
  topic: string;
}

/** What one side made of a case. A timeout (kiln looping forever) never equals anything. */
export type Outcome = { output: string } | { error: string } | { timeout: string };

export function isError(o: Outcome): o is { error: string } {
  return 'error' in o;
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if ('output' in a && 'output' in b) return a.output === b.output;
  return 'error' in a && 'error' in b;
}

export function describeOutcome(o: Outcome): string {
  if ('output' in o) return JSON.stringify(o.output);
  if ('error' in o) return `error: ${o.error}`;
  return `timeout: ${o.timeout}`;
}

/** Every case of every file under cases/, in file-name order, with its topic. */
export function loadCorpus(): OracleCase[] {
  const out: OracleCase[] = [];
  for (const file of readdirSync(casesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const doc = JSON.parse(readFileSync(join(casesDir, file), 'utf8')) as {
      topic: string;
      cases: Omit<OracleCase, 'topic'>[];
    };
    if (typeof doc.topic !== 'string' || !Array.isArray(doc.cases))
      throw new Error(`${file}: expected {"topic": ..., "cases": [...]}`);
    for (const c of doc.cases) out.push({ ...c, topic: doc.topic });
  }
  return out;
}

/** The case names of docs/jinja-differences.md's table rows (`| \`case\` | reason |`). */
export function loadAllowlist(): string[] {
  const names: string[] = [];
  for (const line of readFileSync(allowlistFile, 'utf8').split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|/.exec(line.trim());
    if (m) names.push(m[1]!);
  }
  return names;
}

/**
 * Runs the Python oracle once for `cases`. Returns the outcomes in order, or a one-line
 * reason why the oracle cannot run here.
 */
export function runOracle(cases: OracleCase[]): { outcomes: Outcome[]; version: string } | { problem: string } {
  if (!existsSync(PYTHON)) return { problem: `${PYTHON} is missing: ${INSTALL_HINT}` };
  const probe = spawnSync(PYTHON, ['-c', 'import jinja2, pytz, yaml; print(jinja2.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = (probe.stderr || '').trim().split('\n').pop() ?? '';
    return { problem: `${PYTHON} cannot import jinja2, pytz and yaml (${why}): ${INSTALL_HINT}` };
  }
  const input = JSON.stringify(
    cases.map((c) => ({ template: c.template, context: c.context ?? {}, macros: c.macros ?? {} })),
  );
  const r = spawnSync(PYTHON, [oracleScript], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 300_000,
    env: { ...process.env, PYTHONHASHSEED: '0', PYTHONIOENCODING: 'utf-8', TZ: 'UTC' },
  });
  if (r.status !== 0)
    return { problem: `the Jinja2 oracle failed (status ${r.status}): ${(r.stderr || String(r.error ?? '')).trim()}` };
  const outcomes = JSON.parse(r.stdout) as Outcome[];
  if (outcomes.length !== cases.length)
    return { problem: `the Jinja2 oracle answered ${outcomes.length} of ${cases.length} cases` };
  return { outcomes, version: probe.stdout.trim() };
}

/**
 * Renders every case through kiln in a worker thread, so that a case on which kiln loops
 * forever costs `timeoutMs` and a timeout outcome rather than the whole test run.
 */
export async function renderAllWithKiln(cases: OracleCase[], timeoutMs = 10_000): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(cases.length);
  let next = 0;
  while (next < cases.length) {
    next = await new Promise<number>((resolve) => {
      const worker = new Worker(new URL('./kiln-worker.js', import.meta.url), {
        workerData: { cases, start: next },
        execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
      });
      let at = next;
      let timer: NodeJS.Timeout | undefined;
      const finish = (resumeAt: number) => {
        if (timer) clearTimeout(timer);
        worker.removeAllListeners();
        void worker.terminate();
        resolve(resumeAt);
      };
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          outcomes[at] = { timeout: `kiln did not finish within ${timeoutMs} ms` };
          finish(at + 1);
        }, timeoutMs);
      };
      arm();
      worker.on('message', (m: { index: number; outcome: Outcome }) => {
        outcomes[m.index] = m.outcome;
        at = m.index + 1;
        if (at >= cases.length) finish(at);
        else arm();
      });
      worker.on('error', (e) => {
        outcomes[at] = { timeout: `kiln's worker crashed: ${e.message}` };
        finish(at + 1);
      });
      worker.on('exit', () => {
        if (at < cases.length) {
          outcomes[at] = { timeout: `kiln's worker exited` };
          finish(at + 1);
        }
      });
    });
  }
  return outcomes;
}

/**
 * `kiln orchestrate` as a library call: reads kiln_jobs.yml, opens the run history, starts
 * the orchestrator (jobs run in this process through kiln's API) and its HTTP server, and
 * stops them in order. Owns the wiring and the service's files under `.kiln/` in the project;
 * must not print (the CLI does).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readProject, type KilnOptions } from '../api.js';
import { loadProject } from '../config/project.js';
import { KilnError } from '../errors.js';
import { readNotificationTargets, sendAlert } from '../notify/webhooks.js';
import { systemClock, type Clock } from './clock.js';
import { History } from './history.js';
import { loadJobs, JOBS_FILE } from './jobs.js';
import { Orchestrator, type Alert, type ExecuteJob, type ReadSources } from './orchestrator.js';
import { inProcessExecutor, sourceName, warehouseSourceReader } from './run-job.js';
import { startServer } from './server.js';

export interface OrchestrateOptions extends KilnOptions {
  port?: number;
  host?: string;
  /** The run history database; `.kiln/history.duckdb` in the project by default. */
  historyFile?: string;
  /** The API token; KILN_ORCHESTRATE_TOKEN, else one kept in `.kiln/orchestrate-token`. */
  token?: string;
  clock?: Clock;
  /** How jobs run and sources are read; kiln's API in this process unless replaced. */
  execute?: ExecuteJob;
  readSources?: ReadSources;
  onAlert?: (alert: Alert) => void;
}

export interface OrchestrateService {
  url: string;
  port: number;
  token: string;
  /** Where the token is kept, when it was generated rather than given. */
  tokenFile?: string;
  historyFile: string;
  orchestrator: Orchestrator;
  history: History;
  /** Cancels running jobs (as `kiln build` cancels), then closes the server and the history. */
  stop(): Promise<void>;
}

/** The given token, else the one kept in the project, else a new one kept there (readable by the owner only). */
function serviceToken(stateDir: string, given?: string): { token: string; file?: string } {
  if (given) return { token: given };
  const file = join(stateDir, 'orchestrate-token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), file };
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file };
}

export async function orchestrate(opts: OrchestrateOptions = {}): Promise<OrchestrateService> {
  const projectDir = resolve(opts.projectDir ?? '.');
  const project = loadProject(projectDir, {}, opts.targetPath);
  const config = loadJobs(projectDir);
  const base: KilnOptions = {
    projectDir,
    profilesDir: opts.profilesDir,
    profile: opts.profile,
    target: opts.target,
    vars: opts.vars,
    targetPath: opts.targetPath,
    onLog: opts.onLog,
  };
  await checkWatchedSources(config.jobs, base);
  const stateDir = join(projectDir, '.kiln');
  mkdirSync(stateDir, { recursive: true });
  const historyFile = opts.historyFile ? resolve(opts.historyFile) : join(stateDir, 'history.duckdb');
  const { token, file: tokenFile } = serviceToken(stateDir, opts.token ?? process.env.KILN_ORCHESTRATE_TOKEN);
  const history = await History.open(historyFile);
  const targets = readNotificationTargets(project.notifications);
  const orchestrator = new Orchestrator({
    config,
    history,
    clock: opts.clock ?? systemClock,
    execute: opts.execute ?? inProcessExecutor(base, opts.onLog),
    readSources: opts.readSources ?? warehouseSourceReader(base),
    pid: process.pid,
    alert: async (alert) => {
      opts.onAlert?.(alert);
      if (targets.length)
        await sendAlert(
          targets,
          {
            text: `:rotating_light: kiln orchestrate on ${project.name}: ${alert.message}`,
            kiln: {
              project: project.name,
              alert: alert.kind,
              job: alert.job,
              run_id: alert.runId,
              source: alert.source,
              message: alert.message,
            },
          },
          (m) => opts.onLog?.('warn', m),
        );
    },
  });
  try {
    await orchestrator.start();
    const server = await startServer({
      orchestrator,
      history,
      token,
      host: opts.host,
      port: opts.port,
      docsDir: project.targetPath,
      projectName: project.name,
    });
    return {
      url: server.url,
      port: server.port,
      token,
      tokenFile,
      historyFile,
      orchestrator,
      history,
      stop: async () => {
        await orchestrator.stop();
        await server.close();
        await history.close();
      },
    };
  } catch (e) {
    await orchestrator.stop().catch(() => undefined);
    await history.close().catch(() => undefined);
    throw e;
  }
}

/** A source named by an on_new_data trigger that the project lacks is bad input, found at start. */
async function checkWatchedSources(jobs: ReturnType<typeof loadJobs>['jobs'], base: KilnOptions): Promise<void> {
  const watched = jobs.flatMap((j) =>
    j.triggers.flatMap((t) => (t.kind === 'on_new_data' ? t.sources.map((s) => ({ job: j.name, source: s })) : [])),
  );
  if (!watched.length) return;
  const known = new Set(
    [...(await readProject({ ...base, onLog: undefined })).parsed.manifest.sources.values()].map(sourceName),
  );
  const missing = watched.find((w) => !known.has(w.source));
  if (missing)
    throw new KilnError(
      'config',
      `job '${missing.job}' watches the source '${missing.source}', which the project does not have`,
      {
        file: JOBS_FILE,
        hint: `sources are named source_name.table_name: ${[...known].join(', ') || 'the project has none'}`,
      },
    );
}

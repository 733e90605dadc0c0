/**
 * What every run command does when its nodes are done, in one place: manifest.json and
 * run_results.json written, JUnit XML if asked, webhook notifications sent, and the
 * invocation log (logs/kiln-*.log) opened before the run and closed after it.
 */
import { join } from 'node:path';
import { ensureWritable, writeArtifact } from '../artifacts/write.js';
import { readJsonIfThere } from '../artifacts/read.js';
import { manifestJson, writeManifest } from '../artifacts/manifest.js';
import { runResultsJson } from '../artifacts/run-results.js';
import { writeJunitXml } from '../artifacts/junit.js';
import type { Compiler } from '../compile/compiler.js';
import { notify, readNotificationTargets } from '../notify/webhooks.js';
import { InvocationLog } from '../run/invocation-log.js';
import { durationsFromRunResults } from '../run/priority.js';
import { isFailure, type NodeResult } from '../run/results.js';
import { recordedArgs } from '../state/invocation-args.js';
import type { Loaded } from './load.js';
import type { Command, KilnOptions, Project, RunResult } from './options.js';

/**
 * Opens the invocation log once the target and log folders are known to be writable (nothing
 * touches the warehouse unless the results can be written afterwards); the options returned
 * copy every node event and message into it.
 */
export function openRunLog(
  loaded: Loaded,
  command: Command,
  opts: KilnOptions,
): { log: InvocationLog; opts: KilnOptions } {
  ensureWritable([loaded.project.targetPath, loaded.project.logPath]);
  const log = new InvocationLog(loaded.project.logPath, loaded.invocationId, command);
  return {
    log,
    opts: {
      ...opts,
      onEvent: (e) => (log.event(e), opts.onEvent?.(e)),
      onLog: (level, m) => (log.message(level === 'print' ? 'info' : level, m), opts.onLog?.(level, m)),
    },
  };
}

/** Seconds per node from the last run_results.json, for the critical path. */
export function previousDurations(loaded: Loaded): ReadonlyMap<string, number> {
  return durationsFromRunResults(readJsonIfThere(join(loaded.project.targetPath, 'run_results.json')));
}

export interface FinishedRun {
  command: Command;
  opts: KilnOptions;
  loaded: Loaded;
  project: Project;
  compiler: Compiler;
  results: NodeResult[];
  /** Date.now() when the command started. */
  started: number;
  /** A failing on-run-end hook: it fails the invocation once the artifacts are written. */
  /** Boxed so that any rejection value, even a falsy one, counts as a failure. */
  endHookError?: { error: unknown };
  log: InvocationLog;
  /**
   * The warehouse's close, under way while manifest.json is written (an embedded DuckDB
   * checkpoints on its own thread meanwhile), and awaited before anything else: a close that
   * fails fails the invocation before run_results.json is written.
   */
  warehouseClosed?: Promise<void>;
}

export async function finishRun(run: FinishedRun): Promise<RunResult> {
  const { command, opts, loaded, project, compiler, results } = run;
  const compiledIds = new Set(results.filter((r) => r.compiledCode !== undefined).map((r) => r.uniqueId));
  try {
    writeManifest(project.parsed, project.session, project.dag, compiler, compiledIds);
  } finally {
    // Written or not, nothing goes on before the warehouse is closed; a close that failed fails the run here.
    if (run.warehouseClosed) await Promise.allSettled([run.warehouseClosed]);
  }
  await run.warehouseClosed;
  // The manifest object is built only if the caller reads it.
  let manifest: Record<string, unknown> | undefined;
  const manifestOf = () =>
    (manifest ??= manifestJson(project.parsed, project.session, project.dag, compiler, compiledIds));
  const elapsed = (Date.now() - run.started) / 1000;
  const runResults = runResultsJson(
    results,
    loaded.invocationId,
    elapsed,
    recordedArgs(command, opts, loaded.target.threads),
  );
  writeArtifact(loaded.project.targetPath, 'run_results.json', runResults);
  if (opts.junitXml)
    writeJunitXml(opts.junitXml, {
      suiteName: `kiln ${command}`,
      results,
      nodes: project.parsed.manifest.nodes,
      elapsed,
      projectDir: loaded.project.projectDir,
      targetPath: loaded.project.targetPath,
    });
  const success = !results.some((r) => isFailure(r.status)) && !opts.signal?.aborted && !run.endHookError;
  const targets = readNotificationTargets(loaded.project.notifications);
  if (targets.length) {
    await notify(
      targets,
      { project: loaded.project.name, command, invocationId: loaded.invocationId, success, elapsed, results },
      (m) => opts.onLog?.('warn', m),
    );
  }
  if (run.endHookError) throw run.endHookError.error;
  run.log.close({ success, elapsed, nodes: results.length });
  return {
    success,
    results,
    elapsed,
    invocationId: loaded.invocationId,
    get manifest() {
      return manifestOf();
    },
    runResults,
    project: {
      parsed: project.parsed,
      session: project.session,
      dag: project.dag,
      get manifest() {
        return manifestOf();
      },
    },
  };
}

/** A run that stopped with an error before it finished: the log says so. */
export function abandonRun(log: InvocationLog, error: unknown): void {
  log.close({ success: false, error: error instanceof Error ? error.message : String(error) });
}

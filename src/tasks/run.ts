/**
 * `kiln run`, `test`, `seed`, `snapshot` and `build`: the selection narrowed to the command's
 * resource types, project hooks around the nodes, the nodes executed by the runner; then the
 * one post-run step (src/tasks/post-run.ts).
 */
import { Compiler } from '../compile/compiler.js';
import { executeNodes, isExecutable } from '../run/runner.js';
import { runProjectHooks } from '../run/hooks.js';
import type { NodeResult } from '../run/results.js';
import { staleSources } from '../freshness/check.js';
import { deferTarget, deferredRelations } from '../state/defer.js';
import { selectResources } from '../session.js';
import { load, parseLoaded, select, type Loaded } from './load.js';
import { abandonRun, finishRun, openRunLog, previousDurations, type FinishedRun } from './post-run.js';
import type { InvocationLog } from '../run/invocation-log.js';
import type { Command, KilnOptions, RunResult } from './options.js';

const commandTypes: Record<Command, string[]> = {
  run: ['model'],
  test: ['test', 'unit_test'],
  seed: ['seed'],
  snapshot: ['snapshot'],
  build: ['model', 'seed', 'test', 'snapshot', 'unit_test'],
};

/** `kiln run`, `test`, `seed`, `snapshot` and `build`. */
export async function execute(command: Command, options: KilnOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const loaded = await load(options);
  const { log, opts } = openRunLog(loaded, command, options);
  try {
    return await executeLoaded(command, opts, loaded, started, log);
  } catch (e) {
    abandonRun(log, e);
    throw e;
  }
}

async function executeLoaded(
  command: Command,
  opts: KilnOptions,
  loaded: Loaded,
  started: number,
  log: InvocationLog,
): Promise<RunResult> {
  // An embedded warehouse opens on the driver's thread while parsing keeps this one busy.
  const prepared = typeof loaded.adapter.prepareOpen === 'function';
  loaded.adapter.prepareOpen?.();
  let project: ReturnType<typeof parseLoaded>;
  let ids: string[];
  let compiler: Compiler;
  let deferTo: ReturnType<typeof deferTarget>;
  try {
    project = parseLoaded(loaded, opts, command);
    ids = executableSelection(project, opts, command);
    selectResources(project.session, ids);
    opts.onRunStart?.({ project, target: loaded.target, ids });
    compiler = new Compiler(project.parsed, project.session);
    deferTo = deferTarget(opts);
  } catch (e) {
    if (prepared) await loaded.adapter.close();
    throw e;
  }
  const { session } = project;
  const { adapter } = session;
  let results: NodeResult[] = [];
  let endHookError: FinishedRun['endHookError'];
  let warehouseClosed: Promise<void> | undefined;
  if (ids.length) {
    await adapter.open();
    try {
      if (deferTo)
        compiler.deferred = await deferredRelations(project.parsed, session, deferTo, {
          building: new Set(ids),
          favorState: Boolean(opts.favorState),
          readsWarehouse: true,
        });
      await runProjectHooks('on-run-start', project.parsed, session, { ids });
      results = await executeNodes({
        parsed: project.parsed,
        dag: project.dag,
        compiler,
        session,
        ids,
        threads: loaded.target.threads,
        testsGate: command === 'build',
        failFast: Boolean(opts.failFast),
        signal: opts.signal,
        onEvent: opts.onEvent,
        retries: opts.retries,
        concurrencyGroups: loaded.project.concurrencyGroups,
        audit: opts.audit,
        onLog: opts.onLog,
        staleSources: opts.failOnStaleSources
          ? await staleSources(project.parsed.manifest.sources.values(), adapter)
          : undefined,
        onRetry: (id, attempt, delayMs, message) =>
          opts.onLog?.(
            'warn',
            `${id}: transient failure (attempt ${attempt}), ` +
              `retrying in ${(delayMs / 1000).toFixed(1)}s: ${message.split('\n')[0]}`,
          ),
        previousDurations: previousDurations(loaded),
      });
      // A failing on-run-end hook fails the invocation once the artifacts are written.
      await runProjectHooks('on-run-end', project.parsed, session, { results }).catch(
        (error: unknown) => (endHookError = { error }),
      );
    } catch (e) {
      await adapter.close();
      await compiler.flushWrites();
      throw e;
    }
    // The warehouse closes while the artifacts are written: finishRun waits for it.
    const closing = adapter.close();
    warehouseClosed = closing;
    await compiler.flushWrites().catch(async (e: unknown) => {
      await Promise.allSettled([closing]);
      throw e;
    });
  } else {
    if (prepared) await adapter.close();
    opts.onLog?.('warn', 'nothing to do: the selection contains no nodes of this kind');
  }
  return finishRun({ command, opts, loaded, project, compiler, results, started, endHookError, log, warehouseClosed });
}

/** The selected nodes the command executes, in order. */
function executableSelection(project: ReturnType<typeof parseLoaded>, opts: KilnOptions, command: Command): string[] {
  const types = new Set(commandTypes[command]);
  return select(project, opts).filter((id) => {
    const n = project.parsed.manifest.nodes.get(id);
    return (
      n !== undefined &&
      types.has(n.resourceType) &&
      (!opts.resourceTypes?.length || opts.resourceTypes.includes(n.resourceType)) &&
      isExecutable(n)
    );
  });
}

export const run = (opts: KilnOptions = {}) => execute('run', opts);
export const test = (opts: KilnOptions = {}) => execute('test', opts);
export const seed = (opts: KilnOptions = {}) => execute('seed', opts);
export const build = (opts: KilnOptions = {}) => execute('build', opts);
export const snapshot = (opts: KilnOptions = {}) => execute('snapshot', opts);

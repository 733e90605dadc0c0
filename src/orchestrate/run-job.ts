/**
 * How the service runs a job: in this process, through kiln's API, with the run engine's own
 * cancellation (an AbortSignal, as `kiln build` uses on Ctrl-C) and node events. Also reads
 * sources' newest loaded_at for on_new_data triggers with the freshness query of
 * `kiln source freshness`. Must not decide when anything runs (the orchestrator does).
 */
import { execute, readProject, type KilnOptions } from '../api.js';
import { KilnError } from '../errors.js';
import { checkFreshness, type FreshnessResult } from '../freshness/check.js';
import { sourceFreshness } from '../tasks/freshness.js';
import { effectiveCriteria } from '../freshness/criteria.js';
import { isFailure } from '../run/results.js';
import type { SourceNode } from '../parse/nodes.js';
import type { FreshnessReading } from './history.js';
import type { ExecuteJob, ReadSources } from './orchestrator.js';

/** `source_name.table_name`, as jobs name sources and selections read them. */
export const sourceName = (s: Pick<SourceNode, 'sourceName' | 'name'>) => `${s.sourceName}.${s.name}`;

function reading(r: FreshnessResult, name: string): FreshnessReading {
  return {
    source_id: name,
    checked_at: Date.parse(r.snapshottedAt),
    max_loaded_at: r.maxLoadedAt ? Date.parse(r.maxLoadedAt) : null,
    age_seconds: r.ageSeconds,
    status: r.status,
  };
}

/** Runs jobs in this process with `base` (project dir, profile, target) under each job's own flags. */
export function inProcessExecutor(base: KilnOptions, onLog?: KilnOptions['onLog']): ExecuteJob {
  return async (job, hooks) => {
    const options: KilnOptions = {
      ...base,
      ...job.command.options,
      invocationId: hooks.runId,
      signal: hooks.signal,
      onLog,
    };
    if (hooks.select) options.select = hooks.select;
    if (job.command.command === 'source freshness') {
      const run = await sourceFreshness(options);
      const names = new Map((await readProject({ ...base, onLog: undefined })).parsed.manifest.sources);
      hooks.onFreshness(
        run.results.map((r) => reading(r, names.get(r.uniqueId) ? sourceName(names.get(r.uniqueId)!) : r.uniqueId)),
      );
      const stale = run.results.filter((r) => r.status === 'error' || r.status === 'runtime error');
      return {
        success: run.success,
        message: stale.length
          ? `${stale.length} of ${run.results.length} sources stale or unreadable`
          : `${run.results.length} sources checked`,
      };
    }
    const result = await execute(job.command.command, {
      ...options,
      onEvent: (e) => {
        if (e.type === 'started')
          hooks.onNodeStarted({
            unique_id: e.uniqueId,
            resource_type: e.node.resourceType,
            started_at: Date.now(),
            index: e.index,
            total: e.total,
          });
        else {
          const r = e.result;
          const started = r.timing[0] ? Date.parse(r.timing[0].started_at) : Date.now() - r.executionTime * 1000;
          const rows = r.adapterResponse.rows_affected;
          hooks.onNodeFinished({
            unique_id: r.uniqueId,
            resource_type: e.node.resourceType,
            status: r.status,
            started_at: started,
            duration: r.executionTime,
            rows: typeof rows === 'number' ? rows : null,
            failures: r.failures,
            message: r.message,
          });
        }
      },
    });
    const failed = result.results.filter((r) => isFailure(r.status));
    const message = failed.length
      ? `${failed.length} of ${result.results.length} nodes failed: ${failed
          .slice(0, 3)
          .map((r) => r.uniqueId)
          .join(', ')}`
      : `${result.results.length} nodes in ${result.elapsed.toFixed(1)}s`;
    return { success: result.success, message, invocationId: result.invocationId };
  };
}

/**
 * Reads the newest loaded_at of sources. A source without a loaded_at_field in its properties
 * takes the trigger's; a source the project does not have is bad input.
 */
export function warehouseSourceReader(base: KilnOptions): ReadSources {
  return async (names, loadedAtField) => {
    const project = await readProject({ ...base, onLog: undefined });
    const { manifest } = project.parsed;
    const { adapter } = project.session;
    const byName = new Map([...manifest.sources.values()].map((s) => [sourceName(s), s]));
    const sources = names.map((name) => {
      const source = byName.get(name);
      if (!source)
        throw new KilnError('config', `kiln_jobs.yml names the source '${name}', which the project does not have`, {
          file: 'kiln_jobs.yml',
          hint: `sources: ${[...byName.keys()].join(', ')}`,
        });
      const field = source.loadedAtField ?? loadedAtField;
      if (!field)
        throw new KilnError('config', `source '${name}' has no loaded_at_field to watch`, {
          file: 'kiln_jobs.yml',
          hint: 'set loaded_at_field in the source properties or in the on_new_data trigger',
        });
      return { source: { ...source, loadedAtField: field }, name };
    });
    await adapter.open();
    try {
      const out: FreshnessReading[] = [];
      for (const { source, name } of sources)
        out.push(
          reading(await checkFreshness(adapter, source, effectiveCriteria(undefined, source.freshness) ?? {}), name),
        );
      return out;
    } finally {
      await adapter.close();
    }
  };
}

/** `kiln source freshness`: the selected sources' newest rows against their rules; writes sources.json. */
import { parse } from './parse.js';
import type { KilnOptions } from './options.js';
import { selectNodes } from '../graph/selector.js';
import { writeArtifact } from '../artifacts/write.js';
import type { SourceNode } from '../parse/nodes.js';
import { checkableSources, checkFreshness, type FreshnessResult } from '../freshness/check.js';
import { sourcesJson } from '../artifacts/sources.js';

export interface FreshnessRun {
  results: FreshnessResult[];
  /** False when any source is stale past error_after or could not be checked. */
  success: boolean;
  sourcesJson: Record<string, unknown>;
}

export async function sourceFreshness(opts: KilnOptions & { output?: string } = {}): Promise<FreshnessRun> {
  const started = Date.now();
  const project = await parse(opts);
  const { manifest } = project.parsed;
  const { adapter, info } = project.session;
  const selection = selectNodes(manifest, project.dag, {
    select: opts.select,
    exclude: opts.exclude,
    resourceTypes: ['source'],
  }).ids;
  const chosen = selection.map((id) => manifest.sources.get(id)).filter((s): s is SourceNode => s !== undefined);
  const checks = checkableSources(chosen);
  const results: FreshnessResult[] = [];
  if (checks.length) {
    await adapter.open();
    try {
      for (const { source, criteria } of checks) results.push(await checkFreshness(adapter, source, criteria));
    } finally {
      await adapter.close();
    }
  } else opts.onLog?.('warn', 'no selected source has freshness rules and a loaded_at_field');
  const json = sourcesJson(results, info.invocationId, (Date.now() - started) / 1000);
  const target = opts.output ? opts.output : 'sources.json';
  writeArtifact(project.parsed.project.targetPath, target, json);
  return {
    results,
    success: !results.some((r) => r.status === 'error' || r.status === 'runtime error'),
    sourcesJson: json,
  };
}

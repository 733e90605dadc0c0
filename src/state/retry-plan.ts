/**
 * `kiln retry`: what the last invocation left undone. Nodes that errored, failed or were
 * skipped run again with the same arguments; a failed test first rebuilds the node it
 * guards (the usual fix is in the model), and then all tests of that node run again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../errors.js';
import type { Manifest } from '../parse/nodes.js';
import type { Dag } from '../graph/dag.js';
import type { RecordedArgs } from './invocation-args.js';

const retryable = ['run', 'test', 'seed', 'build', 'snapshot'] as const;

export interface LastRun {
  /** The arguments run_results.json recorded, as its JSON has them; `which` checked. */
  args: RecordedArgs & { which: (typeof retryable)[number] };
  results: Array<{ unique_id: string; status: string }>;
}

const undone = new Set(['error', 'fail', 'skipped', 'cancelled']);
const rebuildable = new Set(['model', 'seed', 'snapshot']);

export function readLastRun(targetPath: string): LastRun {
  const file = join(targetPath, 'run_results.json');
  if (!existsSync(file))
    throw new KilnError('config', `nothing to retry: no run_results.json in ${targetPath}`, {
      hint: 'retry repeats the last run, test, seed or build of this project: run one first',
    });
  let data: { args?: RecordedArgs; results?: LastRun['results'] } | null;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as typeof data;
  } catch (e) {
    throw new KilnError('config', `cannot read ${file}: ${(e as Error).message}`, { file });
  }
  const which = data?.args?.which;
  if (!retryable.some((command) => command === which)) {
    const what = which ? `was '${String(which)}', which` : 'does not say which command it was, so it';
    throw new KilnError('config', `the last invocation recorded in ${file} ${what} cannot be retried`, {
      file,
      hint: 'retry repeats run, test, seed or build',
    });
  }
  return { args: { ...data!.args, which: which as LastRun['args']['which'] }, results: data!.results ?? [] };
}

export interface RetryPlan {
  ids: string[];
  /** Nodes rebuilt because a test on them failed. */
  rebuilt: string[];
  /** The command to run: the last one, except that a `test` whose models must be rebuilt becomes `build`. */
  command: 'run' | 'test' | 'seed' | 'build' | 'snapshot';
}

export function planRetry(last: LastRun, manifest: Manifest, dag: Dag): RetryPlan {
  const ids = new Set<string>();
  const rebuilt: string[] = [];
  for (const r of last.results) {
    if (!undone.has(r.status) || !manifest.nodes.has(r.unique_id)) continue;
    ids.add(r.unique_id);
    const node = manifest.nodes.get(r.unique_id)!;
    if (node.resourceType !== 'test' || (r.status !== 'fail' && r.status !== 'error')) continue;
    for (const p of node.dependsOn.nodes) {
      const parent = manifest.nodes.get(p);
      if (!parent || !rebuildable.has(parent.resourceType) || parent.config.materialized === 'ephemeral' || ids.has(p))
        continue;
      ids.add(p);
      rebuilt.push(p);
    }
  }
  // A rebuilt node's other tests may pass no longer: run them all again.
  for (const p of rebuilt)
    for (const c of dag.children(p)) if (manifest.nodes.get(c)?.resourceType === 'test') ids.add(c);
  const which = last.args.which;
  return {
    ids: dag.order.filter((id) => ids.has(id)),
    rebuilt,
    command: which === 'test' && rebuilt.length ? 'build' : which,
  };
}

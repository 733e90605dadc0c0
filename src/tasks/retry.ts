/**
 * `kiln retry`: the last run/test/seed/build again, with its arguments, for the nodes that
 * errored, failed or were skipped; a failed test's model is rebuilt before it is re-tested.
 */
import { loadProject } from '../config/project.js';
import { optionsFromArgs } from '../state/invocation-args.js';
import { planRetry, readLastRun } from '../state/retry-plan.js';
import { execute } from './run.js';
import type { Command, KilnOptions, Project, RetryResult } from './options.js';

export async function retry(opts: KilnOptions = {}): Promise<RetryResult> {
  const last = readLastRun(loadProject(opts.projectDir ?? '.', {}, opts.targetPath).targetPath);
  const failedTest = last.results.some(
    (r) => r.unique_id.startsWith('test.') && (r.status === 'fail' || r.status === 'error'),
  );
  const command: Command = last.args.which === 'test' && failedTest ? 'build' : last.args.which;
  let rebuilt: string[] = [];
  const nodeIds = (p: Project) => {
    const plan = planRetry(last, p.parsed.manifest, p.dag);
    rebuilt = plan.rebuilt;
    if (!plan.ids.length)
      opts.onLog?.('info', 'nothing to retry: the last invocation had no errors, failures or skipped nodes');
    return plan.ids;
  };
  const result = await execute(command, { ...optionsFromArgs(last.args, opts), nodeIds });
  return { ...result, command, rebuilt };
}

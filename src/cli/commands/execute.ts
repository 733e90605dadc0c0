/** `kiln run`, `test`, `seed`, `build`: execute selected nodes and summarise. */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { execute, type Command as KilnCommand, type RunStart } from '../../index.js';
import { kilnVersion } from '../../version.js';
import { countByKind, kindOf, plural } from '../progress-line.js';
import type { Output } from '../output.js';
import { runInterruptibly } from '../interrupt.js';
import { addProjectOptions, addRunOptions, addSelectionOptions, toKilnOptions, type CommandFlags } from '../options.js';
import type { NodeResult } from '../../run/results.js';
import type { GraphNode } from '../../parse/nodes.js';
import { annotations, underGithubActions } from '../github.js';

const descriptions: Record<KilnCommand, string> = {
  run: 'build the selected models',
  test: 'run the data tests of the selected nodes',
  seed: 'load seed CSVs into tables',
  build: 'seeds, models, snapshots and tests in DAG order, tests gating what depends on them',
  snapshot: 'record changes of the selected snapshots (slowly changing dimensions, type 2)',
};

export function registerExecuteCommands(program: Command, output: () => Output, setExit: (code: number) => void): void {
  for (const name of ['run', 'test', 'seed', 'build', 'snapshot'] as const) {
    const cmd = program.command(name).description(descriptions[name]);
    addProjectOptions(cmd);
    addSelectionOptions(cmd);
    addRunOptions(cmd);
    cmd.option('--resource-type <type...>', 'only these resource types');
    if (name === 'build') cmd.option('--fail-on-stale-sources', 'skip what reads a source stale past its error_after');
    if (name === 'build' || name === 'run')
      cmd.option('--audit', 'test every table on a staging copy before it replaces production');
    cmd.action(async (flags: CommandFlags) => {
      const out = output();
      const invocationId = randomUUID();
      if (flags.heartbeat !== undefined) out.heartbeatSeconds = flags.heartbeat;
      const code = await runInterruptibly(out, async (signal) => {
        const result = await execute(name, {
          ...toKilnOptions(flags, out),
          invocationId,
          signal,
          onRunStart: (start) => header(out, start),
          onEvent: (event) => out.nodeEvent(event, invocationId),
        });
        summarise(out, result.results, result.elapsed, result.success, result.project.parsed.manifest.nodes);
        if (underGithubActions())
          for (const line of annotations(result.results, result.project.parsed.manifest.nodes)) out.data(line);
        return result.success;
      });
      setExit(code);
    });
  }
}

/** dbt's opening lines: the version, what the project holds, the target and the threads. */
export function header(out: Output, { project, target }: RunStart): void {
  const m = project.parsed.manifest;
  const nodes = [...m.nodes.values()];
  const count = (type: string) => nodes.filter((n) => n.resourceType === type).length;
  const found = [
    plural(count('model'), 'model'),
    ...(
      [
        [count('snapshot'), 'snapshot'],
        [count('test'), 'data test'],
        [count('seed'), 'seed'],
        [m.sources.size, 'source'],
        [m.exposures?.size ?? 0, 'exposure'],
        [m.macros.size, 'macro'],
        [count('unit_test'), 'unit test'],
      ] as Array<[number, string]>
    )
      .filter(([n]) => n > 0)
      .map(([n, noun]) => plural(n, noun)),
  ].join(', ');
  if (out.format === 'json') {
    out.json({
      level: 'info',
      event: 'run_started',
      kiln_version: kilnVersion,
      found,
      target: target.targetName,
      adapter: target.type,
      threads: target.threads,
    });
    return;
  }
  out.info(`Running with kiln=${kilnVersion}`);
  out.info(`Found ${found}`);
  out.info('');
  out.info(`Concurrency: ${plural(target.threads, 'thread')} (target='${target.targetName}', ${target.type})`);
  out.info('');
}

/** "0 hours 1 minutes and 5.20 seconds (65.20s)", as dbt says it. */
function spelledDuration(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${hours} hours ${minutes} minutes and ${(seconds % 60).toFixed(2)} seconds (${seconds.toFixed(2)}s)`;
}

export function summarise(
  out: Output,
  results: NodeResult[],
  elapsed: number,
  success: boolean,
  nodes: Map<string, GraphNode>,
): void {
  out.endProgress();
  const count = (s: string) => results.filter((r) => r.status === s).length;
  const pass = count('success') + count('pass');
  const warn = count('warn');
  const error = count('error') + count('fail');
  const skip = count('skipped');
  const cancel = count('cancelled');
  if (out.format === 'json') {
    out.json({
      level: 'info',
      event: 'run_finished',
      success,
      elapsed,
      pass,
      warn,
      error,
      skip,
      cancel,
      total: results.length,
    });
    return;
  }
  out.info('');
  out.info(
    `Finished running ${results.length ? countByKind(results.map((r) => kindOf(nodes.get(r.uniqueId)))) : '0 nodes'} ` +
      `in ${spelledDuration(elapsed)}.`,
  );
  const problems = results.filter((r) => r.status === 'error' || r.status === 'fail' || r.status === 'warn');
  if (problems.length) {
    // Under --quiet (errors only) a failed run still says what failed, and under --log-level warn its warnings.
    const level = error ? 'error' : 'warn';
    out.summaryLine('', level);
    out.summaryLine(
      error
        ? out.paint(
            31,
            `Completed with ${error} error${error === 1 ? '' : 's'} and ${warn} warning${warn === 1 ? '' : 's'}:`,
          )
        : out.paint(33, `Completed with ${warn} warning${warn === 1 ? '' : 's'}:`),
      level,
    );
    for (const r of problems) {
      const node = nodes.get(r.uniqueId);
      const label = r.status === 'warn' ? 'Warning' : r.status === 'fail' ? 'Failure' : 'Error';
      const shownAs = r.status === 'warn' ? 'warn' : 'error';
      out.summaryLine('', shownAs);
      const file = node ? ` (${node.originalFilePath})` : '';
      out.summaryLine(`  ${label} in ${node?.resourceType ?? 'node'} ${node?.name ?? r.uniqueId}${file}`, shownAs);
      // A unit test's message is its diff table: show it whole (it caps its own rows).
      for (const line of r.message
        .split('\n')
        .slice(0, node?.resourceType === 'unit_test' || /contract that failed/.test(r.message) ? 200 : 8))
        out.summaryLine(`    ${line}`, shownAs);
    }
  } else if (success) {
    out.info(out.paint(32, 'Completed successfully'));
  }
  out.info('');
  // CANCEL, kiln's, only when a run was interrupted: otherwise the line reads as dbt's.
  out.info(
    `Done. PASS=${pass} WARN=${warn} ERROR=${error} SKIP=${skip}${cancel ? ` CANCEL=${cancel}` : ''} ` +
      `TOTAL=${results.length}`,
  );
}

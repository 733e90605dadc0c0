/** `kiln retry`: the last run/test/seed/build again, for what errored, failed or was skipped. */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { retry } from '../../index.js';
import type { Output } from '../output.js';
import { runInterruptibly } from '../interrupt.js';
import { addProjectOptions, toKilnOptions, type ProjectFlags } from '../options.js';
import { header, summarise } from './execute.js';
import { annotations, underGithubActions } from '../github.js';

export function registerRetryCommand(program: Command, output: () => Output, setExit: (code: number) => void): void {
  const cmd = addProjectOptions(
    program
      .command('retry')
      .description(
        're-run what the last run/test/seed/build left failed, errored ' +
          'or skipped, with its arguments; a failed test rebuilds its model ' +
          'first',
      ),
  );
  cmd
    .option('--threads <n>', 'how many nodes run at once (default: as last time)', (v) => Number(v))
    .option('--junit-xml <file>', 'also write the results as JUnit XML, for CI systems')
    .action(async (flags: ProjectFlags & { threads?: number; junitXml?: string }) => {
      const out = output();
      const invocationId = randomUUID();
      const code = await runInterruptibly(out, async (signal) => {
        const given = toKilnOptions(flags, out);
        const result = await retry({
          projectDir: given.projectDir,
          profilesDir: given.profilesDir,
          targetPath: given.targetPath,
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
          ...(flags.target !== undefined ? { target: flags.target } : {}),
          ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
          ...(flags.vars !== undefined ? { vars: flags.vars } : {}),
          junitXml: flags.junitXml,
          onLog: given.onLog,
          invocationId,
          signal,
          onRunStart: (start) => header(out, start),
          onEvent: (event) => out.nodeEvent(event, invocationId),
        });
        const nodes = result.project.parsed.manifest.nodes;
        if (result.rebuilt.length)
          out.info(
            `Rebuilt before re-testing: ${result.rebuilt.map((id) => nodes.get(id)?.name ?? id).join(', ')}`,
            true,
          );
        summarise(out, result.results, result.elapsed, result.success, nodes);
        if (underGithubActions()) for (const line of annotations(result.results, nodes)) out.data(line);
        return result.success;
      });
      setExit(code);
    });
}

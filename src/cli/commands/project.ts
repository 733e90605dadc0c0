/** Commands about the project itself: init, debug, clean. */
import type { Command } from 'commander';
import { clean, debug } from '../../index.js';
import { relative } from 'node:path';
import { kilnCommand, shellWord, userDir } from '../invocation.js';
import type { Output } from '../output.js';
import { addProjectOptions, toKilnOptions, type ProjectFlags } from '../options.js';

export function registerProjectCommands(program: Command, output: () => Output, setExit: (code: number) => void): void {
  program
    .command('init <name>')
    .description('create a new project folder that runs as it is on the embedded DuckDB')
    .action(async (name: string) => {
      const out = output();
      // Loaded here: every other command would load it for nothing.
      const { scaffoldProject } = await import('../../init/scaffold.js');
      const dir = scaffoldProject(name);
      out.info(
        `Created project '${name}' in ${dir}. Next: cd ${shellWord(relative(userDir(), dir))} ` +
          `&& ${kilnCommand(dir)} build`,
      );
    });

  addProjectOptions(
    program.command('debug').description('check the project, the profile and the warehouse connection'),
  ).action(async (flags: ProjectFlags) => {
    const out = output();
    const result = await debug(toKilnOptions(flags, out));
    for (const line of result.lines) out.info(line);
    out.info(result.ok ? 'All checks passed!' : 'Connection check failed.');
    setExit(result.ok ? 0 : 1);
  });

  addProjectOptions(program.command('clean').description('delete the folders listed in clean-targets')).action(
    (flags: ProjectFlags) => {
      const out = output();
      for (const t of clean(toKilnOptions(flags, out))) out.info(`Cleaned ${t}/`);
    },
  );
}

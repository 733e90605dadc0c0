/** `kiln deps`: install the project's packages. */
import type { Command } from 'commander';
import { deps } from '../../deps/index.js';
import type { Output } from '../output.js';

export function registerDepsCommand(program: Command, output: () => Output): void {
  program
    .command('deps')
    .description('install the packages of packages.yml into dbt_packages/ and write package-lock.yml')
    .option('--project-dir <dir>', 'the project folder', '.')
    .option('--upgrade', 'resolve versions afresh instead of using package-lock.yml')
    .option('--hub-index <file-or-url>', 'JSON mapping hub package names to git URLs (default: $KILN_HUB_INDEX)')
    .action(async (flags: { projectDir: string; upgrade?: boolean; hubIndex?: string }) => {
      const out = output();
      const result = await deps({ projectDir: flags.projectDir, upgrade: flags.upgrade, hubIndex: flags.hubIndex, onLog: (_l, m) => out.info(m) });
      out.info(`Installed ${result.installed.length} package${result.installed.length === 1 ? '' : 's'}`);
    });
}

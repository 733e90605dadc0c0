/** `kiln deps`: install the project's packages. */
import type { Command } from 'commander';
import { deps } from '../../index.js';
import type { Output } from '../output.js';
import { addProjectOptions, type ProjectFlags } from '../options.js';

export function registerDepsCommand(program: Command, output: () => Output): void {
  addProjectOptions(
    program
      .command('deps')
      .description(
        'install the packages of packages.yml, with their own dependencies, ' +
          'into dbt_packages/ and write package-lock.yml',
      ),
  )
    .option('--upgrade', 'resolve versions afresh instead of installing what package-lock.yml pins')
    .option(
      '--hub-url <url>',
      'the package hub, serving the dbt Hub API (default: $KILN_HUB_URL, ' +
        '$DBT_PACKAGE_HUB_URL, https://hub.getdbt.com/)',
    )
    .action(async (flags: ProjectFlags & { upgrade?: boolean; hubUrl?: string }) => {
      const out = output();
      const result = await deps({
        projectDir: flags.projectDir,
        profilesDir: flags.profilesDir,
        profile: flags.profile,
        target: flags.target,
        vars: flags.vars,
        targetPath: flags.targetPath,
        upgrade: flags.upgrade,
        hubUrl: flags.hubUrl,
        onLog: (level, m) => out.log(level, m),
      });
      out.info(`Installed ${result.installed.length} package${result.installed.length === 1 ? '' : 's'}`);
    });
}

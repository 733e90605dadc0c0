/** The `deps` operation of the API: install the packages a project declares. */
import { loadProject, parseCliVars } from '../config/project.js';
import type { KilnOptions } from '../tasks/options.js';
import { installDeps, type DepsResult, type InstalledInfo } from './install.js';

export interface DepsOptions extends Pick<
  KilnOptions,
  'projectDir' | 'profilesDir' | 'profile' | 'target' | 'vars' | 'targetPath' | 'onLog'
> {
  /** Resolve versions afresh instead of installing what package-lock.yml pins. */
  upgrade?: boolean;
  /** The package hub (dbt Hub API); by default KILN_HUB_URL, DBT_PACKAGE_HUB_URL, then https://hub.getdbt.com/. */
  hubUrl?: string;
}

export type { DepsResult, InstalledInfo };

/**
 * Installs packages.yml (or dependencies.yml), with their own dependencies, into dbt_packages/
 * and writes package-lock.yml. `vars` feed `var()` in dbt_project.yml and the package files;
 * the profile options are accepted like every command's, but deps reads no profile.
 */
export async function deps(opts: DepsOptions = {}): Promise<DepsResult> {
  const cliVars = typeof opts.vars === 'string' ? parseCliVars(opts.vars) : (opts.vars ?? {});
  const project = loadProject(opts.projectDir ?? '.', cliVars, opts.targetPath);
  return installDeps(project, {
    upgrade: opts.upgrade,
    hubUrl: opts.hubUrl,
    cliVars,
    log: (level, m) => opts.onLog?.(level, m),
  });
}

/** The `deps` operation of the API: install the packages a project declares. */
import { loadProject } from '../config/project.js';
import { installDeps, type DepsResult } from './install.js';

export interface DepsOptions {
  projectDir?: string;
  /** Resolve versions afresh instead of installing what package-lock.yml pins. */
  upgrade?: boolean;
  /** Where hub package names resolve to git URLs (JSON file or URL); KILN_HUB_INDEX by default. */
  hubIndex?: string;
  onLog?: (level: 'info' | 'warn', message: string) => void;
}

export type { DepsResult };

/** Installs packages.yml (or dependencies.yml) into dbt_packages/ and writes package-lock.yml. */
export async function deps(opts: DepsOptions = {}): Promise<DepsResult> {
  const project = loadProject(opts.projectDir ?? '.');
  return installDeps(project, { upgrade: opts.upgrade, hubIndex: opts.hubIndex, log: (m) => opts.onLog?.('info', m) });
}

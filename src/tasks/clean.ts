/** `kiln clean`: removes clean-targets, refusing paths outside the project. Synchronous, and reads no profile. */
import { rmSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { KilnError } from '../errors.js';
import { loadProject } from '../config/project.js';
import type { KilnOptions } from './options.js';

export function clean(opts: KilnOptions = {}): string[] {
  const project = loadProject(opts.projectDir ?? '.', {}, opts.targetPath);
  const removed: string[] = [];
  for (const t of project.cleanTargets) {
    const full = resolve(project.projectDir, t);
    const rel = relative(project.projectDir, full);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) {
      throw new KilnError('config', `clean-targets entry '${t}' is outside the project (or is the project itself)`, {
        file: 'dbt_project.yml',
      });
    }
    rmSync(full, { recursive: true, force: true });
    removed.push(t);
  }
  return removed;
}

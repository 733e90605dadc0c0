/** Where a unit test's fixture file is: parse checks that it exists, the run reads it. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectConfig } from '../config/project.js';

/** `<test-path>/fixtures/**\/<name>.<format>`, in the first test path that has it. */
export function findFixture(
  project: Pick<ProjectConfig, 'projectDir' | 'testPaths'>,
  name: string,
  format: string,
): string | undefined {
  const wanted = `${name}.${format}`;
  for (const testPath of project.testPaths) {
    const root = join(project.projectDir, testPath, 'fixtures');
    const hit = walk(root, (f) => f === wanted || f.endsWith(`/${wanted}`));
    if (hit) return hit;
  }
  return undefined;
}

function walk(dir: string, match: (path: string) => boolean): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) {
      const hit = walk(full, match);
      if (hit) return hit;
    } else if (match(full.replace(/\\/g, '/'))) return full;
  }
  return undefined;
}

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
  return fixtureFiles(project).find((f) => {
    const path = f.replace(/\\/g, '/');
    return path === wanted || path.endsWith(`/${wanted}`);
  });
}

/** Every file under each test path's fixtures/, test path by test path, each folder's entries in name order. */
export function fixtureFiles(project: Pick<ProjectConfig, 'projectDir' | 'testPaths'>): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(full);
    }
  };
  for (const testPath of project.testPaths) {
    const root = join(project.projectDir, testPath, 'fixtures');
    if (existsSync(root)) walk(root);
  }
  return out;
}

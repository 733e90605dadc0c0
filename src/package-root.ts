/**
 * kiln's own folder (the one holding its package.json), whether it runs from dist/ after a
 * build, from an installed package or from source: templates/, the docs bundle and the version
 * are found from here rather than by counting `../` from each module's place in dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'kiln')
      return dir;
    if (dirname(dir) === dir) throw new Error(`kiln's package.json was not found above ${from}`);
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

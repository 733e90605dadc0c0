/**
 * kiln's own folder (the one holding its package.json), whether it runs from dist/ after a
 * build, from an installed package or from source: templates/, the docs bundle and the version
 * are found from here rather than by counting `../` from each module's place in dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackage(from: string): { root: string; manifest: { name?: string; version?: string } } {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'kiln') return { root: dir, manifest };
    }
    if (dirname(dir) === dir) throw new Error(`kiln's package.json was not found above ${from}`);
  }
}

const found = findPackage(dirname(fileURLToPath(import.meta.url)));
export const packageRoot = found.root;
/** kiln's package.json, as read once to find the folder. */
export const packageManifest: { readonly name?: string; readonly version?: string } = found.manifest;

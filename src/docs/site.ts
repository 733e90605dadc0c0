/**
 * Writes the static documentation site: index.html plus its assets, or one
 * self-contained static_index.html. The browser bundle is built by
 * `npm run build:docs-site` into dist/docs-site/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { prepareSiteData } from './site-data.js';
import { scrubData } from '../secrets.js';
import { dataScript, dataScriptChunks, renderShell } from './html.js';
import { writeChunksAtomic } from '../artifacts/write.js';

export interface DocsSiteInput {
  // dbt's artifacts as read from JSON (manifest.json, catalog.json, run_results.json, sources.json,
  // column_lineage.json); site-data.ts is the one place that reads their shape.
  manifest: unknown;
  catalog?: unknown;
  runResults?: unknown;
  sources?: unknown;
  /** Or the promise of it: the rest of the site's data is built meanwhile. */
  columnLineage?: unknown;
}

export const SITE_FILES = {
  index: 'index.html',
  static: 'static_index.html',
  app: 'kiln-docs.js',
  css: 'kiln-docs.css',
  data: 'kiln-data.js',
} as const;

/** Directory holding the built browser bundle (kiln-docs.js, kiln-docs.css). */
export function bundleDir(): string {
  const dir = path.join(packageRoot, 'dist', 'docs-site');
  if (existsSync(path.join(dir, SITE_FILES.app))) return dir;
  throw new Error(`The docs site bundle is missing (looked in ${dir}); run \`npm run build\` first.`);
}

async function readBundle(): Promise<{ app: string; css: string }> {
  const dir = bundleDir();
  const [app, css] = await Promise.all([
    readFile(path.join(dir, SITE_FILES.app), 'utf8'),
    readFile(path.join(dir, SITE_FILES.css), 'utf8').catch(() => ''),
  ]);
  return { app, css };
}

export async function writeDocsSite(
  targetDir: string,
  input: DocsSiteInput,
  opts: { static?: boolean } = {},
): Promise<string[]> {
  const finish = prepareSiteData(input);
  const { app, css } = await readBundle();
  // The site shows compiled SQL, run messages and relation names: secret values become `*****`.
  const data = scrubData(finish(await input.columnLineage));
  const title = `${data.project.name} · documentation`;
  await mkdir(targetDir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, text: string) => {
    const p = path.join(targetDir, name);
    await writeFile(p, text, 'utf8');
    written.push(p);
  };
  if (opts.static) {
    await put(
      SITE_FILES.static,
      renderShell({ title, css: { inline: css }, data: { inline: dataScript(data) }, app: { inline: app } }),
    );
    return written;
  }
  // The largest file by far: written a node at a time, never whole in memory.
  const dataFile = path.join(targetDir, SITE_FILES.data);
  writeChunksAtomic(dataFile, dataScriptChunks(data));
  written.push(dataFile);
  await put(SITE_FILES.app, app);
  await put(SITE_FILES.css, css);
  await put(
    SITE_FILES.index,
    renderShell({ title, css: { href: SITE_FILES.css }, data: { src: SITE_FILES.data }, app: { src: SITE_FILES.app } }),
  );
  return written;
}

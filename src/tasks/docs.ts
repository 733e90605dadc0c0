/** `kiln docs generate`: manifest.json, catalog.json and the static site into the target path. */
import { join } from 'node:path';
import { buildCatalog } from '../docs/catalog.js';
import { writeDocsSite } from '../docs/site.js';
import { writeArtifact } from '../artifacts/write.js';
import { readJsonIfThere } from '../artifacts/read.js';
import { select } from './load.js';
import { parse } from './parse.js';
import { compileSelected } from './compile.js';
import { startLineage } from './lineage.js';
import type { LineageWorker } from '../lineage/background.js';
import type { DocsOptions } from './options.js';

export async function generateDocs(
  opts: DocsOptions = {},
): Promise<{ files: string[]; catalog: Record<string, unknown> }> {
  // Lineage parses every node's SQL in a worker thread, started now so its parser loads while the project compiles.
  const lineage = opts.noCompile ? undefined : new (await import('../lineage/background.js')).LineageWorker();
  try {
    return await generate(opts, lineage);
  } finally {
    await lineage?.stop();
  }
}

async function generate(
  opts: DocsOptions,
  lineage: LineageWorker | undefined,
): Promise<{ files: string[]; catalog: Record<string, unknown> }> {
  const compiled = opts.noCompile ? undefined : await compileSelected(opts);
  const project = compiled?.project ?? (await parse(opts));
  const { parsed, session } = project;
  if (compiled && lineage) await startLineage(lineage, project, compiled.compiler, session.invocationId);
  const ids = select(project, opts);
  let catalog: Record<string, unknown> = {
    metadata: { generated_at: new Date().toISOString(), invocation_id: session.invocationId },
    nodes: {},
    sources: {},
    errors: null,
  };
  if (!opts.emptyCatalog) {
    await session.adapter.open();
    try {
      catalog = await buildCatalog(parsed, session.adapter, ids, session.invocationId);
    } finally {
      await session.adapter.close();
    }
  }
  const targetPath = parsed.project.targetPath;
  writeArtifact(targetPath, 'catalog.json', catalog);
  // The site shows column lineage: computed (its columns resolve `select *`) with the nodes just
  // compiled, or with --no-compile the one the last `kiln lineage` wrote.
  lineage?.catalog(catalog);
  const previous = (name: string) => readJsonIfThere(join(targetPath, name));
  const files = await writeDocsSite(
    targetPath,
    {
      manifest: project.manifest,
      catalog,
      runResults: previous('run_results.json'),
      sources: previous('sources.json'),
      columnLineage: lineage ? lineage.result() : previous('column_lineage.json'),
    },
    { static: opts.static },
  );
  return { files, catalog };
}

/** `kiln docs generate`: manifest.json, catalog.json and the static site into the target path. */
import { join, resolve } from 'node:path';
import { buildCatalog, type CatalogProject } from '../docs/catalog.js';
import { writeDocsSite } from '../docs/site.js';
import { writeArtifact } from '../artifacts/write.js';
import { readJsonIfThere } from '../artifacts/read.js';
import { select } from './load.js';
import { parse } from './parse.js';
import { compileSelected } from './compile.js';
import { startLineage } from './lineage.js';
import type { LineageWorker } from '../lineage/background.js';
import type { DocsOptions, Project } from './options.js';
import type { KilnSession } from '../session.js';
import { replayedDocs, type DocsInput } from './docs-replay.js';

export async function generateDocs(
  opts: DocsOptions = {},
): Promise<{ files: string[]; catalog: Record<string, unknown> }> {
  // Lineage parses every node's SQL in a worker thread, started now so its parser loads while the project compiles.
  const lineage = opts.noCompile ? undefined : await startLineageWorker(opts);
  try {
    return await generate(opts, lineage);
  } finally {
    await lineage?.stop();
  }
}

/**
 * The worker warms its parser up while it waits, unless the last column_lineage.json will answer for most nodes.
 * dbt_project.yml is not read yet, so the target path is its default or --target-path: a hint, which decides only
 * whether to warm up.
 */
async function startLineageWorker(opts: DocsOptions): Promise<LineageWorker> {
  const [{ LineageWorker }, { hasPreviousLineage }] = await Promise.all([
    import('../lineage/background.js'),
    import('../lineage/file.js'),
  ]);
  return new LineageWorker({
    warmUp: !hasPreviousLineage(resolve(opts.projectDir ?? '.', opts.targetPath ?? 'target')),
  });
}

async function generate(
  opts: DocsOptions,
  lineage: LineageWorker | undefined,
): Promise<{ files: string[]; catalog: Record<string, unknown> }> {
  const replayed =
    lineage &&
    (await replayedDocs(opts, lineage, (relations, session, ids) =>
      settledLater(readCatalog(relations, session, ids, opts)),
    ));
  if (replayed) return writeDocs(opts, replayed, lineage);
  // The catalog is read from the warehouse as soon as the nodes are rendered: the driver opens the
  // database and runs the queries on its own threads while this one writes manifest.json.
  let reading: Promise<Record<string, unknown>> | undefined;
  let project: Project;
  try {
    const compiled = opts.noCompile
      ? undefined
      : await compileSelected(opts, async (rendered, compiler) => {
          if (lineage) await startLineage(lineage, rendered, compiler, rendered.session.invocationId);
          reading = settledLater(readProjectCatalog(rendered, opts));
        });
    project = compiled?.project ?? (await parse(opts));
  } catch (e) {
    // The connection the catalog opened is closed before the error is reported.
    await reading?.catch(() => undefined);
    throw e;
  }
  reading ??= settledLater(readProjectCatalog(project, opts));
  // Built while the warehouse answers (the site needs it, and not the catalog, to start).
  await new Promise(setImmediate);
  return writeDocs(
    opts,
    { targetPath: project.parsed.project.targetPath, manifest: project.manifest, reading },
    lineage,
  );
}

/**
 * catalog.json, column lineage and the site, once the manifest is known and the catalog being read. The last run's
 * results are read once the database is closed: read meanwhile, they were ~25 MB more at the peak.
 */
async function writeDocs(
  opts: DocsOptions,
  { targetPath, manifest, reading }: DocsInput,
  lineage: LineageWorker | undefined,
): Promise<{ files: string[]; catalog: Record<string, unknown> }> {
  const previous = (name: string) => readJsonIfThere(join(targetPath, name));
  const catalog = await reading;
  // The site shows column lineage: computed (its columns resolve `select *`) with the nodes just
  // compiled, or with --no-compile the one the last `kiln lineage` wrote.
  lineage?.catalog(catalog);
  writeArtifact(targetPath, 'catalog.json', catalog);
  const files = await writeDocsSite(
    targetPath,
    {
      manifest,
      catalog,
      runResults: previous('run_results.json'),
      sources: previous('sources.json'),
      columnLineage: lineage ? lineage.result() : previous('column_lineage.json'),
    },
    { static: opts.static },
  );
  return { files, catalog };
}

function readProjectCatalog(project: Project, opts: DocsOptions): Promise<Record<string, unknown>> {
  return readCatalog(project.parsed, project.session, select(project, opts), opts);
}

/** catalog.json's object: each selected relation's columns from the warehouse (connected only meanwhile), or none with --empty-catalog. */
async function readCatalog(
  relations: CatalogProject,
  session: KilnSession,
  ids: string[],
  opts: DocsOptions,
): Promise<Record<string, unknown>> {
  if (opts.emptyCatalog)
    return {
      metadata: { generated_at: new Date().toISOString(), invocation_id: session.invocationId },
      nodes: {},
      sources: {},
      errors: null,
    };
  await session.adapter.open();
  try {
    return await buildCatalog(relations, session.adapter, ids, session.invocationId);
  } finally {
    await session.adapter.close();
  }
}

/** A promise awaited later: its rejection is not reported as unhandled meanwhile. */
function settledLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * `kiln compile`: the selected nodes rendered to target/compiled/ (and `--inline`, one ad-hoc
 * query; `--dry-run`, the warehouse's estimate of each model). Opens no connection unless a
 * template asks the warehouse while compiling, or the dry run asks for estimates.
 */
import { KilnError } from '../errors.js';
import { Compiler } from '../compile/compiler.js';
import { estimateModels, type DryRunReport } from '../compile/dry-run.js';
import { renderWithWarehouse, releaseWarehouse } from '../template/warehouse.js';
import { inlineQueryId } from '../parse/index.js';
import { deferTarget, deferredRelations } from '../state/defer.js';
import { writeManifest } from '../artifacts/manifest.js';
import { selectResources } from '../session.js';
import {
  load,
  parseLoaded,
  type ParsedProjectResult,
  partialParseOf,
  savePartialParse,
  select,
  takeDiscoveredFiles,
} from './load.js';
import { CompiledSqlCache } from '../compile/compile-cache.js';
import { CompiledFiles } from '../compile/compiled-files.js';
import { compiledFileUnder, compiledFolderOf } from '../parse/node-dict.js';
import type { DiscoveredFiles } from '../parse/discovery.js';
import { existsSync } from 'node:fs';
import type { CompileTimings, KilnOptions, Project } from './options.js';
import {
  compilesEverything,
  compilesWholeProject,
  listReplayFiles,
  recordReplay,
  replayCompile,
  type CompileSummary,
} from './compile-replay.js';

/**
 * `kiln compile` as the CLI runs it: the selected nodes compiled to target/compiled/ and manifest.json, replayed from
 * the last compile when only models' text changed (src/tasks/compile-replay.ts); how many nodes were compiled.
 */
export async function compileProject(opts: KilnOptions = {}): Promise<CompileSummary> {
  const replayed = await replayCompile(opts);
  if (replayed) return replayed;
  const { compiled, project } = await compileSelected(opts);
  return { compiled: compiled.size, targetPath: project.parsed.project.targetPath };
}

/** Compiles selected nodes to target/compiled/ and returns their SQL; opens no connection. */
export async function compile(
  opts: KilnOptions = {},
): Promise<{ compiled: Map<string, string>; project: Project; timings: CompileTimings }> {
  const { compiled, project, timings } = await compileSelected(opts);
  return { compiled, project, timings };
}

/**
 * compile, and the compiler that rendered the nodes (docs generate computes column lineage with it).
 * `rendered` is called once every node is rendered, before manifest.json is written.
 */
export async function compileSelected(
  opts: KilnOptions,
  rendered?: (project: Project, compiler: Compiler) => void | Promise<void>,
): Promise<{ compiled: Map<string, string>; project: Project; compiler: Compiler; timings: CompileTimings }> {
  const t0 = performance.now();
  const loaded = await load(opts);
  const files = new CompiledFiles();
  const compiledFolder = compiledFolderOf(loaded.project.targetPath);
  // A first compile of a whole project creates its compiled files while the rest is parsed.
  const prepare =
    compilesEverything(opts) && !existsSync(compiledFolder)
      ? (found: DiscoveredFiles) => files.prepare(compiledFilesOf(found, compiledFolder))
      : undefined;
  try {
    return await compileParsed(
      parseLoaded(loaded, opts, 'compile', undefined, 'keep', prepare),
      files,
      opts,
      rendered,
      t0,
    );
  } catch (e) {
    // What was queued is written and what was prepared but not written is removed, so no empty file is left behind.
    if (prepare) await files.flush().catch(() => undefined);
    throw e;
  }
}

/** The files a compile of every node writes for the root project's SQL files: models, analyses, singular tests. */
function compiledFilesOf(found: DiscoveredFiles, compiledFolder: string): string[] {
  const root = found.owners.find((o) => o.owner.isRoot);
  if (!root) return [];
  return [...root.models, ...root.analyses, ...root.tests].map((f) =>
    compiledFileUnder(compiledFolder, root.owner.name, f.projectPath),
  );
}

async function compileParsed(
  project: ParsedProjectResult,
  files: CompiledFiles,
  opts: KilnOptions,
  rendered: ((project: Project, compiler: Compiler) => void | Promise<void>) | undefined,
  t0: number,
): Promise<{ compiled: Map<string, string>; project: Project; compiler: Compiler; timings: CompileTimings }> {
  const t1 = performance.now();
  const { session } = project;
  const compiler = new Compiler(project.parsed, session, files);
  const partial = partialParseOf(project);
  if (partial) compiler.cache = new CompiledSqlCache(partial, session.engine);
  const discovered = takeDiscoveredFiles(project);
  const replayFiles =
    partial && discovered && compilesWholeProject(opts, project.parsed.project.projectDir)
      ? listReplayFiles(partial, discovered)
      : undefined;
  const compiled = new Map<string, string>();
  // Seeds have no SQL to render.
  const ids = select(project, opts).filter(
    (id) => project.parsed.templates.has(id) || project.parsed.manifest.nodes.get(id)?.resourceType === 'test',
  );
  selectResources(session, ids);
  const deferTo = deferTarget(opts);
  // No connection here, so every node not compiled now defers, as with --favor-state.
  if (deferTo)
    compiler.deferred = await deferredRelations(project.parsed, session, deferTo, {
      building: new Set(ids),
      favorState: true,
    });
  compiler.expectWrites(ids.length);
  for (const id of ids) {
    // Awaited only when the render waits for the warehouse: a turn of the event loop per node adds up at 10,000.
    const rendered = renderWithWarehouse(session.adapter, () => compiler.compile(id));
    compiled.set(id, (rendered instanceof Promise ? await rendered : rendered).compiledCode);
    compiler.writeCompiled(id);
  }
  await releaseWarehouse(session.adapter);
  const t2 = performance.now();
  project.compiled = { compiler, ids: new Set(ids) };
  await rendered?.(project, compiler);
  const cache = compiler.cache;
  writeManifest(
    project.parsed,
    session,
    project.dag,
    compiler,
    project.compiled.ids,
    partial && cache
      ? { cache: partial, keyOf: (id, info) => cache.manifestKey(id, info), debug: opts.onDebug }
      : undefined,
  );
  await compiler.flushWrites();
  if (partial) {
    recordReplay(partial, project.parsed, replayFiles, ids, opts);
    savePartialParse(partial, project.parsed.manifest.nodes.keys(), opts);
  }
  return { compiled, project, compiler, timings: { parse: t1 - t0, render: t2 - t1, write: performance.now() - t2 } };
}

/**
 * `kiln compile --inline`: one ad-hoc query rendered with the project's refs, sources,
 * macros and vars, as dbt does. Nothing is written to the target folder.
 */
export async function compileInline(sql: string, opts: KilnOptions = {}): Promise<{ sql: string; project: Project }> {
  if (!sql.trim())
    throw new KilnError('config', '--inline needs a query', {
      hint: `e.g. kiln compile --inline "select * from {{ ref('orders') }}"`,
    });
  const project = parseLoaded(await load(opts), opts, 'compile', sql);
  const id = inlineQueryId(project.parsed.manifest.projectName);
  const { session } = project;
  const compiler = new Compiler(project.parsed, session);
  const deferTo = deferTarget(opts);
  if (deferTo)
    compiler.deferred = await deferredRelations(project.parsed, session, deferTo, {
      building: new Set([id]),
      favorState: true,
    });
  try {
    return { sql: (await renderWithWarehouse(session.adapter, () => compiler.compile(id))).compiledCode, project };
  } finally {
    await releaseWarehouse(session.adapter);
  }
}

/**
 * `kiln compile --dry-run`: compiles the selected models and asks the warehouse what each
 * would scan (BigQuery's dry run), per model and in total. Runs nothing.
 */
export async function dryRun(opts: KilnOptions = {}): Promise<DryRunReport & { project: Project }> {
  const project = parseLoaded(await load(opts), opts, 'compile');
  const report = await estimateModels(
    project.parsed,
    new Compiler(project.parsed, project.session),
    project.session.adapter,
    select(project, opts),
  );
  return { ...report, project };
}

/**
 * `kiln lineage` and `kiln impact`: column lineage of the whole project (target/column_lineage.json),
 * and the change it makes against production's artifacts (target/impact.json, impact.md).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../errors.js';
import { Compiler } from '../compile/compiler.js';
import { readPreviousRun } from '../state/artifacts.js';
import { writeArtifact, writeFileAtomic } from '../artifacts/write.js';
import type { Impact } from '../lineage/impact.js';
import type { ColumnLineage } from '../lineage/types.js';
import type { LineageWorker } from '../lineage/background.js';
import { load, parseLoaded } from './load.js';
import type { KilnOptions, Project } from './options.js';

// Column lineage parses every node's SQL with a WebAssembly parser: only lineage, impact and
// docs generate need it, so the modules load on first use and parse and compile never load them.
const lineageArtifact = () => import('../lineage/artifact.js');

/**
 * Lineage with `compiler` (one that compiled some nodes already keeps them), written beside
 * manifest.json; with its JSON. `catalog`: catalog.json's object when the caller just built it.
 */
export async function writeColumnLineage(
  project: Project,
  compiler: Compiler,
  invocationId?: string,
  catalog?: Record<string, unknown>,
): Promise<{ lineage: ColumnLineage; json: Record<string, unknown> }> {
  const { buildColumnLineage, columnLineageFile, columnLineageJson } = await lineageArtifact();
  const lineage = await buildColumnLineage(
    project.parsed,
    project.session,
    project.dag,
    lineageCompiler(project, compiler),
    catalog,
  );
  const json = columnLineageJson(lineage, invocationId);
  writeArtifact(project.parsed.project.targetPath, columnLineageFile, json);
  return { lineage, json };
}

/** Deferred relations name another environment's tables, which lineage cannot map to nodes. */
function lineageCompiler(project: Project, compiler: Compiler): Compiler {
  return compiler.deferred ? new Compiler(project.parsed, project.session) : compiler;
}

/**
 * Sends `lineage` (a worker) the project compiled by `compiler`, as writeColumnLineage would
 * compute it; the worker writes column_lineage.json once it is sent the catalog.
 */
export async function startLineage(
  lineage: LineageWorker,
  project: Project,
  compiler: Compiler,
  invocationId?: string,
): Promise<void> {
  const { compiledSqlOf } = await lineageArtifact();
  lineage.start({
    parsed: project.parsed,
    dag: project.dag,
    adapterType: project.session.adapter.type,
    compiledSql: compiledSqlOf(lineageCompiler(project, compiler)),
    invocationId,
  });
}

/**
 * Column lineage of every model, snapshot, seed and source, and the columns tests read; writes
 * target/column_lineage.json.
 */
export async function columnLineage(opts: KilnOptions = {}): Promise<{ lineage: ColumnLineage; project: Project }> {
  const loaded = await load(opts);
  const project = parseLoaded(loaded, opts, 'compile');
  return {
    lineage: (await writeColumnLineage(project, new Compiler(project.parsed, project.session), loaded.invocationId))
      .lineage,
    project,
  };
}

/**
 * `kiln impact`: the current project against the artifacts in `opts.state` (production's
 * manifest.json and column_lineage.json); writes target/impact.json and target/impact.md.
 */
export async function impact(opts: KilnOptions = {}): Promise<{ impact: Impact; markdown: string; project: Project }> {
  if (!opts.state)
    throw new KilnError('config', 'kiln impact needs --state <folder of production artifacts>', {
      hint: 'e.g. kiln impact --state prod-artifacts/ (a target/ folder holding manifest.json and column_lineage.json)',
    });
  const state = readPreviousRun(opts.state);
  const [{ columnLineageFile, readColumnLineage }, { computeImpact }, { impactFile, impactJson, impactMarkdown }] =
    await Promise.all([lineageArtifact(), import('../lineage/impact.js'), import('../lineage/impact-report.js')]);
  const stateLineage = join(state.dir, columnLineageFile);
  if (!existsSync(stateLineage)) {
    throw new KilnError('config', `--state ${opts.state} holds no ${columnLineageFile}`, {
      hint:
        'run `kiln lineage` (or `kiln docs generate`) where the state ' +
        'comes from: it writes the file beside manifest.json; keep both',
    });
  }
  const { lineage, project } = await columnLineage(opts);
  const result = computeImpact({
    manifest: project.parsed.manifest,
    lineage,
    state,
    stateLineage: readColumnLineage(stateLineage),
  });
  const markdown = impactMarkdown(result);
  writeArtifact(project.parsed.project.targetPath, impactFile, impactJson(result, opts.state));
  writeFileAtomic(join(project.parsed.project.targetPath, 'impact.md'), markdown);
  return { impact: result, markdown, project };
}

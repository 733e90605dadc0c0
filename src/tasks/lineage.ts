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
import { buildColumnLineage, columnLineageFile, columnLineageJson, readColumnLineage } from '../lineage/artifact.js';
import { computeImpact, type Impact } from '../lineage/impact.js';
import { impactFile, impactJson, impactMarkdown } from '../lineage/impact-report.js';
import type { ColumnLineage } from '../lineage/types.js';
import { load, parseLoaded } from './load.js';
import type { KilnOptions, Project } from './options.js';

/** Lineage with `compiler` (one that compiled some nodes already keeps them), written beside manifest.json. */
export async function writeColumnLineage(project: Project, compiler: Compiler, invocationId?: string): Promise<ColumnLineage> {
  const lineage = await buildColumnLineage(project.parsed, project.session, project.dag, compiler);
  writeArtifact(project.parsed.project.targetPath, columnLineageFile, columnLineageJson(lineage, invocationId));
  return lineage;
}

/** Column lineage of every model, snapshot, seed and source, and the columns tests read; writes target/column_lineage.json. */
export async function columnLineage(opts: KilnOptions = {}): Promise<{ lineage: ColumnLineage; project: Project }> {
  const loaded = await load(opts);
  const project = parseLoaded(loaded, opts, 'compile');
  return { lineage: await writeColumnLineage(project, new Compiler(project.parsed, project.session), loaded.invocationId), project };
}

/**
 * `kiln impact`: the current project against the artifacts in `opts.state` (production's
 * manifest.json and column_lineage.json); writes target/impact.json and target/impact.md.
 */
export async function impact(opts: KilnOptions = {}): Promise<{ impact: Impact; markdown: string; project: Project }> {
  if (!opts.state) throw new KilnError('config', 'kiln impact needs --state <folder of production artifacts>', { hint: 'e.g. kiln impact --state prod-artifacts/ (a target/ folder holding manifest.json and column_lineage.json)' });
  const state = readPreviousRun(opts.state);
  const stateLineage = join(state.dir, columnLineageFile);
  if (!existsSync(stateLineage)) {
    throw new KilnError('config', `--state ${opts.state} holds no ${columnLineageFile}`, { hint: 'run `kiln parse` or `kiln compile` where the state comes from (kiln writes it beside manifest.json) and keep both' });
  }
  const { lineage, project } = await columnLineage(opts);
  const result = computeImpact({ manifest: project.parsed.manifest, lineage, state, stateLineage: readColumnLineage(stateLineage) });
  const markdown = impactMarkdown(result);
  writeArtifact(project.parsed.project.targetPath, impactFile, impactJson(result, opts.state));
  writeFileAtomic(join(project.parsed.project.targetPath, 'impact.md'), markdown);
  return { impact: result, markdown, project };
}

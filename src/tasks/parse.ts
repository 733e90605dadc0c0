/** `kiln parse` and `kiln ls`: the project read, manifest.json written; no connection opened. */
import { writeManifest } from '../artifacts/manifest.js';
import { writeArtifactText } from '../artifacts/write.js';
import { stringifyScrubbed } from '../secrets.js';
import { ParsePerf, perfInfoFile } from '../parse/perf-info.js';
import { load, parseLoaded, select } from './load.js';
import type { KilnOptions, Project } from './options.js';

/**
 * Reads and parses the project, writes manifest.json and perf_info.json (where the parse's time went, as `dbt parse`
 * writes it since dbt 1.5); opens no connection and renders nothing (column lineage is `kiln lineage`'s).
 */
export async function parse(opts: KilnOptions = {}): Promise<Project> {
  const perf = new ParsePerf();
  const { project } = await parseAndWriteManifest(opts, perf);
  // Indented, as dbt writes it: a file people open to read.
  const text = stringifyScrubbed(perf.info(), undefined, 4);
  const file = writeArtifactText(project.parsed.project.targetPath, perfInfoFile, text);
  opts.onLog?.('info', `Performance info: ${file}`);
  return project;
}

/**
 * Reads and parses the project and writes nothing: for a long-running process that polls it (kiln orchestrate), so
 * target/ stays as the last command left it.
 */
export async function readProject(opts: KilnOptions = {}): Promise<Project> {
  return parseLoaded(await load(opts), opts, 'parse', undefined, 'read');
}

/** `kiln ls`: the selected nodes' unique ids, in DAG order. */
export async function ls(opts: KilnOptions = {}): Promise<{ ids: string[]; project: Project }> {
  // Listing needs no compiled SQL, so no column lineage either.
  const { project } = await parseAndWriteManifest(opts);
  return { ids: select(project, opts), project };
}

async function parseAndWriteManifest(
  opts: KilnOptions,
  perf?: ParsePerf,
): Promise<{ project: Project; invocationId: string }> {
  const loaded = await load(opts);
  const project = parseLoaded(loaded, opts, 'parse', undefined, 'save', undefined, perf);
  writeManifest(project.parsed, project.session, project.dag);
  return { project, invocationId: loaded.invocationId };
}

/** `kiln parse` and `kiln ls`: the project read, manifest.json written; no connection opened. */
import { writeManifest } from '../artifacts/manifest.js';
import { load, parseLoaded, select } from './load.js';
import type { KilnOptions, Project } from './options.js';

/**
 * Reads and parses the project, writes manifest.json; opens no connection and renders nothing (column lineage is `kiln
 * lineage`'s).
 */
export async function parse(opts: KilnOptions = {}): Promise<Project> {
  return (await parseAndWriteManifest(opts)).project;
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

async function parseAndWriteManifest(opts: KilnOptions): Promise<{ project: Project; invocationId: string }> {
  const loaded = await load(opts);
  const project = parseLoaded(loaded, opts, 'parse');
  writeManifest(project.parsed, project.session, project.dag);
  return { project, invocationId: loaded.invocationId };
}

/**
 * `kiln docs generate` after a compile replay (src/tasks/compile-replay.ts: only models' text changed since the last
 * compile of the whole project). The replay parses nothing, so there is no parsed project to build the rest from:
 * catalog.json's relations, column lineage's job and the site are read from manifest.json as the replay wrote it,
 * which holds what the full compile's parsed project gives them (the same file, byte for byte; each node's compiled
 * SQL, the DAG's order and parents). Anything else the full path reads that the file does not hold (a node lineage
 * reads without its compiled SQL) gives the full path; so does a default selector in selectors.yml, which would choose
 * the catalog's relations, since the compile does not replay then. test/docs-generate.test.ts compares the outputs
 * of both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogProjectOf, type CatalogProject } from '../docs/catalog.js';
import { lineageInputOf } from '../lineage/manifest-input.js';
import type { LineageWorker } from '../lineage/background.js';
import type { KilnSession } from '../session.js';
import { compilesEverything, replayCompile } from './compile-replay.js';
import type { Loaded } from './load.js';
import type { DocsOptions } from './options.js';

/** What the site is written from: manifest.json's object and the catalog being read. */
export interface DocsInput {
  targetPath: string;
  manifest: Record<string, unknown>;
  reading: Promise<Record<string, unknown>>;
}

/** Starts reading the catalog of `ids` (every relation, in the DAG's order, as the full path selects them). */
export type CatalogReader = (
  relations: CatalogProject,
  session: KilnSession,
  ids: string[],
) => Promise<Record<string, unknown>>;

/**
 * The compile replayed, lineage sent its job and the catalog started, as the full path does once the nodes are
 * rendered; undefined (nothing sent) when the full path must run.
 */
export async function replayedDocs(
  opts: DocsOptions,
  lineage: LineageWorker,
  readCatalog: CatalogReader,
): Promise<DocsInput | undefined> {
  const debug = opts.onDebug ?? (() => undefined);
  if (!compilesEverything(opts)) return undefined;
  let replayed: { session: KilnSession; loaded: Loaded } | undefined;
  const summary = await replayCompile(opts, (session, loaded) => (replayed = { session, loaded }));
  if (!summary || !replayed) return undefined;
  const { session, loaded } = replayed;
  const { projectDir, targetPath } = loaded.project;
  const why = (reason: string) => {
    debug(`docs generate: ${reason}: compiling in full`);
    return undefined;
  };
  const manifest = JSON.parse(readFileSync(join(targetPath, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const input = lineageInputOf(manifest, { projectDir, targetPath });
  if (!input.complete) return why('a node lineage reads has no compiled SQL in manifest.json');
  lineage.start({ ...input, adapterType: session.adapter.type, invocationId: session.invocationId });
  const reading = readCatalog(catalogProjectOf(manifest), session, input.dag.order);
  debug('docs generate: catalog, lineage and site from manifest.json as the compile replay wrote it');
  return { targetPath, manifest, reading };
}

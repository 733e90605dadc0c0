/**
 * Another run's artifacts (`--state DIR`): its manifest.json, and run_results.json when
 * there is one. Only read; kiln never writes into the state folder.
 */
import { recordedStatus } from '../artifacts/run-results.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KilnError } from '../errors.js';

export type JsonNode = Record<string, any>;

export interface PreviousRun {
  dir: string;
  nodes: Record<string, JsonNode>;
  sources: Record<string, JsonNode>;
  macros: Record<string, JsonNode>;
  /** unique_id → status, when run_results.json is there. */
  results?: Map<string, string>;
}

export function readPreviousRun(dir: string, flag = '--state'): PreviousRun {
  const full = resolve(dir);
  if (!existsSync(full) || !statSync(full).isDirectory()) {
    throw new KilnError('config', `${flag} ${dir}: no such folder`, {
      hint: 'point it at the target folder of another run (the folder holding its manifest.json)',
    });
  }
  const manifestFile = join(full, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new KilnError('config', `${flag} ${dir} holds no manifest.json`, {
      hint: 'copy the target/ folder of the run to compare with (e.g. production), or run `kiln parse` there',
    });
  }
  const manifest = readJson(manifestFile, flag);
  if (!manifest || typeof manifest.nodes !== 'object')
    throw new KilnError('config', `${manifestFile} is not a manifest (no nodes)`, { file: manifestFile });
  const out: PreviousRun = {
    dir: full,
    nodes: manifest.nodes ?? {},
    sources: manifest.sources ?? {},
    macros: manifest.macros ?? {},
  };
  const resultsFile = join(full, 'run_results.json');
  if (existsSync(resultsFile)) {
    const rr = readJson(resultsFile, flag);
    out.results = new Map(
      ((rr?.results ?? []) as JsonNode[]).map((r) => [
        String(r.unique_id),
        recordedStatus(r as Parameters<typeof recordedStatus>[0]),
      ]),
    );
  }
  return out;
}

function readJson(file: string, flag: string): JsonNode {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JsonNode;
  } catch (e) {
    throw new KilnError('config', `cannot read ${file} (${flag}): ${(e as Error).message}`, {
      file,
      hint: 'the file must be a JSON artifact written by kiln or dbt',
    });
  }
}

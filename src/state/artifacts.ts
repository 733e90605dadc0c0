/**
 * Another run's artifacts (`--state DIR`): its manifest.json, and run_results.json when
 * there is one. Only read; kiln never writes into the state folder.
 */
import { recordedStatus } from '../artifacts/run-results.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KilnError } from '../errors.js';

/**
 * An entry of another run's manifest.json (a node, source or macro) with the fields kiln reads
 * typed as dbt's manifest schema has them (src/artifacts/schemas.ts). The file is not validated
 * when read: the state may come from any kiln or dbt version, and a field of another shape
 * compares as different rather than stopping the run, so every field is optional.
 */
export interface JsonNode {
  [field: string]: unknown;
  name?: string;
  resource_type?: string;
  package_name?: string;
  database?: string | null;
  schema?: string | null;
  alias?: string;
  relation_name?: string | null;
  description?: string;
  raw_code?: string;
  macro_sql?: string;
  checksum?: { checksum?: string };
  config?: RecordedConfig;
  depends_on?: { macros?: string[] };
  test_metadata?: { name?: string };
  column_name?: string | null;
}

/** A node's config as manifest.json records it: the keys state comparison and --defer read. */
export interface RecordedConfig {
  [key: string]: unknown;
  materialized?: string;
  contract?: { enforced?: boolean };
  persist_docs?: { relation?: boolean; columns?: boolean };
}

/** A column of a node's `columns` (left untyped on JsonNode, where others read it as plain JSON). */
export interface RecordedColumn {
  [field: string]: unknown;
  name?: string;
  description?: string;
  data_type?: string | null;
}

/** The parts of a manifest.json kiln reads. */
interface RecordedManifest {
  nodes?: Record<string, JsonNode>;
  sources?: Record<string, JsonNode>;
  macros?: Record<string, JsonNode>;
}

/** The part of a run_results.json kiln reads: each result's status. */
interface RecordedResults {
  results?: Array<Parameters<typeof recordedStatus>[0] & { unique_id: string }>;
}

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
  const manifest = readJson<RecordedManifest | null>(manifestFile, flag);
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
    const rr = readJson<RecordedResults | null>(resultsFile, flag);
    out.results = new Map((rr?.results ?? []).map((r) => [String(r.unique_id), recordedStatus(r)]));
  }
  return out;
}

/** The parsed file, typed as what the caller reads of it (unchecked: see JsonNode). */
function readJson<T>(file: string, flag: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new KilnError('config', `cannot read ${file} (${flag}): ${(e as Error).message}`, {
      file,
      hint: 'the file must be a JSON artifact written by kiln or dbt',
    });
  }
}

/**
 * manifest.json in dbt's shape (manifest v12), so tools that read dbt artifacts read kiln's.
 * Each entry comes from src/parse/node-dict.ts, which the template `graph` uses too; this
 * module adds what only a finished invocation knows (compiled SQL, the DAG's maps).
 * kiln's own facts go where the schema leaves room: its version under `metadata.env`.
 */
import { createHash } from 'node:crypto';
import type { ParsedProject } from '../parse/index.js';
import type { KilnSession } from '../session.js';
import type { Dag } from '../graph/dag.js';
import { isUnitTest, type GraphNode } from '../parse/nodes.js';
import {
  compiledPath,
  docDict,
  exposureDict,
  groupDict,
  macroDict,
  nodeDict,
  sourceDict,
  unitTestDict,
  type CompiledInfo,
  type DictOptions,
} from '../parse/node-dict.js';
import { cteName } from '../compile/ephemeral.js';
import type { Compiler } from '../compile/compiler.js';
import { kilnVersion } from '../version.js';
import { materialize, StreamedObject, writeStreamedArtifact } from './write.js';
import { ManifestEntries } from './manifest-entries.js';
import type { PartialParse } from '../parse/partial-cache.js';
import { secretValues } from '../secrets.js';
import { join } from 'node:path';

export const manifestSchemaVersion = 'https://schemas.getdbt.com/dbt/manifest/v12.json';

/** manifest.json as one object (what the API returns and selection compares with). */
export function manifestJson(
  parsed: ParsedProject,
  session: KilnSession,
  dag: Dag,
  compiler?: Compiler,
  compiledIds: Set<string> = new Set(),
): Record<string, unknown> {
  return materialize(manifestObject(parsed, session, dag, compiler, compiledIds, undefined)) as Record<string, unknown>;
}

/** Node entries reused from the last manifest.json: the partial parse cache and the key of each compiled entry. */
export interface ManifestReuse {
  cache: PartialParse;
  keyOf: (id: string, compiled: CompiledInfo) => string | undefined;
  /** Hears how many entries were copied and built, for --debug. */
  debug?: (message: string) => void;
}

/**
 * Writes target/manifest.json node by node: at 10,000 models the whole object and its text would be hundreds of
 * megabytes.
 */
export function writeManifest(
  parsed: ParsedProject,
  session: KilnSession,
  dag: Dag,
  compiler?: Compiler,
  compiledIds: Set<string> = new Set(),
  reuse?: ManifestReuse,
): string {
  // Text scrubbed for another invocation's secrets must not be copied, nor this one's recorded.
  const entries =
    reuse && !secretValues().length
      ? new ManifestEntries(reuse.cache, join(parsed.project.targetPath, 'manifest.json'), reuse.keyOf)
      : undefined;
  const file = writeStreamedArtifact(
    parsed.project.targetPath,
    'manifest.json',
    manifestObject(parsed, session, dag, compiler, compiledIds, entries),
  );
  if (entries) {
    entries.finish();
    reuse?.debug?.(`manifest.json: copied ${entries.stats.copied} node entries, built ${entries.stats.built}`);
  }
  return file;
}

/** How this invocation writes dictionaries into manifest.json. */
export function artifactDictOptions(session: KilnSession): DictOptions {
  const { adapter, info } = session;
  return {
    flavor: 'artifact',
    relationName: (database, schema, identifier) => adapter.relation(database, schema, identifier).render(),
    createdAt: info.runStartedAt.getTime() / 1000,
  };
}

/** manifest.json's metadata for this invocation. */
export function manifestMetadata(projectName: string, session: KilnSession): Record<string, unknown> {
  return {
    dbt_schema_version: manifestSchemaVersion,
    dbt_version: kilnVersion,
    generated_at: new Date().toISOString(),
    invocation_id: session.info.invocationId,
    env: { kiln_version: kilnVersion },
    project_name: projectName,
    project_id: createHash('md5').update(projectName).digest('hex'),
    user_id: null,
    send_anonymous_usage_stats: false,
    adapter_type: session.adapter.type,
  };
}

/** The manifest with its large sections (nodes, parent and child maps) produced entry by entry. */
function manifestObject(
  parsed: ParsedProject,
  session: KilnSession,
  dag: Dag,
  compiler: Compiler | undefined,
  compiledIds: Set<string>,
  entries: ManifestEntries | undefined,
): StreamedObject {
  const { manifest } = parsed;
  const { adapter } = session;
  const base = artifactDictOptions(session);
  const nodes = new StreamedObject(function* () {
    for (const n of manifest.nodes.values()) {
      // Unit tests have their own section, as in dbt.
      if (isUnitTest(n)) continue;
      const compiled = compiler && compiledIds.has(n.uniqueId) ? compiledInfo(n, parsed, compiler) : undefined;
      const build = () => nodeDict(n, withCompiled(base, compiled));
      yield [n.uniqueId, entries ? entries.entry(n.uniqueId, compiled, build) : build()];
    }
  });
  const unitTests = new StreamedObject(function* () {
    for (const n of manifest.nodes.values())
      if (isUnitTest(n))
        yield [n.uniqueId, unitTestDict(n, { ...base, modelSchema: manifest.nodes.get(n.model)?.schema })];
  });
  // Nodes switched off with `enabled: false`: dbt lists each id's versions. They were never
  // named by generate_schema_name, so they keep the target's schema and have no relation.
  const disabled: Record<string, unknown[]> = {};
  for (const n of manifest.disabled?.values() ?? []) {
    disabled[n.uniqueId] = [
      isUnitTest(n)
        ? unitTestDict(n, base)
        : nodeDict(
            { ...n, schema: n.schema || adapter.defaultSchema, database: n.database ?? adapter.defaultDatabase },
            { ...base, relationName: undefined },
          ),
    ];
  }
  const sources = new StreamedObject(function* () {
    for (const s of manifest.sources.values()) yield [s.uniqueId, sourceDict(s, base)];
  });
  const macros = new StreamedObject(function* () {
    for (const m of manifest.macros.values()) yield [m.uniqueId, macroDict(m, base)];
  });
  const docs: Record<string, unknown> = {};
  for (const d of manifest.docs.values()) docs[d.uniqueId] = docDict(d);
  const exposures: Record<string, unknown> = {};
  for (const e of manifest.exposures?.values() ?? []) exposures[e.uniqueId] = exposureDict(e, base);
  const groups: Record<string, unknown> = {};
  const groupMap: Record<string, string[]> = {};
  for (const g of manifest.groups?.values() ?? []) {
    groups[g.uniqueId] = groupDict(g, base);
    groupMap[g.name] = [];
  }
  for (const n of manifest.nodes.values()) {
    const group = n.config.group;
    if (typeof group === 'string' && groupMap[group]) groupMap[group].push(n.uniqueId);
  }
  const parentMap = new StreamedObject(function* () {
    for (const id of dag.order) yield [id, dag.parents(id)];
  });
  const childMap = new StreamedObject(function* () {
    for (const id of dag.order) yield [id, dag.children(id)];
  });
  const metadata = manifestMetadata(manifest.projectName, session);
  return new StreamedObject(() => [
    ['metadata', entries ? entries.metadataJson(metadata) : metadata],
    ['nodes', nodes],
    ['sources', sources],
    ['macros', macros],
    ['docs', docs],
    ['exposures', exposures],
    ['metrics', {}],
    ['groups', groups],
    ['selectors', {}],
    ['disabled', disabled],
    ['parent_map', parentMap],
    ['child_map', childMap],
    ['group_map', groupMap],
    ['saved_queries', {}],
    ['semantic_models', {}],
    ['unit_tests', unitTests],
  ]);
}

/**
 * `base` with a node's compiled SQL. Not `{ ...base, compiled }`: on Node 20's V8 a spread copy can get a hidden class
 * of its own, and nodeDict's reads of the options would miss V8's caches for every node.
 */
export const withCompiled = (base: DictOptions, compiled: CompiledInfo | undefined): DictOptions =>
  Object.assign({}, base, { compiled });

/**
 * The compiled SQL, where it was written, and each inlined ephemeral model as dbt's
 * InjectedCTE (` __dbt__cte__name as (\n<its SQL>\n)`). An ephemeral model that inlines
 * others gives its SQL with those CTEs in it: the Compiler keeps the bare body private.
 */
export function compiledInfo(n: GraphNode, parsed: ParsedProject, compiler: Compiler): CompiledInfo {
  const compiled = compiler.compile(n.uniqueId);
  const ctes = compiled.ephemerals.map((id) => {
    const ephemeral = parsed.manifest.nodes.get(id);
    const sql = compiler.compile(id).compiledCode.trim().replace(/;\s*$/, '');
    return { id, sql: ` ${cteName(ephemeral?.name ?? id.split('.').pop()!)} as (\n${sql}\n)` };
  });
  let path: string | undefined;
  return {
    code: compiled.compiledCode,
    ctes,
    // Worked out only for an entry that is built: a copied one has it already.
    get path() {
      return (path ??= compiledPath(n, parsed.project.projectDir, parsed.project.targetPath));
    },
  };
}

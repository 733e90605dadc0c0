/**
 * What every command starts with: the project and target read, the adapter made (not
 * connected), the session created, the project parsed into a Manifest and a DAG, and the
 * command's selection. Opens no connection.
 */
import { randomUUID } from 'node:crypto';
import { loadProject, parseCliVars, type ProjectConfig } from '../config/project.js';
import { resolveTarget, targetContext, type TargetConfig } from '../config/profiles.js';
import { createAdapter } from '../adapters/factory.js';
import type { Adapter } from '../adapters/types.js';
import { parseProject, type ParsedProject } from '../parse/index.js';
import type { DiscoveredFiles } from '../parse/discovery.js';
import type { ParsePerf } from '../parse/perf-info.js';
import { partialParseReadPath, staticParserEnabled } from '../config/dbt-flags.js';
import { installedPackages } from '../deps/installed.js';
import { createSession, exposeProject, type KilnSession } from '../session.js';
import { buildDag, type Dag } from '../graph/dag.js';
import { selectNodes } from '../graph/selector.js';
import { selectionInputs } from '../graph/selection/inputs.js';
import { readPreviousRun } from '../state/artifacts.js';
import { manifestJson } from '../artifacts/manifest.js';
import type { Compiler } from '../compile/compiler.js';
import type { KilnOptions, Project } from './options.js';
import { listenToEnvReads, recordReads } from '../template/render-reads.js';
import { PartialParse, partialParseEnabled, partialParseFile } from '../parse/partial-cache.js';
import { statText } from '../parse/cache-table.js';
import { packagesInstallPath } from '../deps/installed.js';
import { appendChunks, writeChunksAtomic, writeChunksAtomicIfChanged } from '../artifacts/write.js';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The project and target as read, and the adapter for the target (not connected). */
export interface Loaded {
  project: ProjectConfig;
  target: TargetConfig;
  adapter: Adapter;
  invocationId: string;
  /** env_var() values read by dbt_project.yml and profiles.yml: partial parsing depends on them. */
  envReads: Map<string, string | null>;
}

export async function load(opts: KilnOptions): Promise<Loaded> {
  const env = listenToEnvReads();
  try {
    return { ...(await loadProjectAndTarget(opts)), envReads: env.reads };
  } finally {
    env.stop();
  }
}

async function loadProjectAndTarget(opts: KilnOptions): Promise<Omit<Loaded, 'envReads'>> {
  const log = opts.onLog ?? (() => undefined);
  const cliVars = cliVarsOf(opts);
  // dbt_project.yml may read `target` (`+materialized: "{{ 'table' if target.type == 'duckdb' else 'view' }}"`):
  // read once to find the profile, then again with the target if a value reads it.
  const first = loadProject(opts.projectDir ?? '.', cliVars, opts.targetPath);
  const notices: string[] = [];
  const target = resolveTarget(
    first,
    { profilesDir: opts.profilesDir, profile: opts.profile, target: opts.target, threads: opts.threads },
    (m) => notices.push(m),
  );
  const adapter = announceOnConnect(await createAdapter(target, first.projectDir), notices, log);
  const renderTarget = targetContext(target, adapter);
  const readsTarget = /\{[{%][^}]*\btarget\b/.test(JSON.stringify(first.yaml.data));
  // Installed packages' dbt_project.yml render with the target either way.
  const loaded = readsTarget ? loadProject(opts.projectDir ?? '.', cliVars, opts.targetPath, renderTarget) : first;
  const project = {
    ...loaded,
    renderTarget,
    ...(opts.logPath ? { logPath: resolve(loaded.projectDir, opts.logPath) } : {}),
  };
  return { project, target, adapter, invocationId: opts.invocationId ?? randomUUID() };
}

export const cliVarsOf = (opts: KilnOptions): Record<string, unknown> =>
  typeof opts.vars === 'string' ? parseCliVars(opts.vars) : (opts.vars ?? {});

/**
 * Which warehouse a run uses ("No profiles.yml found: using the embedded DuckDB database") is
 * said once, when the adapter first connects: parse, compile and ls never connect, so they say nothing.
 */
function announceOnConnect(adapter: Adapter, notices: string[], log: NonNullable<KilnOptions['onLog']>): Adapter {
  if (!notices.length) return adapter;
  const open = adapter.open.bind(adapter);
  adapter.open = () => {
    for (const m of notices.splice(0)) log('info', m);
    return open();
  };
  return adapter;
}

/** The manifest JSON is built only when asked for: at 10,000 models it is tens of megabytes. */
export class ParsedProjectResult implements Project {
  private json?: Record<string, unknown>;
  /** What this invocation compiled, which the manifest records. */
  compiled?: { compiler: Compiler; ids: Set<string> };
  constructor(
    readonly parsed: ParsedProject,
    readonly session: KilnSession,
    readonly dag: Dag,
  ) {}
  get manifest(): Record<string, unknown> {
    return (this.json ??= manifestJson(
      this.parsed,
      this.session,
      this.dag,
      this.compiled?.compiler,
      this.compiled?.ids,
    ));
  }
  set manifest(value: Record<string, unknown>) {
    this.json = value;
  }
}

/** The partial parse cache each parse used, for compile to add its SQL and save, and the files the parse read. */
const partialParses = new WeakMap<Project, { partial: PartialParse; files?: DiscoveredFiles }>();
export const partialParseOf = (project: Project): PartialParse | undefined => partialParses.get(project)?.partial;
/** The files the parse of `project` read, handed over once: kept no longer than the caller needs them. */
export function takeDiscoveredFiles(project: Project): DiscoveredFiles | undefined {
  const entry = partialParses.get(project);
  const files = entry?.files;
  if (entry) entry.files = undefined;
  return files;
}

/**
 * The session for command `which` (dbt's `flags.WHICH`), the project parsed with it, and its
 * DAG. `cache`: `save` writes the partial parse cache once parsed, `keep` leaves that to the
 * caller (compile adds its SQL first), `read` only reads it (a process that must not write target/).
 * `onDiscovered` hears the project's files once found, before they are parsed.
 */
export function parseLoaded(
  loaded: Loaded,
  opts: KilnOptions,
  which: string,
  inline?: string,
  cache: 'save' | 'keep' | 'read' = 'save',
  onDiscovered?: (files: DiscoveredFiles) => void,
  perf?: ParsePerf,
): ParsedProjectResult {
  const log = opts.onLog ?? (() => undefined);
  const cliVars = cliVarsOf(opts);
  const { session, packages } = sessionFor(loaded, opts, which);
  const partial =
    inline === undefined && partialParseEnabled(opts.partialParse, loaded.project)
      ? openPartialParse(loaded, cliVars, opts, cache !== 'read')
      : undefined;
  const staticParser = staticParserEnabled(opts.staticParser, loaded.project);
  perf?.cachedBy(partial && (() => ({ sql: partial.stats.parsed, yaml: partial.stats.yamlLoaded })));
  let discovered: DiscoveredFiles | undefined;
  const { result: parsed, reads } = recordReads(() =>
    parseProject({
      project: loaded.project,
      target: loaded.target,
      session,
      packages,
      warn: (w) => log('warn', w),
      inline,
      sqlCache: partial,
      staticParser,
      perf,
      onDiscovered: (files) => {
        discovered = files;
        onDiscovered?.(files);
      },
    }),
  );
  exposeProject(session, parsed.manifest);
  const project = new ParsedProjectResult(parsed, session, buildDag(parsed.manifest));
  if (partial) {
    partial.noteEnv(reads.envVars);
    partial.noteParseReads(reads);
    if (cache === 'save') savePartialParse(partial, parsed.manifest.nodes.keys(), opts, true);
    partialParses.set(project, { partial, files: discovered });
  }
  return project;
}

/** The session for command `which`, and the installed packages it knows. */
export function sessionFor(
  loaded: Loaded,
  opts: KilnOptions,
  which: string,
): { session: KilnSession; packages: ReturnType<typeof installedPackages> } {
  const log = opts.onLog ?? (() => undefined);
  const cliVars = cliVarsOf(opts);
  const packages = installedPackages(loaded.project, cliVars);
  const session = createSession({
    ...loaded,
    packages,
    cliVars,
    flags: {
      FULL_REFRESH: Boolean(opts.fullRefresh),
      WHICH: which,
      EMPTY: Boolean(opts.empty),
      EVENT_TIME_START: opts.eventTimeStart,
      EVENT_TIME_END: opts.eventTimeEnd,
    },
    log: (m, level) => log(level ?? 'info', m),
  });
  return { session, packages };
}

/**
 * Writes the partial parse cache (temporary file, then rename); a failure costs only the next invocation's speed.
 * `ifChanged`: compared with the file there first, and left alone when the same, as is its table then (a command
 * that only parses, as `run` does, usually makes the cache it read; rewriting it cost 6-10 ms at 1,000 models).
 */
export function savePartialParse(
  partial: PartialParse,
  nodeIds: Iterable<string> | 'all',
  opts: KilnOptions,
  ifChanged = false,
): void {
  const out = partial.encode(nodeIds);
  if (!out) return;
  try {
    mkdirSync(dirname(out.file), { recursive: true });
    // A replay's few lines are appended: rewriting tens of megabytes would cost more than the replay saves.
    if (out.append) appendChunks(out.file, out.chunks);
    else if (ifChanged) writeChunksAtomicIfChanged(out.file, out.chunks);
    else writeChunksAtomic(out.file, out.chunks);
    // The replay table names the cache by its stat right after it is written (src/parse/cache-table.ts): a cache left
    // alone keeps its stat, so its table is the same too, unless another process changed one of them.
    const stat = statText(out.file);
    const table = stat === undefined ? undefined : out.table(stat);
    if (table && ifChanged) writeChunksAtomicIfChanged(out.tableFile, table);
    else if (table) writeChunksAtomic(out.tableFile, table);
    else rmSync(out.tableFile, { force: true });
  } catch (e) {
    opts.onDebug?.(`partial parse: could not write ${out.file}: ${(e as Error).message}`);
  }
}

/**
 * `spool`: whether the cache being made may be spilled to a file in target/ as it grows (not when nothing is written);
 * `table`: whether to read its replay table rather than the whole cache (a compile replay).
 */
export function openPartialParse(
  loaded: Loaded,
  cliVars: Record<string, unknown>,
  opts: KilnOptions,
  spool = true,
  table = false,
): PartialParse {
  const identity = {
    project: loaded.project,
    target: loaded.target,
    adapterType: loaded.adapter.type,
    cliVars,
    packagesDir: packagesInstallPath(loaded.project, cliVars),
    envReads: loaded.envReads,
  };
  const own = join(loaded.project.targetPath, partialParseFile);
  const readFrom = partialParseReadPath(opts.partialParseFilePath);
  return new PartialParse(
    identity,
    opts.onDebug ?? (() => undefined),
    spool,
    table,
    readFrom === own ? undefined : readFrom,
  );
}

/** The unique ids the options select (`nodeIds`, or the selection grammar), in DAG order. */
export function select(p: Project, opts: KilnOptions): string[] {
  if (opts.nodeIds) {
    const wanted = new Set(typeof opts.nodeIds === 'function' ? opts.nodeIds(p) : opts.nodeIds);
    return p.dag.order.filter((id) => wanted.has(id));
  }
  const previous = opts.state ? readPreviousRun(opts.state) : undefined;
  const sel = selectNodes(p.parsed.manifest, p.dag, {
    ...selectionInputs(
      p.parsed.project.projectDir,
      () => p.manifest,
      opts,
      previous,
      (m, level = 'info') => opts.onLog?.(level, m),
      p.parsed.project.targetPath,
    ),
    select: opts.select,
    exclude: opts.exclude,
    resourceTypes: opts.resourceTypes?.length ? opts.resourceTypes : undefined,
    indirectSelection: opts.indirectSelection,
  });
  for (const u of sel.unmatched) opts.onLog?.('warn', `the selector '${u}' matched no nodes`);
  return sel.ids;
}

/**
 * kiln's programmatic API: what the CLI does, as functions with the same options as the
 * flags, returning typed results. An orchestrator can subscribe to node events and cancel.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve, relative, isAbsolute } from 'node:path';
import { KilnError } from './errors.js';
import { loadProject, parseCliVars, type ProjectConfig } from './config/project.js';
import { resolveTarget, targetContext, type TargetConfig } from './config/profiles.js';
import { createAdapter } from './adapters/factory.js';
import type { Adapter } from './adapters/types.js';
import { inlineQueryId, parseProject, type ParsedProject } from './parse/index.js';
import { buildDag, type Dag } from './graph/dag.js';
import { selectNodes, type IndirectSelection } from './graph/selector.js';
import { selectionInputs } from './graph/selection/inputs.js';
import { readPreviousRun } from './state/artifacts.js';
import { deferTarget, deferredRelations } from './state/defer.js';
import { recordedArgs, optionsFromArgs } from './state/invocation-args.js';
import { planRetry, readLastRun } from './state/retry-plan.js';
import { writeJunitXml } from './artifacts/junit.js';
import { Compiler } from './compile/compiler.js';
import { renderWithWarehouse, releaseWarehouse } from './template/warehouse.js';
import { executeNodes, isExecutable } from './run/runner.js';
import { runProjectHooks } from './run/hooks.js';
import type { NodeEvent, NodeResult } from './run/results.js';
import { isFailure } from './run/results.js';
import { manifestJson } from './artifacts/manifest.js';
import { runResultsJson } from './artifacts/run-results.js';
import { writeArtifact, ensureWritable, writeFileAtomic } from './artifacts/write.js';
import { estimateModels, type DryRunReport } from './compile/dry-run.js';
import { buildCatalog } from './docs/catalog.js';
import { durationsFromRunResults } from './run/priority.js';
import { InvocationLog } from './run/invocation-log.js';
import { notify, readNotificationTargets } from './notify/webhooks.js';
import { staleSources } from './freshness/check.js';
import { writeDocsSite } from './docs/site.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildColumnLineage, columnLineageFile, columnLineageJson, readColumnLineage } from './lineage/artifact.js';
import { computeImpact, type Impact } from './lineage/impact.js';
import { impactFile, impactJson, impactMarkdown } from './lineage/impact-report.js';
import type { ColumnLineage } from './lineage/types.js';

export interface KilnOptions {
  projectDir?: string;
  profilesDir?: string;
  profile?: string;
  target?: string;
  /** A mapping, or YAML text as given to --vars. */
  vars?: Record<string, unknown> | string;
  threads?: number;
  select?: string[];
  exclude?: string[];
  resourceTypes?: string[];
  indirectSelection?: IndirectSelection;
  /** A selector name from selectors.yml, instead of select/exclude. */
  selector?: string;
  /** Exactly these unique ids instead of a selection (what `retry` runs). */
  nodeIds?: string[] | ((project: Project) => string[]);
  /** The folder of another run's artifacts, for `state:` / `result:` selection and --defer. */
  state?: string;
  /** Refs to nodes not built in this invocation, and missing here, read the relations of the --state run. */
  defer?: boolean;
  /** The run to defer to, when it is not --state. */
  deferState?: string;
  /** Defer even to nodes that exist in this environment. */
  favorState?: boolean;
  /** Also write the results as JUnit XML to this file. */
  junitXml?: string;
  fullRefresh?: boolean;
  /** microbatch models: the event time span to build (ISO dates or timestamps, UTC unless given); end excluded. */
  eventTimeStart?: string;
  eventTimeEnd?: string;
  /** Models read their refs and sources with no rows (`--empty`): every relation built, empty. */
  empty?: boolean;
  failFast?: boolean;
  targetPath?: string;
  /** Cancels the run: nothing new starts, running nodes finish. */
  signal?: AbortSignal;
  onEvent?: (event: NodeEvent) => void;
  /** Write-audit-publish for every table model: tests run on a staging copy before it replaces production. */
  audit?: boolean;
  /** In build: skip what reads a source stale past its error_after. */
  failOnStaleSources?: boolean;
  /** Retries of transient warehouse failures for nodes that do not set `retries`. */
  retries?: number;
  /** The id stamped on artifacts and events; a fresh UUID by default. */
  invocationId?: string;
  /** Notices and warnings meant for a person. */
  onLog?: (level: 'info' | 'warn', message: string) => void;
  /** Once the project is parsed and the nodes to run are known, before anything connects. */
  onRunStart?: (start: RunStart) => void;
}

/** What a run is about to do: dbt's "Found 3 models, ..." and "Concurrency: 4 threads (target='dev')". */
export interface RunStart {
  project: Project;
  target: TargetConfig;
  /** The nodes the run will execute, in DAG order. */
  ids: string[];
}

export interface Project {
  parsed: ParsedProject;
  dag: Dag;
  /** manifest.json as written to the target path. */
  manifest: Record<string, unknown>;
}

export interface RunResult {
  success: boolean;
  results: NodeResult[];
  /** Seconds. */
  elapsed: number;
  invocationId: string;
  manifest: Record<string, unknown>;
  runResults: Record<string, unknown>;
  project: Project;
}

export type Command = 'run' | 'test' | 'seed' | 'build' | 'snapshot';

interface Loaded {
  project: ProjectConfig;
  target: TargetConfig;
  adapter: Adapter;
  invocationId: string;
}

async function load(opts: KilnOptions): Promise<Loaded> {
  const log = opts.onLog ?? (() => undefined);
  const cliVars = typeof opts.vars === 'string' ? parseCliVars(opts.vars) : (opts.vars ?? {});
  // dbt_project.yml may read `target` (`+materialized: "{{ 'table' if target.type == 'duckdb' else 'view' }}"`):
  // read once to find the profile, then again with the target if a value reads it.
  const first = loadProject(opts.projectDir ?? '.', cliVars, opts.targetPath);
  const notices: string[] = [];
  const target = resolveTarget(first, { profilesDir: opts.profilesDir, profile: opts.profile, target: opts.target, threads: opts.threads }, (m) => notices.push(m));
  const adapter = announceOnConnect(await createAdapter(target, first.projectDir), notices, log);
  const renderTarget = targetContext(target, adapter);
  const readsTarget = /\{[{%][^}]*\btarget\b/.test(JSON.stringify(first.yaml.data));
  // Installed packages' dbt_project.yml render with the target either way.
  const project = readsTarget ? loadProject(opts.projectDir ?? '.', cliVars, opts.targetPath, renderTarget) : { ...first, renderTarget };
  return { project, target, adapter, invocationId: opts.invocationId ?? randomUUID() };
}

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

/** Reads and parses the project, writes manifest.json and column_lineage.json; opens no connection. */
export async function parse(opts: KilnOptions = {}): Promise<Project> {
  const { project, invocationId } = await parseAndWriteManifest(opts);
  await writeColumnLineage(project, new Compiler(project.parsed), invocationId);
  return project;
}

/** Reads and parses the project and writes nothing: for a long-running process that polls it (kiln orchestrate), so target/ stays as the last command left it. */
export async function readProject(opts: KilnOptions = {}): Promise<Project> {
  return parseLoaded(await load(opts), opts, 'parse');
}

async function parseAndWriteManifest(opts: KilnOptions): Promise<{ project: Project; invocationId: string }> {
  const loaded = await load(opts);
  const project = parseLoaded(loaded, opts, 'parse');
  writeArtifact(loaded.project.targetPath, 'manifest.json', project.manifest);
  return { project, invocationId: loaded.invocationId };
}

async function writeColumnLineage(project: Project, compiler: Compiler, invocationId?: string): Promise<ColumnLineage> {
  const lineage = await buildColumnLineage(project.parsed, project.dag, compiler);
  writeArtifact(project.parsed.project.targetPath, columnLineageFile, columnLineageJson(lineage, invocationId));
  return lineage;
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

/** Column lineage of every model, snapshot, seed and source, and the columns tests read; writes target/column_lineage.json. */
export async function columnLineage(opts: KilnOptions = {}): Promise<{ lineage: ColumnLineage; project: Project }> {
  const loaded = await load(opts);
  const project = parseLoaded(loaded, opts, 'compile');
  return { lineage: await writeColumnLineage(project, new Compiler(project.parsed), loaded.invocationId), project };
}

/** The manifest JSON is built only when asked for: at 10,000 models it is tens of megabytes. */
class ParsedProjectResult implements Project {
  private json?: Record<string, unknown>;
  constructor(
    readonly parsed: ParsedProject,
    readonly dag: Dag,
  ) {}
  get manifest(): Record<string, unknown> {
    return (this.json ??= manifestJson(this.parsed, this.dag));
  }
  set manifest(value: Record<string, unknown>) {
    this.json = value;
  }
}

function parseLoaded(loaded: Loaded, opts: KilnOptions, which: string, inline?: string): Project {
  const log = opts.onLog ?? (() => undefined);
  const cliVars = typeof opts.vars === 'string' ? parseCliVars(opts.vars) : (opts.vars ?? {});
  const parsed = parseProject({
    ...loaded,
    cliVars,
    flags: { FULL_REFRESH: Boolean(opts.fullRefresh), WHICH: which, EMPTY: Boolean(opts.empty), EVENT_TIME_START: opts.eventTimeStart, EVENT_TIME_END: opts.eventTimeEnd },
    log: (m) => log('info', m),
    inline,
  });
  for (const w of parsed.manifest.warnings) log('warn', w);
  return new ParsedProjectResult(parsed, buildDag(parsed.manifest));
}

function select(p: Project, opts: KilnOptions, defaultTypes?: string[]): string[] {
  if (opts.nodeIds) {
    const wanted = new Set(typeof opts.nodeIds === 'function' ? opts.nodeIds(p) : opts.nodeIds);
    return p.dag.order.filter((id) => wanted.has(id));
  }
  const previous = opts.state ? readPreviousRun(opts.state) : undefined;
  const sel = selectNodes(p.parsed.manifest, p.dag, {
    ...selectionInputs(p.parsed.project.projectDir, () => p.manifest, opts, previous, (m, level = 'info') => opts.onLog?.(level, m), p.parsed.project.targetPath),
    select: opts.select,
    exclude: opts.exclude,
    resourceTypes: opts.resourceTypes?.length ? opts.resourceTypes : defaultTypes,
    indirectSelection: opts.indirectSelection,
  });
  for (const u of sel.unmatched) opts.onLog?.('warn', `the selector '${u}' matched no nodes`);
  return sel.ids;
}

/** `kiln ls`: the selected nodes' unique ids, in DAG order. */
export async function ls(opts: KilnOptions = {}): Promise<{ ids: string[]; project: Project }> {
  // Listing needs no compiled SQL, so no column lineage either.
  const { project } = await parseAndWriteManifest(opts);
  return { ids: select(project, opts), project };
}

/** Compiles selected nodes to target/compiled/ and returns their SQL; opens no connection. */
export interface CompileTimings {
  /** Milliseconds reading and parsing the project. */
  parse: number;
  /** Milliseconds rendering the selected nodes. */
  render: number;
  /** Milliseconds writing manifest.json and target/compiled/. */
  write: number;
}

export async function compile(opts: KilnOptions = {}): Promise<{ compiled: Map<string, string>; project: Project; timings: CompileTimings }> {
  const t0 = performance.now();
  const project = parseLoaded(await load(opts), opts, 'compile');
  const t1 = performance.now();
  const compiler = new Compiler(project.parsed);
  const compiled = new Map<string, string>();
  // Seeds have no SQL to render.
  const ids = select(project, opts).filter((id) => project.parsed.templates.has(id) || project.parsed.manifest.nodes.get(id)?.resourceType === 'test');
  // dbt's `selected_resources`: the unique ids this command selected.
  project.parsed.engine.setGlobal('selected_resources', ids);
  const deferTo = deferTarget(opts);
  // No connection here, so every node not compiled now defers, as with --favor-state.
  if (deferTo) compiler.deferred = await deferredRelations(project.parsed, deferTo, { building: new Set(ids), favorState: true });
  for (const id of ids) {
    compiled.set(id, (await renderWithWarehouse(project.parsed.adapter, () => compiler.compile(id))).compiledCode);
    compiler.writeCompiled(id);
  }
  await releaseWarehouse(project.parsed.adapter);
  const t2 = performance.now();
  project.manifest = manifestJson(project.parsed, project.dag, compiler, new Set(ids));
  writeArtifact(project.parsed.project.targetPath, 'manifest.json', project.manifest);
  // Deferred relations name another environment's tables, which lineage cannot map to nodes.
  await writeColumnLineage(project, compiler.deferred ? new Compiler(project.parsed) : compiler, project.parsed.info.invocationId);
  await compiler.flushWrites();
  return { compiled, project, timings: { parse: t1 - t0, render: t2 - t1, write: performance.now() - t2 } };
}

/**
 * `kiln compile --inline`: one ad-hoc query rendered with the project's refs, sources,
 * macros and vars, as dbt does. Nothing is written to the target folder.
 */
export async function compileInline(sql: string, opts: KilnOptions = {}): Promise<{ sql: string; project: Project }> {
  if (!sql.trim()) throw new KilnError('config', '--inline needs a query', { hint: `e.g. kiln compile --inline "select * from {{ ref('orders') }}"` });
  const project = parseLoaded(await load(opts), opts, 'compile', sql);
  const id = inlineQueryId(project.parsed.manifest.projectName);
  const compiler = new Compiler(project.parsed);
  const deferTo = deferTarget(opts);
  if (deferTo) compiler.deferred = await deferredRelations(project.parsed, deferTo, { building: new Set([id]), favorState: true });
  try {
    return { sql: (await renderWithWarehouse(project.parsed.adapter, () => compiler.compile(id))).compiledCode, project };
  } finally {
    await releaseWarehouse(project.parsed.adapter);
  }
}

/**
 * `kiln compile --dry-run`: compiles the selected models and asks the warehouse what each
 * would scan (BigQuery's dry run), per model and in total. Runs nothing.
 */
export async function dryRun(opts: KilnOptions = {}): Promise<DryRunReport & { project: Project }> {
  const loaded = await load(opts);
  const project = parseLoaded(loaded, opts, 'compile');
  const report = await estimateModels(project.parsed, new Compiler(project.parsed), loaded.adapter, select(project, opts));
  return { ...report, project };
}

const commandTypes: Record<Command, string[]> = {
  run: ['model'],
  test: ['test', 'unit_test'],
  seed: ['seed'],
  snapshot: ['snapshot'],
  build: ['model', 'seed', 'test', 'snapshot', 'unit_test'],
};

/** `kiln run`, `test`, `seed` and `build`. */
export async function execute(command: Command, opts: KilnOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const loaded = await load(opts);
  // Nothing touches the warehouse unless the results can be written afterwards.
  ensureWritable([loaded.project.targetPath, loaded.project.logPath]);
  const log = new InvocationLog(loaded.project.logPath, loaded.invocationId, command);
  try {
    const result = await executeLoaded(command, { ...opts, onEvent: (e) => (log.event(e), opts.onEvent?.(e)), onLog: (level, m) => (log.message(level, m), opts.onLog?.(level, m)) }, loaded, started);
    log.close({ success: result.success, elapsed: result.elapsed, nodes: result.results.length });
    return result;
  } catch (e) {
    log.close({ success: false, error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

async function executeLoaded(command: Command, opts: KilnOptions, loaded: Loaded, started: number): Promise<RunResult> {
  const project = parseLoaded(loaded, opts, command);
  const types = new Set(commandTypes[command]);
  const ids = select(project, opts).filter((id) => {
    const n = project.parsed.manifest.nodes.get(id);
    return n !== undefined && types.has(n.resourceType) && (!opts.resourceTypes?.length || opts.resourceTypes.includes(n.resourceType)) && isExecutable(n);
  });
  project.parsed.engine.setGlobal('selected_resources', ids);
  opts.onRunStart?.({ project, target: loaded.target, ids });
  const compiler = new Compiler(project.parsed);
  const { adapter } = loaded;
  let results: NodeResult[] = [];
  // Boxed so that any rejection value, even a falsy one, counts as a failure.
  let endHookError: { error: unknown } | undefined;
  const deferTo = deferTarget(opts);
  if (ids.length) {
    await adapter.open();
    try {
      if (deferTo) compiler.deferred = await deferredRelations(project.parsed, deferTo, { building: new Set(ids), favorState: Boolean(opts.favorState), adapter });
      await runProjectHooks('on-run-start', project.parsed, adapter, { ids });
      results = await executeNodes({
        parsed: project.parsed,
        dag: project.dag,
        compiler,
        adapter,
        ids,
        threads: loaded.target.threads,
        testsGate: command === 'build',
        failFast: Boolean(opts.failFast),
        signal: opts.signal,
        onEvent: opts.onEvent,
        retries: opts.retries,
        concurrencyGroups: loaded.project.concurrencyGroups,
        audit: opts.audit,
        onLog: opts.onLog,
        staleSources: opts.failOnStaleSources ? await staleSources(project.parsed.manifest.sources.values(), adapter) : undefined,
        onRetry: (id, attempt, delayMs, message) => opts.onLog?.('warn', `${id}: transient failure (attempt ${attempt}), retrying in ${(delayMs / 1000).toFixed(1)}s: ${message.split('\n')[0]}`),
        previousDurations: durationsFromRunResults(readJsonIfThere(join(loaded.project.targetPath, 'run_results.json'))),
      });
      // A failing on-run-end hook fails the invocation once the artifacts are written.
      await runProjectHooks('on-run-end', project.parsed, adapter, { results }).catch((error: unknown) => (endHookError = { error }));
    } finally {
      await adapter.close();
      await compiler.flushWrites();
    }
  } else opts.onLog?.('warn', 'nothing to do: the selection contains no nodes of this kind');
  const compiledIds = new Set(results.filter((r) => r.compiledCode !== undefined).map((r) => r.uniqueId));
  const manifest = manifestJson(project.parsed, project.dag, compiler, compiledIds);
  writeArtifact(loaded.project.targetPath, 'manifest.json', manifest);
  const elapsed = (Date.now() - started) / 1000;
  const runResults = runResultsJson(results, loaded.invocationId, elapsed, recordedArgs(command, opts, loaded.target.threads));
  writeArtifact(loaded.project.targetPath, 'run_results.json', runResults);
  if (opts.junitXml) writeJunitXml(opts.junitXml, { suiteName: `kiln ${command}`, results, nodes: project.parsed.manifest.nodes, elapsed, projectDir: loaded.project.projectDir, targetPath: loaded.project.targetPath });
  const success = !results.some((r) => isFailure(r.status)) && !opts.signal?.aborted && !endHookError;
  const targets = readNotificationTargets(loaded.project.notifications);
  if (targets.length) {
    await notify(targets, { project: loaded.project.name, command, invocationId: loaded.invocationId, success, elapsed, results }, (m) => opts.onLog?.('warn', m));
  }
  if (endHookError) throw endHookError.error;
  return { success, results, elapsed, invocationId: loaded.invocationId, manifest, runResults, project: { ...project, manifest } };
}

export const run = (opts: KilnOptions = {}) => execute('run', opts);
export const test = (opts: KilnOptions = {}) => execute('test', opts);
export const seed = (opts: KilnOptions = {}) => execute('seed', opts);
export const build = (opts: KilnOptions = {}) => execute('build', opts);

export interface RetryResult extends RunResult {
  /** The command repeated: the last one, or `build` when a failed test's model is rebuilt. */
  command: Command;
  /** Nodes rebuilt because a test on them failed. */
  rebuilt: string[];
}

/**
 * `kiln retry`: the last run/test/seed/build again, with its arguments, for the nodes that
 * errored, failed or were skipped; a failed test's model is rebuilt before it is re-tested.
 */
export async function retry(opts: KilnOptions = {}): Promise<RetryResult> {
  const last = readLastRun(loadProject(opts.projectDir ?? '.', {}, opts.targetPath).targetPath);
  const failedTest = last.results.some((r) => r.unique_id.startsWith('test.') && (r.status === 'fail' || r.status === 'error'));
  const command: Command = last.args.which === 'test' && failedTest ? 'build' : last.args.which;
  let rebuilt: string[] = [];
  const nodeIds = (p: Project) => {
    const plan = planRetry(last, p.parsed.manifest, p.dag);
    rebuilt = plan.rebuilt;
    if (!plan.ids.length) opts.onLog?.('info', 'nothing to retry: the last invocation had no errors, failures or skipped nodes');
    return plan.ids;
  };
  const result = await execute(command, { ...optionsFromArgs(last.args, opts), nodeIds });
  return { ...result, command, rebuilt };
}
export const snapshot = (opts: KilnOptions = {}) => execute('snapshot', opts);

export interface DocsOptions extends KilnOptions {
  /** One self-contained HTML file instead of index.html plus assets. */
  static?: boolean;
  /** Use the manifest of a plain parse instead of compiling every node. */
  noCompile?: boolean;
  /** Write an empty catalog instead of reading the warehouse. */
  emptyCatalog?: boolean;
}

/** `kiln docs generate`: manifest.json, catalog.json and the static site into the target path. */
export async function generateDocs(opts: DocsOptions = {}): Promise<{ files: string[]; catalog: Record<string, unknown> }> {
  const project = opts.noCompile ? await parse(opts) : (await compile(opts)).project;
  const { parsed } = project;
  const ids = select(project, opts);
  let catalog: Record<string, unknown> = { metadata: { generated_at: new Date().toISOString(), invocation_id: parsed.info.invocationId }, nodes: {}, sources: {}, errors: null };
  if (!opts.emptyCatalog) {
    await parsed.adapter.open();
    try {
      catalog = await buildCatalog(parsed, parsed.adapter, ids, parsed.info.invocationId);
    } finally {
      await parsed.adapter.close();
    }
  }
  const targetPath = parsed.project.targetPath;
  writeArtifact(targetPath, 'catalog.json', catalog);
  const readIfThere = (name: string) => (existsSync(join(targetPath, name)) ? (JSON.parse(readFileSync(join(targetPath, name), 'utf8')) as unknown) : null);
  const files = await writeDocsSite(targetPath, { manifest: project.manifest, catalog, runResults: readIfThere('run_results.json'), sources: readIfThere('sources.json'), columnLineage: readIfThere(columnLineageFile) }, { static: opts.static });
  return { files, catalog };
}

function readJsonIfThere(file: string): unknown {
  try {
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
  } catch {
    return null;
  }
}

/** `kiln debug`: project, profile and connection, each checked. */
export async function debug(opts: KilnOptions = {}): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  const loaded = await load(opts);
  lines.push(`project: ${loaded.project.name} (${loaded.project.file})`);
  lines.push(`profile: ${loaded.target.profileName}, target: ${loaded.target.targetName}${loaded.target.profilesFile ? ` (${loaded.target.profilesFile})` : ' (embedded DuckDB)'}`);
  lines.push(`adapter: ${loaded.adapter.type}, threads: ${loaded.target.threads}`);
  const check = await loaded.adapter.check();
  await loaded.adapter.close().catch(() => undefined);
  lines.push(`connection: ${check.ok ? 'OK' : 'FAILED'} — ${check.message}`);
  return { ok: check.ok, lines };
}

/** `kiln clean`: removes clean-targets, refusing paths outside the project. */
export function clean(opts: KilnOptions = {}): string[] {
  const project = loadProject(opts.projectDir ?? '.', {}, opts.targetPath);
  const removed: string[] = [];
  for (const t of project.cleanTargets) {
    const full = resolve(project.projectDir, t);
    const rel = relative(project.projectDir, full);
    if (!rel || rel.startsWith('..') || isAbsolute(rel)) {
      throw new KilnError('config', `clean-targets entry '${t}' is outside the project (or is the project itself)`, { file: 'dbt_project.yml' });
    }
    rmSync(full, { recursive: true, force: true });
    removed.push(t);
  }
  return removed;
}

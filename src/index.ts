/**
 * kiln as a library: the same operations as the CLI, with typed results. Importing kiln
 * loads almost nothing: each operation loads its modules (the template engine, the parser,
 * DuckDB, ...) on its first call, so a program (or `kiln --version`) that needs few of them
 * starts fast.
 */
import { createRequire } from 'node:module';

type AnyFunction = (...args: never[]) => unknown;
type AsyncExports<M> = { [K in keyof M as M[K] extends (...args: never[]) => Promise<unknown> ? K : never]: M[K] };

/** `name` of the module `load` imports, as a function that imports the module on its first call. */
function onFirstCall<M, K extends keyof AsyncExports<M>>(load: () => Promise<M>, name: K): M[K] {
  return (async (...args: unknown[]) => ((await load())[name] as AnyFunction)(...(args as never[]))) as M[K];
}

// Each operation imports its own task module, not the facade `api.ts`, which gathers them all: `kiln compile`
// then loads no runner, docs writer or Markdown renderer.
const parseTask = () => import('./tasks/parse.js');
const compileTask = () => import('./tasks/compile.js');
const runTask = () => import('./tasks/run.js');
const lineageTask = () => import('./tasks/lineage.js');
export const parse = onFirstCall(parseTask, 'parse');
export const ls = onFirstCall(parseTask, 'ls');
export const compile = onFirstCall(compileTask, 'compile');
export const compileInline = onFirstCall(compileTask, 'compileInline');
export const compileProject = onFirstCall(compileTask, 'compileProject');
export const dryRun = onFirstCall(compileTask, 'dryRun');
export const execute = onFirstCall(runTask, 'execute');
export const run = onFirstCall(runTask, 'run');
export const test = onFirstCall(runTask, 'test');
export const seed = onFirstCall(runTask, 'seed');
export const build = onFirstCall(runTask, 'build');
export const snapshot = onFirstCall(runTask, 'snapshot');
export const retry = onFirstCall(() => import('./tasks/retry.js'), 'retry');
export const debug = onFirstCall(() => import('./tasks/debug.js'), 'debug');
export const generateDocs = onFirstCall(() => import('./tasks/docs.js'), 'generateDocs');
export const serveDocs = onFirstCall(() => import('./docs/serve.js'), 'serveDocs');
export const deps = onFirstCall(() => import('./deps/index.js'), 'deps');
export const sourceFreshness = onFirstCall(() => import('./tasks/freshness.js'), 'sourceFreshness');
export const orchestrate = onFirstCall(() => import('./orchestrate/service.js'), 'orchestrate');

/** `clean` is synchronous, so its module is loaded synchronously (Node's require of an ES module). */
export const clean = (...args: Parameters<typeof import('./tasks/clean.js').clean>): string[] =>
  (createRequire(import.meta.url)('./tasks/clean.js') as typeof import('./tasks/clean.js')).clean(...args);

export type { KilnOptions, Project, RunResult, RunStart, RetryResult, Command, DocsOptions } from './api.js';
export type { DryRunReport, ModelEstimate } from './compile/dry-run.js';
export type { DepsOptions, DepsResult } from './deps/index.js';
export type { NodeEvent, NodeResult, NodeStatus } from './run/results.js';
export { KilnError } from './errors.js';
export type { Adapter } from './adapters/types.js';
export { registerAdapter } from './adapters/factory.js';
export type { FreshnessRun } from './tasks/freshness.js';
export type { FreshnessResult } from './freshness/check.js';
export const columnLineage = onFirstCall(lineageTask, 'columnLineage');
export const impact = onFirstCall(lineageTask, 'impact');
export type { Impact, ModelImpact, ColumnChange, ColumnChangeKind, ModelChange } from './lineage/impact.js';
export { upstreamOf, downstreamOf, lineageCoverage, type ReachedColumn, type DialectCoverage } from './lineage/walk.js';
export type { ColumnLineage, ColumnEdge, EdgeKind, NodeLineage, TestLineage } from './lineage/types.js';
export type { OrchestrateOptions, OrchestrateService } from './orchestrate/service.js';

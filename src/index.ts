/** kiln as a library: the same operations as the CLI, with typed results. */
export { parse, ls, compile, run, test, seed, build, snapshot, execute, debug, clean, generateDocs } from './api.js';
export type { KilnOptions, Project, RunResult, Command, DocsOptions } from './api.js';
export { retry, type RetryResult } from './api.js';
export { dryRun } from './api.js';
export { compileInline } from './api.js';
export type { DryRunReport, ModelEstimate } from './compile/dry-run.js';
export { serveDocs } from './docs/serve.js';
export { deps } from './deps/index.js';
export type { DepsOptions, DepsResult } from './deps/index.js';
export type { NodeEvent, NodeResult, NodeStatus } from './run/results.js';
export { KilnError } from './errors.js';
export type { Adapter } from './adapters/types.js';
export { registerAdapter } from './adapters/factory.js';
export { sourceFreshness } from './freshness/command.js';
export type { FreshnessRun } from './freshness/command.js';
export type { FreshnessResult } from './freshness/check.js';
export { orchestrate, type OrchestrateOptions, type OrchestrateService } from './orchestrate/service.js';

/**
 * kiln's programmatic API: what the CLI does, as functions with the same options as the
 * flags, returning typed results. An orchestrator can subscribe to node events and cancel.
 * A facade: each command is a module of src/tasks/; this file only gathers them.
 */
export type {
  KilnOptions,
  RunStart,
  Project,
  RunResult,
  Command,
  RetryResult,
  DocsOptions,
  CompileTimings,
} from './tasks/options.js';
export { parse, readProject, ls } from './tasks/parse.js';
export { compile, compileProject, compileInline, dryRun } from './tasks/compile.js';
export type { CompileSummary } from './tasks/compile-replay.js';
export { columnLineage, impact } from './tasks/lineage.js';
export { execute, run, test, seed, build, snapshot } from './tasks/run.js';
export { retry } from './tasks/retry.js';
export { generateDocs } from './tasks/docs.js';
export { debug } from './tasks/debug.js';
export { clean } from './tasks/clean.js';

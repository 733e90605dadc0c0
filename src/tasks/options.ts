/**
 * What the API's commands take and give: the options (one per CLI flag), the parsed project,
 * and a run's result. Types only: any module may name them without loading a command.
 */
import type { TargetConfig } from '../config/profiles.js';
import type { ParsedProject } from '../parse/index.js';
import type { Dag } from '../graph/dag.js';
import type { IndirectSelection } from '../graph/selector.js';
import type { NodeEvent, NodeResult } from '../run/results.js';
import type { KilnSession } from '../session.js';

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
  /** Where the invocation logs go (dbt's `--log-path`), from the project folder; else dbt_project.yml's `log-path`. */
  logPath?: string;
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
  onLog?: (level: 'info' | 'warn' | 'print', message: string) => void;
  /** Once the project is parsed and the nodes to run are known, before anything connects. */
  onRunStart?: (start: RunStart) => void;
  /**
   * Reuse what the last invocation parsed and compiled (target/partial_parse.bin); default: on, unless
   * KILN_PARTIAL_PARSE/DBT_PARTIAL_PARSE=false or `flags: {partial_parse: false}`.
   */
  partialParse?: boolean;
  /**
   * A partial parse cache to read instead of `<target-path>/partial_parse.bin` (dbt's `--partial-parse-file-path`: a
   * cache shared by tasks, each writing its own in its target path); default: KILN_PARTIAL_PARSE_FILE_PATH or
   * DBT_PARTIAL_PARSE_FILE_PATH, else none. A relative path is from the working folder.
   */
  partialParseFilePath?: string;
  /**
   * dbt's static parser: models whose only Jinja is ref, source, config and var calls are read without the template
   * engine; default: on, unless KILN_STATIC_PARSER/DBT_STATIC_PARSER=false or `flags: {static_parser: false}`.
   */
  staticParser?: boolean;
  /** Details for --debug (why the partial parse cache was not used, how much of it was). */
  onDebug?: (message: string) => void;
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
  /** The invocation's runtime: adapter, template engine, invocation id and flags. */
  session: KilnSession;
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

export interface RetryResult extends RunResult {
  /** The command repeated: the last one, or `build` when a failed test's model is rebuilt. */
  command: Command;
  /** Nodes rebuilt because a test on them failed. */
  rebuilt: string[];
}

export interface DocsOptions extends KilnOptions {
  /** One self-contained HTML file instead of index.html plus assets. */
  static?: boolean;
  /** Use the manifest of a plain parse instead of compiling every node. */
  noCompile?: boolean;
  /** Write an empty catalog instead of reading the warehouse. */
  emptyCatalog?: boolean;
}

/** Where `compile` spent its time. */
export interface CompileTimings {
  /** Milliseconds reading and parsing the project. */
  parse: number;
  /** Milliseconds rendering the selected nodes. */
  render: number;
  /** Milliseconds writing manifest.json and target/compiled/. */
  write: number;
}

/** Flags shared by commands, spelled as dbt spells them, turned into KilnOptions. */
import { Command, Option } from 'commander';
import type { KilnOptions } from '../api.js';
import { KilnError } from '../errors.js';
import { envSetting } from '../config/dbt-flags.js';
import { parseTime } from '../run/event-time.js';
import type { Output } from './output.js';

export interface GlobalFlags {
  debug?: boolean;
  logFormat?: 'text' | 'json';
}

/** What commander parses from addProjectOptions' flags (camel-cased, values as the parsers return them). */
export interface ProjectFlags {
  projectDir: string;
  profilesDir?: string;
  profile?: string;
  target?: string;
  vars?: string;
  targetPath?: string;
  logPath?: string;
  partialParse?: boolean;
  partialParseFilePath?: string;
  staticParser?: boolean;
}

/** ... from addSelectionOptions' flags, and `--resource-type` where a command offers it. */
export interface SelectionFlags {
  select?: string[];
  models?: string[];
  exclude?: string[];
  indirectSelection?: KilnOptions['indirectSelection'];
  selector?: string;
  state?: string;
  defer?: boolean;
  deferState?: string;
  favorState?: boolean;
  resourceType?: string[];
}

/** The flags of a command that reads a project and selects nodes of it. */
export type SelectedFlags = ProjectFlags & SelectionFlags;

/** ... from addRunOptions' flags, and the flags only `build` or `run` have. */
export interface RunFlags {
  threads?: number;
  fullRefresh?: boolean;
  empty?: boolean;
  eventTimeStart?: string;
  eventTimeEnd?: string;
  failFast?: boolean;
  retries?: number;
  junitXml?: string;
  heartbeat?: number;
  failOnStaleSources?: boolean;
  audit?: boolean;
}

/** The flags toKilnOptions reads: a command has its project's flags and may have any of the others. */
export type CommandFlags = ProjectFlags & SelectionFlags & RunFlags;

export function addProjectOptions(cmd: Command): Command {
  return cmd
    .option('--project-dir <dir>', 'the folder holding dbt_project.yml', '.')
    .option('--profiles-dir <dir>', 'the folder holding profiles.yml')
    .option('--profile <name>', 'the profile to use (default: dbt_project.yml profile)')
    .option('-t, --target <name>', 'the target of the profile to use')
    .option('--vars <yaml>', "variables as YAML, e.g. '{start: 2024-01-01}'")
    .option('--target-path <dir>', 'where artifacts go (default: target-path of dbt_project.yml)')
    .option('--log-path <dir>', 'where the invocation logs go (default: log-path of dbt_project.yml, else logs)')
    .option(
      '--partial-parse',
      'reuse what the last invocation parsed and compiled (target/partial_parse.bin; the default)',
    )
    .option('--no-partial-parse', 'parse and compile everything afresh')
    .option(
      '--partial-parse-file-path <file>',
      "a partial parse cache to read instead of the target path's (written there as ever)",
    )
    .option(
      '--partial-parse-file-diff',
      "accepted for dbt's command lines: kiln always reads the files to find what changed",
    )
    .option('--no-partial-parse-file-diff', 'accepted, as --partial-parse-file-diff')
    .option(
      '--populate-cache',
      "accepted for dbt's command lines: a run lists a schema's relations once, when a node first needs them",
    )
    .option('--no-populate-cache', 'accepted, as --populate-cache')
    .option('--cache-selected-only', 'accepted: only the schemas of the nodes a run builds are listed, always')
    .option('--no-cache-selected-only', 'accepted, as --cache-selected-only')
    .option('--static-parser', 'read models of ref/source/config/var calls alone without rendering them (the default)')
    .option('--no-static-parser', 'render every model with the template engine while parsing, as dbt without it');
}

export function addSelectionOptions(cmd: Command): Command {
  return cmd
    .option('-s, --select <selector...>', 'nodes to include (dbt selection syntax)')
    .option('-m, --models <selector...>', 'alias of --select')
    .option('--exclude <selector...>', 'nodes to leave out')
    .addOption(
      new Option('--indirect-selection <mode>', 'which tests of selected nodes come along').choices([
        'eager',
        'cautious',
        'buildable',
        'empty',
      ]),
    )
    .option('--selector <name>', 'a named selector from selectors.yml')
    .option(
      '--state <dir>',
      "another run's artifacts (manifest.json, run_results.json) for state: and result: selectors",
    )
    .option('--defer', 'read nodes not built here from the --state run (e.g. production)')
    .option('--defer-state <dir>', 'the artifacts to defer to, when not --state')
    .option('--favor-state', 'with --defer: use the state relation even when this environment has the node');
}

export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--threads <n>', 'how many nodes run at once', parseThreads)
    .option('--full-refresh', 'rebuild incremental models and seeds from scratch')
    .addOption(emptyOption())
    .option(
      '--event-time-start <time>',
      'microbatch models: build the batches from this time (UTC unless it has an offset)',
      parseEventTime('--event-time-start'),
    )
    .option(
      '--event-time-end <time>',
      'microbatch models: build the batches up to this time, excluded',
      parseEventTime('--event-time-end'),
    )
    .option('-x, --fail-fast', 'stop starting nodes after the first failure')
    .option('--retries <n>', 'retry transient warehouse failures this many times', parseRetries)
    .option('--junit-xml <file>', 'also write the results as JUnit XML, for CI systems')
    .option(
      '--heartbeat <seconds>',
      'without a terminal (CI logs): a line for each node still running ' +
        'after this many seconds, repeated as long as it runs; 0 for none ' +
        '(default 30)',
      parseHeartbeat,
    );
}

/** `--empty`, taken by the commands that run models and by `compile`, which shows their SQL. */
export function emptyOption(): Option {
  return new Option(
    '--empty',
    "wrap each model's query to select no rows: a build makes every relation with its columns, empty",
  );
}

function parseHeartbeat(v: string): number {
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n) || n < 0)
    throw new KilnError('config', `--heartbeat must be a number of seconds (0 for none), got '${v}'`);
  return n;
}

/** Keeps the flag's text (the run reads it) once it is known to be a date or timestamp. */
function parseEventTime(flag: string): (v: string) => string {
  return (v) => {
    if (!parseTime(v))
      throw new KilnError(
        'config',
        `${flag} must be a date or timestamp such as 2024-01-01 or 2024-01-01T06:00:00, got '${v}'`,
      );
    return v;
  };
}

function parseRetries(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new KilnError('config', `--retries must be a whole number, got '${v}'`);
  return n;
}

function parseThreads(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new KilnError('config', `--threads must be a whole number of at least 1, got '${v}'`);
  return n;
}

export function toKilnOptions(flags: CommandFlags, output: Output): KilnOptions {
  if (
    flags.eventTimeStart &&
    flags.eventTimeEnd &&
    parseTime(flags.eventTimeStart)! >= parseTime(flags.eventTimeEnd)!
  ) {
    throw new KilnError(
      'config',
      `--event-time-start (${flags.eventTimeStart}) must be before --event-time-end (${flags.eventTimeEnd})`,
    );
  }
  const select = [...(flags.select ?? []), ...(flags.models ?? [])];
  return {
    projectDir: flags.projectDir,
    profilesDir: flags.profilesDir,
    profile: flags.profile,
    target: flags.target,
    vars: flags.vars,
    threads: flags.threads,
    select: select.length ? select : undefined,
    exclude: flags.exclude,
    resourceTypes: flags.resourceType,
    indirectSelection: flags.indirectSelection,
    selector: flags.selector,
    state: flags.state,
    defer: flags.defer,
    deferState: flags.deferState,
    favorState: flags.favorState,
    junitXml: flags.junitXml,
    fullRefresh: flags.fullRefresh,
    eventTimeStart: flags.eventTimeStart,
    eventTimeEnd: flags.eventTimeEnd,
    empty: flags.empty,
    failFast: flags.failFast,
    retries: flags.retries,
    failOnStaleSources: flags.failOnStaleSources,
    audit: flags.audit,
    targetPath: flags.targetPath,
    logPath: flags.logPath ?? envSetting('LOG_PATH'),
    partialParse: flags.partialParse,
    partialParseFilePath: flags.partialParseFilePath,
    staticParser: flags.staticParser,
    onDebug:
      process.argv.includes('--debug') || output.shows('debug') ? (message) => output.info(message, true) : undefined,
    onLog: (level, message) => output.log(level, message, true),
  };
}

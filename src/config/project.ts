import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KilnError } from '../errors.js';
import { closestWord, loadYamlData, parseYaml, validateYaml, type YamlFile } from './yaml.js';
import { readTextFile } from './text-file.js';
import { dbtProjectKeys, kilnProjectKeys, projectSchema } from './schemas.js';
import { ValueRenderer } from './render-values.js';
import { envVar } from '../template/env-var.js';

export interface ProjectConfig {
  projectDir: string;
  file: string;
  name: string;
  /** `version:` as written (packages report it: elementary reads its own). */
  version?: string;
  profile: string;
  modelPaths: string[];
  seedPaths: string[];
  testPaths: string[];
  macroPaths: string[];
  snapshotPaths: string[];
  analysisPaths: string[];
  docsPaths: string[];
  /** Absolute target path. */
  targetPath: string;
  /** Absolute log path (`log-path`, default logs/): one log file per invocation. */
  logPath: string;
  cleanTargets: string[];
  vars: Record<string, unknown>;
  /** Config trees, as written (with or without `+`). */
  models: Record<string, unknown>;
  seeds: Record<string, unknown>;
  dataTests: Record<string, unknown>;
  snapshots: Record<string, unknown>;
  sources: Record<string, unknown>;
  onRunStart: string[];
  onRunEnd: string[];
  /** Most models of each `concurrency_group` config that run at once. */
  concurrencyGroups: Record<string, number>;
  /** `notifications:` as written (webhook targets). */
  notifications: unknown;
  /**
   * dbt_project.yml as read, its top-level keys in the spelling of `dbtProjectKeys`
   * (`data-tests` reads as `data_tests`); lines are those of the file.
   */
  yaml: YamlFile;
  /** Problems worth a warning (unknown keys, with file and line), for the caller to show. */
  warnings: string[];
  /** The `target` its values were rendered with; installed packages' projects render with it too. */
  renderTarget: Record<string, unknown>;
}

type PathKey =
  | 'model-paths'
  | 'source-paths'
  | 'seed-paths'
  | 'data-paths'
  | 'test-paths'
  | 'macro-paths'
  | 'snapshot-paths'
  | 'analysis-paths'
  | 'docs-paths'
  | 'clean-targets';
type Tree = Record<string, unknown> | null;
type Hooks = string | string[] | null;

/**
 * The keys of dbt_project.yml kiln reads, typed as `projectSchema` checks them (null: written
 * empty, which reads as not set). Values are checked before their Jinja is rendered; a
 * single-expression value keeps the type it renders to.
 */
type ProjectYaml = { [key in PathKey]?: string[] | null } & {
  name: string;
  version?: string | number | null;
  profile?: string | null;
  'target-path'?: string | null;
  'log-path'?: string | null;
  vars?: Tree;
  models?: Tree;
  seeds?: Tree;
  data_tests?: Tree;
  tests?: Tree;
  snapshots?: Tree;
  sources?: Tree;
  'on-run-start'?: Hooks;
  'on-run-end'?: Hooks;
  concurrency_groups?: Record<string, number>;
  notifications?: unknown;
};

// dbt renders dbt_project.yml but leaves these for later (they render per node or per run).
const renderLater = new Set([
  'vars',
  'on-run-start',
  'on-run-end',
  'pre-hook',
  'post-hook',
  '+pre-hook',
  '+post-hook',
  'pre_hook',
  'post_hook',
  '+pre_hook',
  '+post_hook',
  'query-comment',
]);

/**
 * Reads dbt_project.yml and renders its values. `target` is the target as templates see it;
 * before the profile is known (to find it) an empty mapping stands in, so `target.type` is
 * undefined rather than an error, and the caller loads the project again with the target.
 */
export function loadProject(
  projectDir: string,
  cliVars: Record<string, unknown> = {},
  targetPathOverride?: string,
  target: Record<string, unknown> = {},
): ProjectConfig {
  const dir = resolve(projectDir);
  const file = join(dir, 'dbt_project.yml');
  if (!existsSync(file)) {
    throw new KilnError('config', `no dbt_project.yml in ${dir}`, {
      hint: 'run kiln from a project folder, pass --project-dir, or create one with `kiln init`',
    });
  }
  const text = readTextFile(file, 'dbt_project.yml');
  const { yaml, warnings } = canonicalKeys(parseYaml(text, 'dbt_project.yml'));
  validateYaml(projectSchema, yaml);
  const raw = yaml.data as ProjectYaml;
  // vars are read again as PyYAML reads them, so `2.0` prints 2.0 and `yes` is true in a template.
  if (raw.vars && Object.keys(raw.vars).length)
    raw.vars = (loadYamlData(text, 'dbt_project.yml', { pyyaml: true }) as ProjectYaml).vars;
  const filled = (v: unknown) => Boolean(v) && Object.keys(v as object).length > 0;
  if (filled(raw.tests) && filled(raw.data_tests)) {
    throw new KilnError('config', "both 'tests' and 'data_tests' are set", {
      file: 'dbt_project.yml',
      line: yaml.lineOfKey(['tests']),
      hint: "move the 'tests' tree under 'data_tests' (its newer name)",
    });
  }
  const vars = { ...(raw.vars ?? {}), ...cliVars };
  const renderer = new ValueRenderer({
    target,
    env_var: envVar,
    var: (name: string, dflt?: unknown) => {
      if (name in vars) return vars[name];
      if (dflt !== undefined) return dflt;
      throw new KilnError('config', `var '${name}' is not defined`, {
        file: 'dbt_project.yml',
        hint: `add it under vars: or pass --vars '{${name}: ...}'`,
      });
    },
  });
  const data = renderer.renderTree(raw, yaml, renderLater) as ProjectYaml;
  const list = (key: PathKey, dflt: string[]): string[] => data[key] ?? dflt;
  const hooks = (v: unknown): string[] =>
    v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
  const targetPath = targetPathOverride ?? data['target-path'] ?? 'target';
  return {
    projectDir: dir,
    file,
    name: data.name,
    version: data.version === undefined || data.version === null ? undefined : String(data.version),
    profile: data.profile ?? data.name,
    // `source-paths` and `data-paths` are dbt's older names, still read when the new ones are absent.
    modelPaths: list('model-paths', list('source-paths', ['models'])),
    seedPaths: list('seed-paths', list('data-paths', ['seeds'])),
    testPaths: list('test-paths', ['tests']),
    macroPaths: list('macro-paths', ['macros']),
    snapshotPaths: list('snapshot-paths', ['snapshots']),
    analysisPaths: list('analysis-paths', ['analyses']),
    docsPaths: list('docs-paths', []),
    targetPath: resolve(dir, targetPath),
    logPath: resolve(dir, data['log-path'] ?? 'logs'),
    cleanTargets: list('clean-targets', [targetPath]),
    vars: data.vars ?? {},
    models: data.models ?? {},
    seeds: data.seeds ?? {},
    dataTests: data.data_tests ?? data.tests ?? {},
    snapshots: data.snapshots ?? {},
    sources: data.sources ?? {},
    onRunStart: hooks(data['on-run-start']),
    onRunEnd: hooks(data['on-run-end']),
    concurrencyGroups: data.concurrency_groups ?? {},
    notifications: data.notifications ?? [],
    yaml,
    warnings,
    renderTarget: target,
  };
}

/** Every accepted spelling of a top-level key (`-` or `_` alike, as dbt reads them) → the spelling kiln uses. */
const knownKeys = new Map<string, string>();
for (const key of [...dbtProjectKeys, ...kilnProjectKeys])
  for (const spelling of [key, key.replace(/-/g, '_'), key.replace(/_/g, '-')]) knownKeys.set(spelling, key);
const fold = (key: string) => key.replace(/-/g, '_');

/**
 * dbt_project.yml with its top-level keys in one spelling; an unknown key is dropped with a
 * warning naming its line and the closest known key. Of two spellings of one key, the later wins.
 */
function canonicalKeys(file: YamlFile): { yaml: YamlFile; warnings: string[] } {
  const warnings: string[] = [];
  const raw = file.data;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { yaml: file, warnings };
  const data: Record<string, unknown> = {};
  const writtenAs = new Map<string, string>();
  for (const [key, value] of Object.entries(raw)) {
    const known = knownKeys.get(key);
    if (known === undefined) {
      const near = closestWord(fold(key), [...knownKeys.keys()].map(fold));
      const suggestion = near === undefined ? 'ignored' : `did you mean '${knownKeys.get(near) ?? near}'?`;
      warnings.push(`${file.file}:${file.lineOfKey([key]) ?? 1}: unknown key '${key}' (${suggestion})`);
      continue;
    }
    const earlier = writtenAs.get(known);
    if (earlier !== undefined)
      warnings.push(
        `${file.file}:${file.lineOfKey([key]) ?? 1}: '${key}' repeats ` +
          `'${earlier}' (line ${file.lineOfKey([earlier]) ?? '?'}); the ` +
          `later one is used`,
      );
    data[known] = value;
    writtenAs.set(known, key);
  }
  const asWritten = (path: ReadonlyArray<string | number>) =>
    typeof path[0] === 'string' && writtenAs.has(path[0]) ? [writtenAs.get(path[0])!, ...path.slice(1)] : path;
  return {
    yaml: {
      file: file.file,
      data,
      lineOf: (path) => file.lineOf(asWritten(path)),
      lineOfKey: (path) => file.lineOfKey(asWritten(path)),
    },
    warnings,
  };
}

/** `--vars` as YAML or JSON: `--vars '{key: value}'`. */
export function parseCliVars(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = loadYamlData(text, '--vars', { pyyaml: true });
  } catch (e) {
    throw new KilnError(
      'config',
      `--vars is not valid YAML: ${(e as KilnError).message.replace(/^invalid YAML: /, '').split('\n')[0]}`,
      { hint: `e.g. --vars '{start_date: "2024-01-01"}'` },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new KilnError('config', '--vars must be a YAML mapping', {
      hint: `e.g. --vars '{start_date: "2024-01-01"}'`,
    });
  }
  return parsed as Record<string, unknown>;
}

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KilnError } from '../errors.js';
import { readYamlFile, validateYaml, type YamlFile } from './yaml.js';
import { projectSchema } from './schemas.js';
import { ValueRenderer, envVar } from './render-values.js';
import { parse as parseYamlText } from 'yaml';

export interface ProjectConfig {
  projectDir: string;
  file: string;
  name: string;
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
  yaml: YamlFile;
}

// dbt renders dbt_project.yml but leaves these for later (they render per node or per run).
const renderLater = new Set(['vars', 'on-run-start', 'on-run-end', 'pre-hook', 'post-hook', '+pre-hook', '+post-hook', 'pre_hook', 'post_hook', '+pre_hook', '+post_hook', 'query-comment']);

export function loadProject(projectDir: string, cliVars: Record<string, unknown> = {}, targetPathOverride?: string): ProjectConfig {
  const dir = resolve(projectDir);
  const file = join(dir, 'dbt_project.yml');
  if (!existsSync(file)) {
    throw new KilnError('config', `no dbt_project.yml in ${dir}`, {
      hint: 'run kiln from a project folder, pass --project-dir, or create one with `kiln init`',
    });
  }
  const yaml = readYamlFile(file, 'dbt_project.yml');
  validateYaml(projectSchema, yaml);
  const raw = yaml.data as Record<string, any>;
  const vars = { ...(raw.vars ?? {}), ...cliVars };
  const renderer = new ValueRenderer({
    env_var: envVar,
    var: (name: string, dflt?: unknown) => {
      if (name in vars) return vars[name];
      if (dflt !== undefined) return dflt;
      throw new KilnError('config', `var '${name}' is not defined`, { file: 'dbt_project.yml', hint: `add it under vars: or pass --vars '{${name}: ...}'` });
    },
  });
  const data = renderer.renderTree(raw, yaml, renderLater) as Record<string, any>;
  const list = (key: string, dflt: string[]): string[] => (data[key] as string[] | undefined) ?? dflt;
  const hooks = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  const targetPath = targetPathOverride ?? (data['target-path'] as string | undefined) ?? 'target';
  return {
    projectDir: dir,
    file,
    name: data.name,
    profile: data.profile ?? data.name,
    modelPaths: list('model-paths', ['models']),
    seedPaths: list('seed-paths', ['seeds']),
    testPaths: list('test-paths', ['tests']),
    macroPaths: list('macro-paths', ['macros']),
    snapshotPaths: list('snapshot-paths', ['snapshots']),
    analysisPaths: list('analysis-paths', ['analyses']),
    docsPaths: list('docs-paths', []),
    targetPath: resolve(dir, targetPath),
    logPath: resolve(dir, (data['log-path'] as string | undefined) ?? 'logs'),
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
  };
}

/** `--vars` as YAML or JSON: `--vars '{key: value}'`. */
export function parseCliVars(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = parseYamlText(text);
  } catch (e) {
    throw new KilnError('config', `--vars is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { hint: `e.g. --vars '{start_date: "2024-01-01"}'` });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new KilnError('config', '--vars must be a YAML mapping', { hint: `e.g. --vars '{start_date: "2024-01-01"}'` });
  }
  return parsed as Record<string, unknown>;
}

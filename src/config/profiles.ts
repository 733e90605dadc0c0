import type { Adapter } from '../adapters/types.js';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { KilnError } from '../errors.js';
import { readYamlFile, validateYaml } from './yaml.js';
import { profilesFileSchema } from './schemas.js';
import { ValueRenderer } from './render-values.js';
import { envVar } from '../template/env-var.js';
import type { ProjectConfig } from './project.js';

/** Keys never exposed to templates through `target` or printed by `kiln debug`. */
export const secretKeys = new Set([
  'password',
  'pass',
  'token',
  'private_key',
  'private_key_passphrase',
  'keyfile_json',
  'client_secret',
  'refresh_token',
]);

/** The resolved connection settings for one run: dbt's `target`. */
export interface TargetConfig {
  profileName: string;
  targetName: string;
  type: string;
  threads: number;
  /** Every key of the output, rendered (secrets included; never print it whole). */
  settings: Record<string, unknown>;
  /** Where it came from, for `kiln debug`; undefined for the embedded default. */
  profilesFile?: string;
  /** The line of each key of the output in profilesFile, so an adapter can point at a bad setting. */
  settingLines?: Record<string, number>;
}

export interface ProfileOptions {
  profilesDir?: string;
  profile?: string;
  target?: string;
  threads?: number;
}

/** The lookup order: --profiles-dir, $KILN_PROFILES_DIR / $DBT_PROFILES_DIR, the project, ~/.kiln, ~/.dbt. */
export function findProfilesFile(
  project: ProjectConfig,
  profilesDir?: string,
): { file: string; explicit: boolean } | undefined {
  if (profilesDir) {
    const file = join(resolve(profilesDir), 'profiles.yml');
    if (!existsSync(file)) throw new KilnError('config', `no profiles.yml in --profiles-dir ${profilesDir}`);
    return { file, explicit: true };
  }
  const envDir = process.env.KILN_PROFILES_DIR ?? process.env.DBT_PROFILES_DIR;
  const candidates: Array<[string, boolean]> = [
    ...(envDir ? ([[join(resolve(envDir), 'profiles.yml'), true]] as Array<[string, boolean]>) : []),
    [join(project.projectDir, 'profiles.yml'), true],
    [join(homedir(), '.kiln', 'profiles.yml'), false],
    [join(homedir(), '.dbt', 'profiles.yml'), false],
  ];
  for (const [file, explicit] of candidates) if (existsSync(file)) return { file, explicit };
  return undefined;
}

/** The embedded default: a DuckDB file under the target path. */
export function embeddedTarget(project: ProjectConfig, threads?: number): TargetConfig {
  return {
    profileName: project.profile,
    targetName: 'dev',
    type: 'duckdb',
    threads: threads ?? 4,
    settings: {
      type: 'duckdb',
      path: join(relative(project.projectDir, project.targetPath) || '.', 'kiln.duckdb'),
      schema: 'main',
    },
  };
}

export function resolveTarget(
  project: ProjectConfig,
  opts: ProfileOptions,
  notice: (msg: string) => void,
): TargetConfig {
  const found = findProfilesFile(project, opts.profilesDir);
  const profileName = opts.profile ?? project.profile;
  if (!found) {
    if (opts.profile || opts.target) {
      throw new KilnError('config', `no profiles.yml found for profile '${profileName}'`, {
        hint: 'create profiles.yml in the project folder or ~/.kiln, or pass --profiles-dir',
      });
    }
    notice(
      `No profiles.yml found: using the embedded DuckDB database ${embeddedTarget(project).settings.path as string}`,
    );
    return embeddedTarget(project, opts.threads);
  }
  const display = found.file;
  const yaml = readYamlFile(found.file, display);
  validateYaml(profilesFileSchema, yaml);
  const profiles = yaml.data as Record<string, { target?: string; outputs?: Record<string, Record<string, unknown>> }>;
  const profile = profiles[profileName];
  if (!profile) {
    if (!found.explicit && !opts.profile && !opts.target) {
      notice(`Profile '${profileName}' is not in ${display}: using the embedded DuckDB database`);
      return embeddedTarget(project, opts.threads);
    }
    const known = Object.keys(profiles).filter((k) => k !== 'config');
    throw new KilnError('config', `profile '${profileName}' is not defined in profiles.yml`, {
      file: display,
      hint: known.length ? `defined profiles: ${known.join(', ')}` : 'add it, or set `profile:` in dbt_project.yml',
    });
  }
  const renderer = new ValueRenderer({ env_var: envVar });
  const targetName =
    opts.target ??
    (profile.target !== undefined
      ? String(renderer.render(profile.target, display, yaml.lineOf([profileName, 'target'])))
      : 'dev');
  const outputs = profile.outputs ?? {};
  const raw = outputs[targetName];
  if (!raw) {
    throw new KilnError('config', `target '${targetName}' is not defined in profile '${profileName}'`, {
      file: display,
      line: yaml.lineOf([profileName, 'outputs']),
      hint: `defined targets: ${Object.keys(outputs).join(', ') || '(none)'}`,
    });
  }
  const settings = renderer.renderTree(raw, yaml, new Set(), [profileName, 'outputs', targetName]) as Record<
    string,
    unknown
  >;
  validateYaml(targetSchema, yaml, settings, [profileName, 'outputs', targetName]);
  return {
    profileName,
    targetName,
    type: String(settings.type),
    threads: opts.threads ?? (settings.threads as number | undefined) ?? 1,
    settings,
    profilesFile: display,
    settingLines: Object.fromEntries(
      Object.keys(settings).flatMap((key) => {
        const line = yaml.lineOfKey([profileName, 'outputs', targetName, key]);
        return line === undefined ? [] : [[key, line]];
      }),
    ),
  };
}

const targetSchema = {
  type: 'object',
  required: ['type'],
  properties: {
    // Any registered adapter type; an unknown one is reported with the known ones by the factory.
    type: { type: 'string', minLength: 1 },
    threads: { type: 'integer', minimum: 1 },
    schema: { type: 'string' },
    port: { type: 'integer' },
  },
} as const;

/** The target as templates see it (`target.name`, `target.type`, `target.schema`, ...), secrets left out. */
export function targetContext(
  target: TargetConfig,
  adapter: Pick<Adapter, 'type' | 'defaultSchema' | 'defaultDatabase'>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target.settings)) if (!secretKeys.has(k)) out[k] = v;
  return {
    ...out,
    name: target.targetName,
    target_name: target.targetName,
    profile_name: target.profileName,
    type: adapter.type,
    schema: adapter.defaultSchema,
    database: adapter.defaultDatabase,
    threads: target.threads,
  };
}

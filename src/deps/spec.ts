/**
 * packages.yml / dependencies.yml and package-lock.yml: what a project (or a package) asks
 * for, and what `kiln deps` installed last time. Reading only; no network, no installing.
 * Strings are rendered as dbt renders them (`env_var()`, and `var()` from --vars); the text as
 * written is kept too, because the lock records git URLs unrendered (a token stays a call to
 * `env_var`) and dbt's `sha1_hash` covers both.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { yamlLibrary } from '../yaml/library.js';
import { KilnError } from '../errors.js';
import { closestWord, parseYaml, type YamlFile } from '../config/yaml.js';
import { readTextFile } from '../config/text-file.js';
import { ValueRenderer } from '../config/render-values.js';
import { envVar } from '../template/env-var.js';
import { checkedGitUrl, checkedRevision } from './git.js';

export type PackageSpec =
  | { kind: 'local'; local: string }
  | { kind: 'git'; git: string; gitUnrendered: string; revision?: string; subdirectory?: string; warnUnpinned: boolean }
  | { kind: 'hub'; package: string; version: string[]; installPrerelease: boolean };

export interface PackagesFile {
  /** packages.yml or dependencies.yml. */
  file: string;
  packages: PackageSpec[];
  /** dbt's `sha1_hash` of the declared packages: a lock with another hash is stale. */
  hash: string;
}

/** Renders package entries: `env_var()` and `var()` of --vars, as dbt's package renderer. */
export function packageRenderer(cliVars: Record<string, unknown>): ValueRenderer {
  return new ValueRenderer({
    env_var: envVar,
    var: (name: string, fallback?: unknown) => {
      if (Object.prototype.hasOwnProperty.call(cliVars, name)) return cliVars[name];
      if (fallback !== undefined) return fallback;
      throw new KilnError('config', `var '${name}' is not defined (package files see only --vars)`, {
        hint: `pass --vars '{${name}: ...}' to kiln deps`,
      });
    },
  });
}

/**
 * The packages a project folder declares: packages.yml, or dependencies.yml (which wins, as in
 * dbt, when it has `packages:`); undefined when the folder has neither. `label` names the folder
 * in errors (a package's files are reported as `in package x: packages.yml`).
 */
export function readPackagesFile(dir: string, renderer: ValueRenderer, label?: string): PackagesFile | undefined {
  const found: Array<{ name: string; yaml: YamlFile }> = [];
  for (const name of ['packages.yml', 'dependencies.yml']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const display = label ? `${label}/${name}` : name;
    const yaml = parseYaml(readTextFile(path, display), display);
    const data = checkedShape(yaml, name);
    if (data.packages !== undefined && data.packages !== null) found.push({ name, yaml });
  }
  if (found.length === 0) return undefined;
  if (found.length > 1)
    throw new KilnError(
      'yaml',
      `packages: is in both packages.yml and dependencies.yml${label ? ` of ${label}` : ''}`,
      { hint: 'keep the list in one of the two files' },
    );
  const { name, yaml } = found[0]!;
  const raw = (yaml.data as Record<string, unknown>).packages;
  if (!Array.isArray(raw))
    throw new KilnError('yaml', `packages: in ${name} must be a list`, {
      file: yaml.file,
      line: yaml.lineOf(['packages']),
    });
  const lines = raw.map((_, i) => yaml.lineOf(['packages', i]));
  const rendered = raw.map((entry, i) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry))
      throw new KilnError('yaml', 'a package entry needs local:, git: or package:', {
        file: yaml.file,
        line: lines[i],
        hint: 'see docs/packages.md',
      });
    return renderer.renderTree(entry, yaml, new Set(), ['packages', i]) as Record<string, unknown>;
  });
  const packages = rendered.map((entry, i) => toSpec(entry, raw[i] as Record<string, unknown>, yaml.file, lines[i]));
  return { file: name, packages, hash: dbtPackagesHash(rendered, raw as Array<Record<string, unknown>>) };
}

/** packages.yml holds `packages:`; dependencies.yml also `projects:` (dbt Mesh), which kiln does not read. */
const topLevelKeys: Record<string, string[]> = {
  'packages.yml': ['packages'],
  'dependencies.yml': ['packages', 'projects'],
};

/** The file's mapping, after refusing any other shape and any key but its known ones. */
function checkedShape(yaml: YamlFile, name: string): Record<string, unknown> {
  const data = yaml.data;
  const example = 'packages:\n    - package: dbt-labs/dbt_utils\n      version: 1.3.0';
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data))
    throw new KilnError('yaml', `${name} needs a top-level 'packages:' list`, {
      file: yaml.file,
      line: 1,
      hint: example,
    });
  const known = topLevelKeys[name] ?? ['packages'];
  for (const key of Object.keys(data)) {
    if (known.includes(key)) continue;
    const near = closestWord(key, known);
    throw new KilnError('yaml', `unknown key '${key}' in ${name}${near ? ` (did you mean '${near}'?)` : ''}`, {
      file: yaml.file,
      line: yaml.lineOfKey([key]),
      hint: example,
    });
  }
  return data as Record<string, unknown>;
}

export function toSpec(
  e: Record<string, unknown>,
  raw: Record<string, unknown>,
  file: string,
  line: number | undefined,
): PackageSpec {
  const text = (key: string): string | undefined => {
    const v = e[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    throw new KilnError('yaml', `${key}: of a package must be a string`, { file, line });
  };
  const local = text('local');
  const git = text('git');
  const pkg = text('package');
  if ([local, git, pkg].filter((v) => v !== undefined).length > 1)
    throw new KilnError('yaml', 'a package entry has exactly one of local:, git: and package:', { file, line });
  if (local !== undefined) {
    if (!local) throw new KilnError('yaml', 'local: of a package is empty', { file, line });
    return { kind: 'local', local };
  }
  if (git !== undefined) {
    if (!git) throw new KilnError('yaml', 'git: of a package is empty', { file, line });
    const rawGit = typeof raw.git === 'string' ? raw.git : git;
    const warn = e['warn-unpinned'] ?? e.warn_unpinned;
    const revision = text('revision');
    checkedGitUrl(git, { file, line }, rawGit);
    if (revision !== undefined) checkedRevision(revision, rawGit, { file, line });
    return {
      kind: 'git',
      git,
      gitUnrendered: rawGit,
      revision,
      subdirectory: text('subdirectory'),
      warnUnpinned: warn !== false,
    };
  }
  if (pkg !== undefined) {
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(pkg) || pkg.includes('..')) {
      throw new KilnError(
        'yaml',
        `hub package names look like namespace/name (e.g. dbt-labs/dbt_utils), not '${pkg}'`,
        { file, line },
      );
    }
    if (e.version === undefined || e.version === null || e.version === '') {
      throw new KilnError('yaml', `package '${pkg}' needs a version:`, {
        file,
        line,
        hint: 'e.g. version: [">=1.0.0", "<2.0.0"] or version: 1.3.3',
      });
    }
    const version = (Array.isArray(e.version) ? e.version : [e.version])
      .flatMap((v) => String(v).split(','))
      .map((v) => v.trim());
    const pre = e.install_prerelease ?? e['install-prerelease'];
    return { kind: 'hub', package: pkg, version, installPrerelease: pre === true };
  }
  if (typeof e.tarball === 'string' || typeof e.private === 'string') {
    throw new KilnError(
      'yaml',
      `${typeof e.tarball === 'string' ? 'tarball:' : 'private:'} packages are not supported by kiln yet`,
      { file, line, hint: 'use git: with the repository instead' },
    );
  }
  throw new KilnError('yaml', 'a package entry needs local:, git: or package:', {
    file,
    line,
    hint: 'see docs/packages.md',
  });
}

/** dbt's to_dict() of a package entry: every field of its kind, with the entry as written under `unrendered`. */
function dbtEntryDict(e: Record<string, unknown>, raw: Record<string, unknown>): Record<string, unknown> {
  const v = (key: string) => (e[key] === undefined ? null : e[key]);
  let out: Record<string, unknown>;
  if (e.local !== undefined) out = { local: e.local };
  else if (e.git !== undefined)
    out = {
      git: e.git,
      revision: v('revision'),
      'warn-unpinned': e['warn-unpinned'] ?? e.warn_unpinned ?? null,
      subdirectory: v('subdirectory'),
    };
  else
    out = {
      package: e.package,
      version: e.version,
      install_prerelease: e.install_prerelease ?? e['install-prerelease'] ?? false,
    };
  out.unrendered = raw;
  if (e.name !== undefined && e.name !== null) out.name = e.name;
  return out;
}

/** dbt's `sha1_hash`: the sorted JSON (Python's json.dumps, sorted keys) of each declared entry, one per line. */
export function dbtPackagesHash(rendered: Array<Record<string, unknown>>, raw: Array<Record<string, unknown>>): string {
  const lines = rendered.map((e, i) => pythonJson(dbtEntryDict(e, raw[i] ?? e))).sort();
  return createHash('sha1').update(lines.join('\n')).digest('hex');
}

/** JSON as Python's json.dumps(sort_keys=True) writes it: `, ` and `: ` separators, ASCII only. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number')
    return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'string') return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value instanceof Date) return pythonString(value.toISOString());
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${pythonString(k)}: ${pythonJson(v)}`).join(', ')}}`;
}

function pythonString(s: string): string {
  const escapes: Record<string, string> = {
    '"': '\\"',
    '\\': '\\\\',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
    '\b': '\\b',
    '\f': '\\f',
  };
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    if (escapes[ch]) out += escapes[ch];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** One installed package as package-lock.yml records it. */
export type LockedPackage =
  | { kind: 'local'; local: string; name: string }
  | { kind: 'git'; git: string; gitUnrendered: string; revision: string; subdirectory?: string; name: string }
  | { kind: 'hub'; package: string; version: string; name: string };

/**
 * package-lock.yml in dbt's shape: every installed package pinned (transitive ones too), plus the hash of the declared
 * list.
 */
export function writeLockText(packages: LockedPackage[], hash: string): string {
  const entries = packages.map((p) => {
    if (p.kind === 'local') return { local: p.local, name: p.name };
    if (p.kind === 'git')
      return {
        git: p.gitUnrendered,
        revision: p.revision,
        ...(p.subdirectory ? { subdirectory: p.subdirectory } : {}),
        name: p.name,
      };
    return { package: p.package, version: p.version, name: p.name };
  });
  return yamlLibrary().stringify({ packages: entries, sha1_hash: hash }, { sortMapEntries: true });
}

/** The packages of package-lock.yml, if it was written for this very list of declared packages (same hash). */
export function readLock(
  projectDir: string,
  declared: PackagesFile,
  renderer: ValueRenderer,
): LockedPackage[] | undefined {
  const path = join(projectDir, 'package-lock.yml');
  if (!existsSync(path)) return undefined;
  const yaml = parseYaml(readFileSync(path, 'utf8'), 'package-lock.yml');
  const data = yaml.data as { packages?: unknown; sha1_hash?: unknown } | null;
  if (!data || data.sha1_hash !== declared.hash || !Array.isArray(data.packages)) return undefined;
  return data.packages.map((entry, i) => {
    const line = yaml.lineOf(['packages', i]);
    if (!entry || typeof entry !== 'object')
      throw new KilnError('yaml', 'a package-lock.yml entry must be a mapping', {
        file: 'package-lock.yml',
        line,
        hint: 'delete package-lock.yml and run `kiln deps` again',
      });
    const raw = entry as Record<string, unknown>;
    const rendered = renderer.renderTree(raw, yaml, new Set(), ['packages', i]) as Record<string, unknown>;
    const spec = toSpec(rendered, raw, 'package-lock.yml', line);
    const name = typeof raw.name === 'string' ? raw.name : '';
    if (spec.kind === 'local') return { kind: 'local', local: spec.local, name };
    if (spec.kind === 'git') {
      if (!spec.revision)
        throw new KilnError('yaml', `the git package ${spec.gitUnrendered} has no revision in package-lock.yml`, {
          file: 'package-lock.yml',
          line,
          hint: 'delete package-lock.yml and run `kiln deps` again',
        });
      return {
        kind: 'git',
        git: spec.git,
        gitUnrendered: spec.gitUnrendered,
        revision: spec.revision,
        subdirectory: spec.subdirectory,
        name,
      };
    }
    if (spec.version.length !== 1)
      throw new KilnError('yaml', `package ${spec.package} in package-lock.yml must name one version`, {
        file: 'package-lock.yml',
        line,
      });
    return { kind: 'hub', package: spec.package, version: spec.version[0]!, name };
  });
}

/** How a spec reads in messages: the hub name, the git URL as written, or the local path. */
export function specSource(p: PackageSpec | LockedPackage): string {
  return p.kind === 'local'
    ? p.local
    : p.kind === 'git'
      ? `${p.gitUnrendered}${p.subdirectory ? ` (subdirectory ${p.subdirectory})` : ''}`
      : p.package;
}

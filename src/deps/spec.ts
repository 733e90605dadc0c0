/**
 * packages.yml / dependencies.yml and package-lock.yml: what a project asks for, and what
 * `kiln deps` installed last time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { KilnError } from '../errors.js';

export type PackageSpec =
  | { kind: 'local'; local: string }
  | { kind: 'git'; git: string; revision?: string; subdirectory?: string }
  | { kind: 'hub'; package: string; version: string[] };

export interface PackagesFile {
  file: string;
  /** The file's text, whose hash ties a lock to it. */
  text: string;
  packages: PackageSpec[];
}

/** packages.yml, else dependencies.yml; undefined when the project has neither. */
export function readPackagesFile(projectDir: string): PackagesFile | undefined {
  for (const name of ['packages.yml', 'dependencies.yml']) {
    const file = join(projectDir, name);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (e) {
      throw new KilnError('yaml', `${name} is not valid YAML: ${(e as Error).message}`, { file: name });
    }
    const list = (data as { packages?: unknown } | null)?.packages ?? [];
    if (!Array.isArray(list)) throw new KilnError('yaml', `packages: in ${name} must be a list`, { file: name });
    return { file: name, text, packages: list.map((entry, i) => toSpec(entry, name, lineOf(text, i))) };
  }
  return undefined;
}

function lineOf(text: string, index: number): number | undefined {
  let seen = -1;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (/^\s*-\s/.test(lines[i]!) && ++seen === index) return i + 1;
  return undefined;
}

function toSpec(entry: unknown, file: string, line: number | undefined): PackageSpec {
  const e = (entry ?? {}) as Record<string, unknown>;
  if (typeof e.local === 'string') return { kind: 'local', local: e.local };
  if (typeof e.git === 'string') {
    const revision = e.revision === undefined || e.revision === null ? undefined : String(e.revision);
    return { kind: 'git', git: e.git, revision, subdirectory: typeof e.subdirectory === 'string' ? e.subdirectory : undefined };
  }
  if (typeof e.package === 'string') {
    if (e.version === undefined || e.version === null) throw new KilnError('yaml', `package '${e.package}' needs a version:`, { file, line, hint: 'e.g. version: [">=1.0.0", "<2.0.0"] or version: 1.3.3' });
    const version = (Array.isArray(e.version) ? e.version : [e.version]).map(String);
    return { kind: 'hub', package: e.package, version };
  }
  throw new KilnError('yaml', `a package entry needs local:, git: or package:`, { file, line, hint: 'see docs/packages.md' });
}

export interface LockEntry {
  spec: PackageSpec;
  /** The package's project name (its folder under dbt_packages/). */
  name: string;
  /** For git and hub packages: the commit installed. */
  commit?: string;
}

export function hashSpec(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** package-lock.yml in dbt's shape: each package pinned, plus the hash of the file it came from. */
export function writeLockText(entries: LockEntry[], specText: string): string {
  const packages = entries.map((e) => {
    if (e.spec.kind === 'local') return { local: e.spec.local, name: e.name };
    if (e.spec.kind === 'git') return { git: e.spec.git, revision: e.commit ?? e.spec.revision, ...(e.spec.subdirectory ? { subdirectory: e.spec.subdirectory } : {}), name: e.name };
    return { package: e.spec.package, version: e.spec.version[0], name: e.name };
  });
  return stringifyYaml({ packages, sha1_hash: hashSpec(specText) });
}

/** The pinned specs of package-lock.yml, if it was written for this very packages file. */
export function readLock(projectDir: string, spec: PackagesFile): PackageSpec[] | undefined {
  const file = join(projectDir, 'package-lock.yml');
  if (!existsSync(file)) return undefined;
  const data = parseYaml(readFileSync(file, 'utf8')) as { packages?: unknown[]; sha1_hash?: string } | null;
  if (!data || data.sha1_hash !== hashSpec(spec.text) || !Array.isArray(data.packages)) return undefined;
  return data.packages.map((p) => toSpec(p, 'package-lock.yml', undefined));
}

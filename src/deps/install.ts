/**
 * `kiln deps`: installs the packages of packages.yml into dbt_packages/ and writes
 * package-lock.yml. Local packages are linked; git packages are cloned with the `git`
 * program; hub packages resolve to their git repository through the hub index.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KilnError } from '../errors.js';
import type { ProjectConfig } from '../config/project.js';
import { packagesInstallPath } from './installed.js';
import { readLock, readPackagesFile, writeLockText, type LockEntry, type PackageSpec } from './spec.js';
import { hubRepository, pickVersion } from './hub.js';

export interface DepsOptions {
  /** Ignore package-lock.yml and resolve versions afresh. */
  upgrade?: boolean;
  /** Where hub package names resolve to git URLs (a JSON file or http URL); see docs/packages.md. */
  hubIndex?: string;
  log?: (message: string) => void;
}

export interface DepsResult {
  installed: Array<{ name: string; source: string; version?: string; commit?: string }>;
  lockFile?: string;
}

export async function installDeps(project: ProjectConfig, opts: DepsOptions = {}): Promise<DepsResult> {
  const log = opts.log ?? (() => undefined);
  const spec = readPackagesFile(project.projectDir);
  if (!spec) {
    log('no packages.yml or dependencies.yml: nothing to install');
    return { installed: [] };
  }
  const locked = opts.upgrade ? undefined : readLock(project.projectDir, spec);
  const wanted = locked ?? spec.packages;
  const dest = packagesInstallPath(project);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const entries: LockEntry[] = [];
  const installed: DepsResult['installed'] = [];
  for (const p of wanted) {
    const entry = await installOne(p, project.projectDir, dest, opts);
    entries.push(entry);
    const source = p.kind === 'local' ? p.local : p.kind === 'git' ? p.git : p.package;
    const version = p.kind === 'hub' ? (entry.spec as { version: string[] }).version[0] : p.kind === 'git' ? p.revision : undefined;
    installed.push({ name: entry.name, source, version, commit: entry.commit });
    log(`installed ${entry.name} from ${source}${version ? ` (${version})` : ''}`);
  }
  const lockFile = join(project.projectDir, 'package-lock.yml');
  writeFileSync(lockFile, writeLockText(entries, spec.text));
  return { installed, lockFile };
}

async function installOne(p: PackageSpec, projectDir: string, dest: string, opts: DepsOptions): Promise<LockEntry> {
  if (p.kind === 'local') {
    const dir = isAbsolute(p.local) ? p.local : resolve(projectDir, p.local);
    const name = packageName(dir, p.local);
    // A link, as dbt makes: edits to a local package show without reinstalling.
    symlinkSync(dir, join(dest, name), 'dir');
    return { spec: p, name };
  }
  if (p.kind === 'git') return installGit(p.git, p.revision, p.subdirectory, dest, p);
  const repo = await hubRepository(p.package, opts.hubIndex);
  const tags = listTags(repo);
  const tag = pickVersion(tags, p.version);
  if (!tag) throw new KilnError('config', `no version of ${p.package} satisfies ${p.version.join(', ')}`, { file: 'packages.yml', hint: `available: ${tags.slice(-8).join(', ') || 'none'}` });
  const entry = installGit(repo, tag, undefined, dest, { ...p, version: [tag.replace(/^v/, '')] });
  return entry;
}

function git(args: string[], cwd?: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    if (err.code === 'ENOENT') throw new KilnError('config', 'kiln deps needs the git program to install git and hub packages', { hint: 'install git and run `kiln deps` again' });
    throw new KilnError('config', `git ${args[0]} failed: ${(err.stderr || err.message).trim().split('\n').pop()}`, { file: 'packages.yml' });
  }
}

function listTags(repo: string): string[] {
  return git(['ls-remote', '--tags', '--refs', repo])
    .split('\n')
    .map((l) => l.split('\trefs/tags/')[1])
    .filter((t): t is string => Boolean(t));
}

function installGit(url: string, revision: string | undefined, subdirectory: string | undefined, dest: string, spec: PackageSpec): LockEntry {
  const tmp = mkdtempSync(join(tmpdir(), 'kiln-deps-'));
  try {
    git(['clone', '--quiet', url, tmp]);
    if (revision) git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', revision], tmp);
    const commit = git(['rev-parse', 'HEAD'], tmp);
    const root = subdirectory ? join(tmp, subdirectory) : tmp;
    const name = packageName(root, url);
    cpSync(root, join(dest, name), { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('.git') });
    return { spec: spec.kind === 'git' ? { ...spec, revision: commit } : spec, name, commit };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function packageName(dir: string, source: string): string {
  const file = join(dir, 'dbt_project.yml');
  if (!existsSync(file)) throw new KilnError('config', `${source} has no dbt_project.yml, so it is not a dbt package`, { file: 'packages.yml', hint: 'for a package in a subfolder of a repository, add subdirectory:' });
  const name = (parseYaml(readFileSync(file, 'utf8')) as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || !name) throw new KilnError('config', `the dbt_project.yml of ${source} has no name`, { file: 'packages.yml' });
  return name;
}

/**
 * `kiln deps`: resolves the declared packages (or takes package-lock.yml's), fetches each into
 * a staging folder beside the install folder (`dbt_packages.kiln_tmp-<random>`), and only when
 * every package succeeded swaps it into place and writes package-lock.yml. A failure removes
 * the staging folder and leaves the installed packages and the lock as they were.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { KilnError } from '../errors.js';
import type { ProjectConfig } from '../config/project.js';
import { parseYaml } from '../config/yaml.js';
import { packageRenderer, readLock, readPackagesFile, toSpec, writeLockText, type LockedPackage } from './spec.js';
import { HubClient } from './hub.js';
import { cloneAt } from './git.js';
import { download, extractPackage, gunzip, readTar } from './tarball.js';
import {
  assertNoEscapingLinks,
  assertPackageName,
  checkedInstallPath,
  checkedSubdirectory,
  isStrictlyInside,
} from './paths.js';
import {
  isRelativeGitPath,
  resolvePackages,
  type PackageMetadata,
  type PackageReader,
  type Pin,
  type Requirement,
} from './resolve.js';
import type { ValueRenderer } from '../config/render-values.js';

export interface InstallOptions {
  /** Ignore package-lock.yml and resolve versions afresh. */
  upgrade?: boolean;
  /** The hub (dbt Hub API); KILN_HUB_URL, DBT_PACKAGE_HUB_URL or hub.getdbt.com by default. */
  hubUrl?: string;
  /** --vars, for `var()` in package files. */
  cliVars?: Record<string, unknown>;
  log?: (level: 'info' | 'warn', message: string) => void;
}

export interface InstalledInfo {
  name: string;
  /** The hub name, git URL or local path. */
  source: string;
  /** Hub packages: the version; git packages: the revision asked for. */
  version?: string;
  /** Git packages: the commit installed. */
  commit?: string;
  /** Who asked for it: `packages.yml`, `package-lock.yml` or `package 'x'`. */
  requiredBy: string[];
}

export interface DepsResult {
  installed: InstalledInfo[];
  lockFile?: string;
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

export async function installDeps(project: ProjectConfig, opts: InstallOptions = {}): Promise<DepsResult> {
  const log = opts.log ?? (() => undefined);
  const renderer = packageRenderer(opts.cliVars ?? {});
  const declared = readPackagesFile(project.projectDir, renderer);
  if (!declared) {
    log('info', 'no packages.yml or dependencies.yml: nothing to install');
    return { installed: [] };
  }
  if (process.env.KILN_HUB_INDEX && !opts.hubUrl && !process.env.KILN_HUB_URL)
    log(
      'warn',
      'KILN_HUB_INDEX is no longer read: set KILN_HUB_URL (or --hub-url) to a hub that serves the dbt Hub API',
    );
  const installPath = checkedInstallPath(project, opts.cliVars);
  mkdirSync(dirname(installPath), { recursive: true });
  recoverInterruptedSwap(installPath, log);
  const staging = mkdtempSync(`${installPath}.kiln_tmp-`);
  try {
    const fetcher = new PackageFetcher(
      project,
      join(staging, '.kiln-downloads'),
      renderer,
      new HubClient(opts.hubUrl, (m) => log('warn', m)),
      log,
    );
    const locked = opts.upgrade ? undefined : readLock(project.projectDir, declared, renderer);
    let pins: Pin[];
    if (locked) {
      log('info', `installing the ${locked.length} package${locked.length === 1 ? '' : 's'} of package-lock.yml`);
      pins = locked.map((l) => pinFromLock(l, project.projectDir));
    } else {
      const root: Requirement[] = declared.packages.map((spec) => ({
        spec,
        requirer: declared.file,
        baseDir: project.projectDir,
      }));
      pins = (await resolvePackages(root, fetcher)).map((r) => r.pin);
    }
    const entries: LockedPackage[] = [];
    const installed: InstalledInfo[] = [];
    for (const [i, pin] of pins.entries()) {
      const placed = await fetcher.place(pin, staging);
      const lockName = locked?.[i]?.name;
      if (lockName && lockName !== placed.locked.name)
        log(
          'warn',
          `package-lock.yml names ${placed.info.source} '${lockName}', ` +
            `but its dbt_project.yml says '${placed.locked.name}'`,
        );
      entries.push(placed.locked);
      installed.push(placed.info);
      log(
        'info',
        `installed ${placed.info.name}${placed.info.version ? ` ${placed.info.version}` : ''} ` +
          `from ${placed.info.source}`,
      );
    }
    rmSync(join(staging, '.kiln-downloads'), { recursive: true, force: true });
    swapIntoPlace(staging, installPath);
    const lockFile = join(project.projectDir, 'package-lock.yml');
    const tmpLock = `${lockFile}.kiln_tmp-${randomBytes(4).toString('hex')}`;
    writeFileSync(tmpLock, writeLockText(entries, declared.hash));
    renameSync(tmpLock, lockFile);
    return { installed, lockFile };
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}

function pinFromLock(l: LockedPackage, projectDir: string): Pin {
  const requirer = 'package-lock.yml';
  if (l.kind === 'hub') {
    return {
      kind: 'hub',
      key: `hub:${l.package}`,
      package: l.package,
      version: l.version,
      requirements: [
        {
          spec: { kind: 'hub', package: l.package, version: [l.version], installPrerelease: true },
          requirer,
          baseDir: projectDir,
        },
      ],
    };
  }
  if (l.kind === 'git') {
    const url = isRelativeGitPath(l.git) ? resolve(projectDir, l.git) : l.git;
    const spec = {
      kind: 'git' as const,
      git: l.git,
      gitUnrendered: l.gitUnrendered,
      revision: l.revision,
      subdirectory: l.subdirectory,
      warnUnpinned: false,
    };
    return {
      kind: 'git',
      key: `git:${url}`,
      url,
      gitUnrendered: l.gitUnrendered,
      revision: l.revision,
      subdirectory: l.subdirectory,
      warnUnpinned: false,
      requirements: [{ spec, requirer, baseDir: projectDir }],
    };
  }
  return {
    kind: 'local',
    key: `local:${l.local}`,
    dir: resolve(projectDir, l.local),
    local: l.local,
    requirements: [{ spec: { kind: 'local', local: l.local }, requirer, baseDir: projectDir }],
  };
}

/** Puts back an install folder that a killed swap left renamed, and removes staging leftovers. */
function recoverInterruptedSwap(installPath: string, log: NonNullable<InstallOptions['log']>): void {
  const parent = dirname(installPath);
  if (!existsSync(parent)) return;
  const base = basename(installPath);
  for (const entry of readdirSync(parent).sort()) {
    const path = join(parent, entry);
    if (entry.startsWith(`${base}.kiln_old-`)) {
      if (!existsSync(installPath)) {
        renameSync(path, installPath);
        log('warn', `restored ${base}/ from an interrupted kiln deps`);
      } else rmSync(path, { recursive: true, force: true });
    } else if (entry.startsWith(`${base}.kiln_tmp-`)) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Replaces the install folder by the staging folder: the old one is renamed aside, the new one renamed in, the old one
 * removed.
 */
function swapIntoPlace(staging: string, installPath: string): void {
  let old: string | undefined;
  if (existsSync(installPath)) {
    old = `${installPath}.kiln_old-${randomBytes(4).toString('hex')}`;
    renameSync(installPath, old);
  }
  try {
    renameSync(staging, installPath);
  } catch (e) {
    if (old) renameSync(old, installPath);
    throw e;
  }
  if (old) rmSync(old, { recursive: true, force: true });
}

/** The validated `name:` of a package's dbt_project.yml. */
function packageProjectName(dir: string, source: string): string {
  const file = join(dir, 'dbt_project.yml');
  if (!existsSync(file))
    throw new KilnError('config', `${source} has no dbt_project.yml, so it is not a dbt package`, {
      file: 'packages.yml',
      hint: 'for a package in a subfolder of a repository, add subdirectory:',
    });
  const yaml = parseYaml(readFileSync(file, 'utf8'), `${source}: dbt_project.yml`);
  return assertPackageName((yaml.data as { name?: unknown } | null)?.name, source);
}

function pinSource(pin: Pin): string {
  if (pin.kind === 'hub') return pin.package;
  if (pin.kind === 'git') return `${pin.gitUnrendered}${pin.subdirectory ? ` (subdirectory ${pin.subdirectory})` : ''}`;
  return pin.local;
}

const pinSignature = (pin: Pin) =>
  `${pin.key}@${pin.kind === 'hub' ? pin.version : pin.kind === 'git' ? (pin.revision ?? 'HEAD') : ''}`;

/** Fetches packages into the downloads folder, reads what they declare, and moves them into the staging folder. */
class PackageFetcher implements PackageReader {
  private next = 0;
  private readonly metadataCache = new Map<string, Promise<PackageMetadata>>();
  private readonly checkouts = new Map<string, { root: string; commit: string }>();
  private readonly archives = new Map<string, Promise<string>>();

  constructor(
    private readonly project: ProjectConfig,
    private readonly downloads: string,
    private readonly renderer: ValueRenderer,
    private readonly hub: HubClient,
    private readonly log: NonNullable<InstallOptions['log']>,
  ) {
    mkdirSync(downloads, { recursive: true });
  }

  async hubVersions(pkg: string): Promise<string[]> {
    return Object.keys(await this.hub.versions(pkg));
  }

  metadata(pin: Pin): Promise<PackageMetadata> {
    const sig = pinSignature(pin);
    let cached = this.metadataCache.get(sig);
    if (!cached) {
      cached = this.readMetadata(pin);
      this.metadataCache.set(sig, cached);
    }
    return cached;
  }

  private async readMetadata(pin: Pin): Promise<PackageMetadata> {
    if (pin.kind === 'hub') {
      const v = await this.hub.version(pin.package, pin.version);
      if (v.packages) {
        const name = assertPackageName(v.name, `${pin.package} ${pin.version} on the hub`);
        const where = `the hub's entry for ${pin.package} ${pin.version}`;
        return {
          name,
          requires: v.packages.map((entry) => ({
            spec: toSpec(entry, entry, where, undefined),
            requirer: `package '${name}'`,
          })),
        };
      }
      return this.readFolder(await this.archive(pin), `${pin.package} ${pin.version}`, undefined);
    }
    if (pin.kind === 'git') return this.readFolder(this.packageDir(pin), pinSource(pin), undefined);
    if (!existsSync(pin.dir))
      throw new KilnError(
        'config',
        `the local package '${pin.local}' (${pin.requirements.map((r) => r.requirer).join(', ')}) ` +
          `does not exist: ${pin.dir}`,
        { file: 'packages.yml' },
      );
    return this.readFolder(pin.dir, `local package ${pin.local}`, pin.dir);
  }

  private readFolder(dir: string, source: string, baseDir: string | undefined): PackageMetadata {
    const name = packageProjectName(dir, source);
    const file = readPackagesFile(dir, this.renderer, `package ${name}`);
    return { name, requires: (file?.packages ?? []).map((spec) => ({ spec, requirer: `package '${name}'`, baseDir })) };
  }

  private checkout(pin: Extract<Pin, { kind: 'git' }>): { root: string; commit: string } {
    const sig = pinSignature(pin);
    let c = this.checkouts.get(sig);
    if (!c) {
      const root = join(this.downloads, `git-${this.next++}`);
      if ((pin.revision === undefined || ['HEAD', 'main', 'master'].includes(pin.revision)) && pin.warnUnpinned) {
        this.log(
          'warn',
          `git package ${pin.gitUnrendered} is not pinned to a tag or commit ` +
            `(revision: ${pin.revision ?? 'none'}); package-lock.yml pins ` +
            `the commit installed`,
        );
      }
      const commit = cloneAt(pin.url, pin.revision, root, this.project.projectDir, pin.gitUnrendered);
      c = { root, commit };
      this.checkouts.set(sig, c);
    }
    return c;
  }

  private packageDir(pin: Extract<Pin, { kind: 'git' }>): string {
    const { root } = this.checkout(pin);
    return pin.subdirectory ? checkedSubdirectory(root, pin.subdirectory, pinSource(pin)) : root;
  }

  /** Downloads and extracts a hub package's archive; the folder holding its dbt_project.yml. */
  private archive(pin: Extract<Pin, { kind: 'hub' }>): Promise<string> {
    const sig = pinSignature(pin);
    let cached = this.archives.get(sig);
    if (!cached) {
      cached = (async () => {
        const what = `${pin.package} ${pin.version}`;
        const v = await this.hub.version(pin.package, pin.version);
        const archive = await download(v.tarball, what);
        const dest = join(this.downloads, `hub-${this.next++}`);
        try {
          extractPackage(readTar(gunzip(archive, what), what), dest, what);
        } catch (e) {
          if (e instanceof KilnError) throw e;
          throw new KilnError('config', `cannot unpack the archive of ${what}: ${(e as Error).message}`);
        }
        return dest;
      })();
      this.archives.set(sig, cached);
    }
    return cached;
  }

  /** Moves (or, for a local package, links) a pinned package into `staging/<name>`. */
  async place(pin: Pin, staging: string): Promise<{ locked: LockedPackage; info: InstalledInfo }> {
    const requiredBy = [...new Set(pin.requirements.map((r) => r.requirer))];
    const source = pinSource(pin);
    let dir: string;
    if (pin.kind === 'local') {
      if (!existsSync(pin.dir))
        throw new KilnError('config', `the local package '${pin.local}' does not exist: ${pin.dir}`, {
          file: 'packages.yml',
        });
      dir = pin.dir;
    } else if (pin.kind === 'git') dir = this.packageDir(pin);
    else dir = await this.archive(pin);
    const name = packageProjectName(dir, source);
    if (name === this.project.name)
      throw new KilnError('config', `the package from ${source} has the root project's own name '${name}'`, {
        hint: 'package names must differ from the project name',
      });
    const dest = join(staging, name);
    if (!isStrictlyInside(staging, dest))
      throw new KilnError('internal', `package folder ${dest} is outside ${staging}`);
    if (existsSync(dest) || isSymlink(dest))
      throw new KilnError(
        'config',
        `two packages are named '${name}'; the second comes from ${source} (${requiredBy.join(', ')})`,
        { hint: 'a project can install one package of each name' },
      );
    if (pin.kind === 'local') {
      // A link, as dbt makes: edits to a local package show without reinstalling.
      symlinkSync(dir, dest, 'dir');
      const local = pin.requirements.some((r) => r.baseDir === this.project.projectDir)
        ? pin.local
        : toPosix(relative(this.project.projectDir, pin.dir)) || '.';
      return { locked: { kind: 'local', local, name }, info: { name, source, requiredBy } };
    }
    assertNoEscapingLinks(dir, source);
    renameSync(dir, dest);
    if (pin.kind === 'git') {
      rmSync(join(dest, '.git'), { recursive: true, force: true });
      const { commit } = this.checkout(pin);
      return {
        locked: {
          kind: 'git',
          git: pin.url,
          gitUnrendered: this.lockGitUrl(pin),
          revision: commit,
          subdirectory: pin.subdirectory,
          name,
        },
        info: { name, source, version: pin.revision, commit, requiredBy },
      };
    }
    return {
      locked: { kind: 'hub', package: pin.package, version: pin.version, name },
      info: { name, source, version: pin.version, requiredBy },
    };
  }

  /**
   * The git URL the lock records: as written, except a relative path from a local package, which is rebased on the
   * project.
   */
  private lockGitUrl(pin: Extract<Pin, { kind: 'git' }>): string {
    if (!isRelativeGitPath(pin.gitUnrendered)) return pin.gitUnrendered;
    if (pin.requirements.some((r) => r.baseDir === this.project.projectDir)) return pin.gitUnrendered;
    return toPosix(relative(this.project.projectDir, pin.url));
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

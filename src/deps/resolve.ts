/**
 * Transitive resolution, as dbt's resolver does it: the packages a project declares are pinned
 * (hub ranges intersected across every requirer and the highest version inside chosen, git to
 * one revision, local to one folder), each pinned package's own packages are read and added,
 * and so on until nothing new appears. It knows no file system or network: reading a pinned
 * package's name and dependencies is the `PackageReader` passed in.
 */
import { isAbsolute, resolve } from 'node:path';
import { KilnError } from '../errors.js';
import type { PackageSpec } from './spec.js';
import {
  highestSatisfying,
  installableVersions,
  parseVersion,
  rangeText,
  reduceVersions,
  VersionError,
  type Version,
} from './semver.js';

/** One package asked for by one requirer. */
export interface Requirement {
  spec: PackageSpec;
  /** Who asks, for messages: `packages.yml` or `package 'x'`. */
  requirer: string;
  /**
   * The folder relative paths are read from: the root project's or a local package's; undefined inside git and hub
   * packages.
   */
  baseDir?: string;
}

export type Pin =
  | { kind: 'hub'; key: string; package: string; version: string; requirements: Requirement[] }
  | {
      kind: 'git';
      key: string;
      url: string;
      gitUnrendered: string;
      revision?: string;
      subdirectory?: string;
      warnUnpinned: boolean;
      requirements: Requirement[];
    }
  | { kind: 'local'; key: string; dir: string; local: string; requirements: Requirement[] };

export interface PackageMetadata {
  name: string;
  requires: Requirement[];
}

export interface PackageReader {
  /** Every version the hub offers for a hub package. */
  hubVersions(pkg: string): Promise<string[]>;
  /** A pinned package's project name and its own packages (fetching it if need be). */
  metadata(pin: Pin): Promise<PackageMetadata>;
}

/** A git URL that is a path relative to some folder (not a URL, not `host:path`, not absolute). */
export function isRelativeGitPath(url: string): boolean {
  return !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) && !/^[^/]*:/.test(url) && !isAbsolute(url);
}

function absoluteGitUrl(req: Requirement & { spec: { kind: 'git' } }): string {
  if (!isRelativeGitPath(req.spec.git)) return req.spec.git;
  if (!req.baseDir)
    throw new KilnError(
      'config',
      `${req.requirer} asks for the git repository '${req.spec.git}' ` +
        `by a relative path, which means nothing inside a git or hub package`,
      { hint: 'the package must name its dependencies by URL' },
    );
  return resolve(req.baseDir, req.spec.git);
}

/**
 * Which requirements are one package: the hub name, the git URL (with or without .git) and subdirectory, or the local
 * folder.
 */
export function requirementKey(req: Requirement): string {
  const s = req.spec;
  if (s.kind === 'hub') return `hub:${s.package}`;
  if (s.kind === 'git')
    return `git:${absoluteGitUrl(req as Requirement & { spec: { kind: 'git' } })
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')}${s.subdirectory ? `#${s.subdirectory}` : ''}`;
  if (!req.baseDir)
    throw new KilnError(
      'config',
      `${req.requirer} asks for the local package '${s.local}', which ` +
        `kiln cannot install from inside a git or hub package`,
      { hint: 'a package fetched from git or the hub must name its dependencies by hub name or URL' },
    );
  return `local:${resolve(req.baseDir, s.local)}`;
}

const describe = (r: Requirement, what: string) => `${what} (${r.requirer})`;

function hubVersionsOf(req: Requirement): Version[] {
  const s = req.spec as Extract<PackageSpec, { kind: 'hub' }>;
  return s.version.map((v) => {
    try {
      return parseVersion(v);
    } catch (e) {
      if (e instanceof VersionError)
        throw new KilnError(
          'config',
          `${req.requirer} asks for ${s.package} version '${v}', which is not a version or range`,
          { hint: 'versions look like 1.3.0, >=1.0.0 or <2.0.0 (major.minor.patch)' },
        );
      throw e;
    }
  });
}

/** Throws the requirement pair whose ranges have nothing in common (or all of them when no pair does). */
function conflictError(pkg: string, reqs: Requirement[]): KilnError {
  const versions = reqs.map(hubVersionsOf);
  const text = (i: number) => describe(reqs[i]!, (reqs[i]!.spec as { version: string[] }).version.join(', '));
  for (let j = 1; j < reqs.length; j++) {
    for (let i = 0; i < j; i++) {
      try {
        reduceVersions([...versions[i]!, ...versions[j]!]);
      } catch {
        return new KilnError('config', `no version of ${pkg} satisfies both ${text(i)} and ${text(j)}`, {
          file: 'packages.yml',
          hint: 'widen one of the ranges (or upgrade the package that asks for the other)',
        });
      }
    }
  }
  return new KilnError('config', `no version of ${pkg} satisfies all of: ${reqs.map((_, i) => text(i)).join('; ')}`, {
    file: 'packages.yml',
  });
}

async function pinHub(key: string, reqs: Requirement[], reader: PackageReader): Promise<Pin> {
  const pkg = (reqs[0]!.spec as { package: string }).package;
  const all = reqs.flatMap(hubVersionsOf);
  let range;
  try {
    range = reduceVersions(all);
  } catch (e) {
    if (e instanceof VersionError) throw conflictError(pkg, reqs);
    throw e;
  }
  const allowPrerelease =
    reqs.some((r) => (r.spec as { installPrerelease: boolean }).installPrerelease) ||
    all.some((v) => v.prerelease !== undefined);
  const available = await reader.hubVersions(pkg);
  const installable = installableVersions(available, allowPrerelease);
  const version = highestSatisfying(range, installable);
  if (!version) {
    throw new KilnError(
      'config',
      `no available version of ${pkg} satisfies ${rangeText(range)}, ` +
        `asked for by ${reqs.map((r) => describe(r, (r.spec as { version: string[] }).version.join(', '))).join('; ')}`,
      {
        file: 'packages.yml',
        hint:
          `available versions: ${installable.join(', ') || 'none'}` +
          (allowPrerelease ? '' : ' (prereleases only with install_prerelease: true)'),
      },
    );
  }
  return { kind: 'hub', key, package: pkg, version, requirements: reqs };
}

function pinGit(key: string, reqs: Requirement[]): Pin {
  const first = reqs[0]! as Requirement & { spec: Extract<PackageSpec, { kind: 'git' }> };
  const asked = reqs.filter((r) => (r.spec as { revision?: string }).revision !== undefined);
  const revisions = new Set(asked.map((r) => (r.spec as { revision: string }).revision));
  if (revisions.size > 1) {
    throw new KilnError(
      'config',
      `git package ${first.spec.gitUnrendered} is asked for at different ` +
        `revisions: ${asked.map((r) => describe(r, (r.spec as { revision: string }).revision)).join('; ')}`,
      {
        file: 'packages.yml',
        hint: 'a git package is installed at one revision: make its requirers agree',
      },
    );
  }
  const spec = first.spec;
  return {
    kind: 'git',
    key,
    url: absoluteGitUrl(first),
    gitUnrendered: spec.gitUnrendered,
    revision: [...revisions][0],
    subdirectory: spec.subdirectory,
    warnUnpinned: reqs.every((r) => (r.spec as { warnUnpinned: boolean }).warnUnpinned),
    requirements: reqs,
  };
}

export async function pin(key: string, reqs: Requirement[], reader: PackageReader): Promise<Pin> {
  // The key starts with the kind, so every requirement of one key is of one kind.
  const first = reqs[0]!;
  if (first.spec.kind === 'hub') return pinHub(key, reqs, reader);
  if (first.spec.kind === 'git') return pinGit(key, reqs);
  return {
    kind: 'local',
    key,
    dir: resolve(first.baseDir!, first.spec.local),
    local: first.spec.local,
    requirements: reqs,
  };
}

/** A resolved package: its pin and what it says about itself. */
export interface Resolved {
  pin: Pin;
  metadata: PackageMetadata;
}

/**
 * Every package the root requirements need, transitive ones included, in the order first
 * asked for. A package asked for again with a new requirement is pinned again, and the
 * dependencies of the new pin join the queue. Packages that only a since-replaced pin asked
 * for are left out.
 */
export async function resolvePackages(root: Requirement[], reader: PackageReader): Promise<Resolved[]> {
  const wanted = new Map<string, Requirement[]>();
  const seen = new Set<string>();
  let pending = root;
  while (pending.length > 0) {
    const next: Requirement[] = [];
    for (const req of pending) {
      const key = requirementKey(req);
      const signature = `${key}\u0000${req.requirer}\u0000${JSON.stringify(req.spec)}`;
      if (seen.has(signature)) continue;
      seen.add(signature);
      const reqs = wanted.get(key) ?? [];
      reqs.push(req);
      wanted.set(key, reqs);
      next.push(...(await reader.metadata(await pin(key, reqs, reader))).requires);
    }
    pending = next;
  }
  const final = new Map<string, Resolved>();
  for (const [key, reqs] of wanted) {
    const p = await pin(key, reqs, reader);
    final.set(key, { pin: p, metadata: await reader.metadata(p) });
  }
  const reachable = new Set<string>();
  const queue = root.map(requirementKey);
  while (queue.length > 0) {
    const key = queue.shift()!;
    if (reachable.has(key)) continue;
    reachable.add(key);
    queue.push(...final.get(key)!.metadata.requires.map(requirementKey));
  }
  return [...final.entries()].filter(([key]) => reachable.has(key)).map(([, r]) => r);
}

/**
 * Installed packages as parsing sees them: every folder of the packages install path
 * (`dbt_packages/` unless dbt_project.yml says `packages-install-path`) that holds a
 * dbt_project.yml, with its macros and vars. Reading them never touches the network. A package
 * that packages.yml declares but that is not installed is an error saying to run `kiln deps`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { loadYamlData } from '../config/yaml.js';
import { KilnError } from '../errors.js';
import { loadProject, type ProjectConfig } from '../config/project.js';
import { discoverFiles, type ProjectFile } from '../parse/files.js';
import type { InvocationInfo } from '../template/context.js';
import { installPathForReading } from './paths.js';
import {
  packageRenderer,
  readLock,
  readPackagesFile,
  specSource,
  type PackageSpec,
  type PackagesFile,
} from './spec.js';

export interface InstalledPackage {
  name: string;
  /** The package folder relative to the root project, with forward slashes. */
  folder: string;
  project: ProjectConfig;
  /** Macro files (and generic tests under tests/generic/), paths relative to the root project. */
  macroFiles: ProjectFile[];
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

export function packagesInstallPath(project: ProjectConfig, cliVars: Record<string, unknown> = {}): string {
  return installPathForReading(project, cliVars);
}

/** `cliVars` (--vars) feed `var()` in packages-install-path and packages.yml. */
export function installedPackages(project: ProjectConfig, cliVars: Record<string, unknown> = {}): InstalledPackage[] {
  const dir = packagesInstallPath(project, cliVars);
  const out: InstalledPackage[] = [];
  if (!existsSync(dir)) {
    assertDeclaredInstalled(project, out, dir, cliVars);
    return out;
  }
  for (const entry of readdirSync(dir).sort()) {
    const pkgDir = join(dir, entry);
    if (entry.startsWith('.') || !statSync(pkgDir).isDirectory() || !existsSync(join(pkgDir, 'dbt_project.yml')))
      continue;
    let pkgProject: ProjectConfig;
    try {
      pkgProject = loadProject(pkgDir, {}, undefined, project.renderTarget);
    } catch (e) {
      if (e instanceof KilnError)
        throw new KilnError(e.kind, `in package ${entry}: ${e.message}`, {
          file: toPosix(relative(project.projectDir, join(pkgDir, 'dbt_project.yml'))),
          line: e.line,
          hint: e.hint ?? 'run `kiln deps` again, or fix the package',
        });
      throw e;
    }
    if (pkgProject.name === project.name) continue;
    // Paths from the root project, as its own files have them.
    const fromRoot = { pathsFrom: project.projectDir };
    const macroFiles = discoverFiles(pkgDir, pkgProject.macroPaths, ['.sql'], fromRoot);
    const generic = discoverFiles(pkgDir, pkgProject.testPaths, ['.sql'], fromRoot).filter((f) =>
      f.resourcePath.startsWith('generic/'),
    );
    out.push({
      name: pkgProject.name,
      folder: toPosix(relative(project.projectDir, pkgDir)),
      project: pkgProject,
      macroFiles: [...macroFiles, ...generic],
    });
  }
  assertDeclaredInstalled(project, out, dir, cliVars);
  return out;
}

/**
 * Throws when packages.yml (or dependencies.yml) declares packages that are not installed,
 * naming them. With an up-to-date package-lock.yml every package it records must be
 * installed; without one, the names are inferred from the declarations (a hub package's
 * name, a local package's dbt_project.yml), and a git package counts as missing only when
 * fewer packages are installed than declared. Problems reading the files are left to `kiln deps`.
 */
function assertDeclaredInstalled(
  project: ProjectConfig,
  installed: InstalledPackage[],
  dir: string,
  cliVars: Record<string, unknown>,
): void {
  if (!['packages.yml', 'dependencies.yml'].some((f) => existsSync(join(project.projectDir, f)))) return;
  let declared: PackagesFile | undefined;
  let locked: ReturnType<typeof readLock>;
  try {
    const renderer = packageRenderer({ ...project.vars, ...cliVars });
    declared = readPackagesFile(project.projectDir, renderer);
    if (!declared || declared.packages.length === 0) return;
    locked = readLock(project.projectDir, declared, renderer);
  } catch (e) {
    // A packages.yml that cannot be read as packages at all fails every command, as in dbt.
    if (e instanceof KilnError && e.kind === 'yaml') throw e;
    return;
  }
  const names = new Set(installed.map((p) => p.name));
  let missing: Array<{ name: string; source: string }>;
  let from = declared.file;
  if (locked) {
    from = 'package-lock.yml';
    missing = locked.filter((l) => !names.has(l.name)).map((l) => ({ name: l.name, source: specSource(l) }));
  } else {
    const fewer = installed.length < declared.packages.length;
    missing = declared.packages
      .map((p) => ({ p, name: expectedName(p, project.projectDir) }))
      .filter(({ p, name }) => (name ? !names.has(name) : fewer && p.kind === 'git'))
      .map(({ p, name }) => ({ name: name ?? '', source: specSource(p) }));
  }
  if (missing.length === 0) return;
  const where = `${toPosix(relative(project.projectDir, dir)) || '.'}/`;
  const list = missing.map((m) => (m.name ? `${m.name} (${m.source})` : m.source)).join(', ');
  throw new KilnError(
    'config',
    `${missing.length === 1 ? 'a package' : `${missing.length} packages`} ` +
      `of ${from} ${missing.length === 1 ? 'is' : 'are'} not installed ` +
      `in ${where}: ${list}`,
    {
      file: from,
      hint: 'run `kiln deps` to install the packages',
    },
  );
}

/** The project name a declared package will be installed under, when it can be known without fetching it. */
function expectedName(p: PackageSpec, projectDir: string): string | undefined {
  if (p.kind === 'hub') return p.package.split('/')[1];
  if (p.kind === 'git') return undefined;
  try {
    const file = join(resolve(projectDir, p.local), 'dbt_project.yml');
    const data = loadYamlData(readFileSync(file, 'utf8'), file) as { name?: unknown } | null;
    return typeof data?.name === 'string' ? data.name : undefined;
  } catch {
    return undefined;
  }
}

/** `dispatch:` in the root dbt_project.yml, by macro namespace. */
export function dispatchOrder(project: ProjectConfig): Record<string, string[]> {
  const raw = (project.yaml?.data as Record<string, unknown> | undefined)?.dispatch;
  const out: Record<string, string[]> = {};
  if (!Array.isArray(raw)) return out;
  for (const d of raw as Array<Record<string, unknown>>) {
    if (typeof d?.macro_namespace === 'string' && Array.isArray(d.search_order))
      out[d.macro_namespace] = d.search_order.map(String);
  }
  return out;
}

/**
 * var() for a package's nodes: --vars, then the root project's vars scoped to the package,
 * then the root's global vars, then the package's own dbt_project.yml (scoped, then global).
 */
export function packageVars(
  root: ProjectConfig,
  packages: InstalledPackage[],
  cliVars: Record<string, unknown>,
): (pkg: string) => InvocationInfo['vars'] {
  const byName = new Map(packages.map((p) => [p.name, p.project]));
  const scoped = (vars: Record<string, unknown>, name: string) => {
    const s = vars[name];
    return s && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>) : undefined;
  };
  return (pkg) => {
    const own = byName.get(pkg);
    const layers = [
      cliVars,
      scoped(root.vars, pkg),
      withoutScopes(root.vars, root.name, byName),
      own ? scoped(own.vars, pkg) : undefined,
      own ? withoutScopes(own.vars, pkg, byName) : undefined,
    ];
    return (name) => {
      for (const l of layers)
        if (l && Object.prototype.hasOwnProperty.call(l, name)) return { found: true, value: l[name] };
      return { found: false };
    };
  };
}

function withoutScopes(
  vars: Record<string, unknown>,
  self: string,
  packages: Map<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) if (k !== self && !packages.has(k)) out[k] = v;
  return out;
}

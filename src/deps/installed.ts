/**
 * Installed packages as parsing sees them: every folder of the packages install path
 * (`dbt_packages/` unless dbt_project.yml says `packages-install-path`) that holds a
 * dbt_project.yml, with its macros and vars. Reading them never touches the network.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { KilnError } from '../errors.js';
import { loadProject, type ProjectConfig } from '../config/project.js';
import { discoverFiles, type ProjectFile } from '../parse/files.js';
import type { InvocationInfo } from '../template/context.js';

export interface InstalledPackage {
  name: string;
  /** The package folder relative to the root project, with forward slashes. */
  folder: string;
  project: ProjectConfig;
  /** Macro files (and generic tests under tests/generic/), paths relative to the root project. */
  macroFiles: ProjectFile[];
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

export function packagesInstallPath(project: ProjectConfig): string {
  const raw = (project.yaml?.data as Record<string, unknown> | undefined)?.['packages-install-path'];
  return join(project.projectDir, typeof raw === 'string' && raw ? raw : 'dbt_packages');
}

export function installedPackages(project: ProjectConfig): InstalledPackage[] {
  const dir = packagesInstallPath(project);
  if (!existsSync(dir)) return [];
  const out: InstalledPackage[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const pkgDir = join(dir, entry);
    if (entry.startsWith('.') || !statSync(pkgDir).isDirectory() || !existsSync(join(pkgDir, 'dbt_project.yml'))) continue;
    let pkgProject: ProjectConfig;
    try {
      pkgProject = loadProject(pkgDir);
    } catch (e) {
      if (e instanceof KilnError) throw new KilnError(e.kind, `in package ${entry}: ${e.message}`, { file: toPosix(relative(project.projectDir, join(pkgDir, 'dbt_project.yml'))), line: e.line, hint: e.hint ?? 'run `kiln deps` again, or fix the package' });
      throw e;
    }
    if (pkgProject.name === project.name) continue;
    const rebase = (f: ProjectFile): ProjectFile => ({ ...f, projectPath: toPosix(relative(project.projectDir, f.absolute)) });
    const macroFiles = discoverFiles(pkgDir, pkgProject.macroPaths, ['.sql']).map(rebase);
    const generic = discoverFiles(pkgDir, pkgProject.testPaths, ['.sql']).filter((f) => f.resourcePath.startsWith('generic/')).map(rebase);
    out.push({ name: pkgProject.name, folder: toPosix(relative(project.projectDir, pkgDir)), project: pkgProject, macroFiles: [...macroFiles, ...generic] });
  }
  return out;
}

/** `dispatch:` in the root dbt_project.yml, by macro namespace. */
export function dispatchOrder(project: ProjectConfig): Record<string, string[]> {
  const raw = (project.yaml?.data as Record<string, unknown> | undefined)?.dispatch;
  const out: Record<string, string[]> = {};
  if (!Array.isArray(raw)) return out;
  for (const d of raw as Array<Record<string, unknown>>) {
    if (typeof d?.macro_namespace === 'string' && Array.isArray(d.search_order)) out[d.macro_namespace] = d.search_order.map(String);
  }
  return out;
}

/**
 * var() for a package's nodes: --vars, then the root project's vars scoped to the package,
 * then the root's global vars, then the package's own dbt_project.yml (scoped, then global).
 */
export function packageVars(root: ProjectConfig, packages: InstalledPackage[], cliVars: Record<string, unknown>): (pkg: string) => InvocationInfo['vars'] {
  const byName = new Map(packages.map((p) => [p.name, p.project]));
  const scoped = (vars: Record<string, unknown>, name: string) => {
    const s = vars[name];
    return s && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>) : undefined;
  };
  return (pkg) => {
    const own = byName.get(pkg);
    const layers = [cliVars, scoped(root.vars, pkg), withoutScopes(root.vars, root.name, byName), own ? scoped(own.vars, pkg) : undefined, own ? withoutScopes(own.vars, pkg, byName) : undefined];
    return (name) => {
      for (const l of layers) if (l && Object.prototype.hasOwnProperty.call(l, name)) return { found: true, value: l[name] };
      return { found: false };
    };
  };
}

function withoutScopes(vars: Record<string, unknown>, self: string, packages: Map<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) if (k !== self && !packages.has(k)) out[k] = v;
  return out;
}

/**
 * Where `kiln deps` may write, and checks that keep it there: the install folder must lie inside
 * the project (and not be the project or one of its own folders), package names are
 * identifiers, `subdirectory:` stays inside its repository, and no installed symlink points
 * outside its package. Every check throws a KilnError naming the offending value.
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { KilnError } from '../errors.js';
import type { ProjectConfig } from '../config/project.js';
import { packageRenderer } from './spec.js';

/** True when `path` is `root` or below it (lexically; no file system access). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** True when `path` is strictly below `root`. */
export function isStrictlyInside(root: string, path: string): boolean {
  return isInside(root, path) && relative(resolve(root), resolve(path)) !== '';
}

/** A dbt project name: letters, digits and underscores, not starting with a digit. */
export function assertPackageName(name: unknown, source: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new KilnError(
      'config',
      `the package from ${source} is named ${JSON.stringify(name)}, which is not a valid package name`,
      {
        hint:
          'a package name (name: in its dbt_project.yml) has only letters, ' +
          'digits and underscores, and does not start with a digit',
      },
    );
  }
  return name;
}

/**
 * `packages-install-path` (default dbt_packages), with `var()` and `env_var()` rendered as in the rest of
 * dbt_project.yml.
 */
function configuredInstallPath(project: ProjectConfig, cliVars: Record<string, unknown>): string {
  const raw = (project.yaml?.data as Record<string, unknown> | undefined)?.['packages-install-path'];
  if (typeof raw !== 'string' || !raw.trim()) return 'dbt_packages';
  const rendered =
    raw.includes('{{') || raw.includes('{%')
      ? packageRenderer({ ...project.vars, ...cliVars }).render(raw, 'dbt_project.yml', () =>
          project.yaml?.lineOf(['packages-install-path']),
        )
      : raw;
  if (typeof rendered !== 'string' || !rendered.trim())
    throw new KilnError('config', `packages-install-path must be a folder name, not ${JSON.stringify(rendered)}`, {
      file: 'dbt_project.yml',
    });
  return rendered.trim();
}

/**
 * The folder packages are installed into, refused unless it lies strictly inside the project,
 * also after following symlinks, and apart from the project's own folders (models, macros,
 * target, ...), so that replacing it can never delete the project or its files.
 */
export function checkedInstallPath(project: ProjectConfig, cliVars: Record<string, unknown> = {}): string {
  const written = configuredInstallPath(project, cliVars);
  const root = project.projectDir;
  const path = resolve(root, written);
  const refuse = (why: string) =>
    new KilnError('config', `packages-install-path '${written}' ${why}`, {
      file: 'dbt_project.yml',
      hint: 'use a folder of its own inside the project, such as dbt_packages',
    });
  if (!isStrictlyInside(root, path))
    throw refuse('must be a folder inside the project, not the project itself or outside it');
  if (relative(root, path).split(sep)[0] === '.git') throw refuse('must not be inside .git');
  const own = [
    ...project.modelPaths,
    ...project.seedPaths,
    ...project.testPaths,
    ...project.macroPaths,
    ...project.snapshotPaths,
    ...project.analysisPaths,
    ...project.docsPaths,
  ].map((p) => resolve(root, p));
  own.push(project.targetPath, project.logPath);
  for (const p of own)
    if (p !== root && (isInside(p, path) || isInside(path, p)))
      throw refuse(`overlaps the project folder '${relative(root, p) || '.'}'`);
  if (existsSync(join(path, 'dbt_project.yml')))
    throw refuse('holds a dbt_project.yml: it looks like a project, not an install folder');
  // A symlinked parent must not carry the folder out of the project.
  let parent = dirname(path);
  while (!existsSync(parent) && isStrictlyInside(root, parent)) parent = dirname(parent);
  if (!isInside(realpathSync(root), realpathSync(parent))) throw refuse('leads outside the project through a symlink');
  if (existsSync(path) && lstatSync(path).isSymbolicLink())
    throw refuse('is a symlink; kiln replaces the folder and will not follow it');
  return path;
}

/** The install path for reading (parse time): no checks, nothing is written. */
export function installPathForReading(project: ProjectConfig, cliVars: Record<string, unknown> = {}): string {
  return resolve(project.projectDir, configuredInstallPath(project, cliVars));
}

/** `subdirectory:` of a git package: a relative path that stays inside the checkout. */
export function checkedSubdirectory(checkout: string, subdirectory: string, source: string): string {
  const cleaned = normalize(subdirectory);
  const path = resolve(checkout, cleaned);
  if (isAbsolute(subdirectory) || !isInside(checkout, path)) {
    throw new KilnError('config', `subdirectory '${subdirectory}' of ${source} leaves the repository`, {
      hint: 'subdirectory: is a path inside the repository, such as packages/my_pkg',
    });
  }
  if (!existsSync(path) || !lstatSync(path).isDirectory()) {
    throw new KilnError('config', `${source} has no folder '${subdirectory}'`, {
      hint: 'check subdirectory: (and revision:)',
    });
  }
  if (!isInside(realpathSync(checkout), realpathSync(path)))
    throw new KilnError(
      'config',
      `subdirectory '${subdirectory}' of ${source} leaves the repository through a symlink`,
    );
  return path;
}

/** Refuses a package whose files include a symlink pointing outside the package folder. */
export function assertNoEscapingLinks(packageRoot: string, source: string): void {
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const st = lstatSync(path);
      if (st.isSymbolicLink()) {
        const target = readlinkSync(path);
        if (isAbsolute(target) || !isInside(packageRoot, resolve(dir, target))) {
          throw new KilnError(
            'config',
            `${source} holds a symlink ${relative(packageRoot, path)} -> ${target} that points outside the package`,
            { hint: 'kiln installs no file that links outside its package' },
          );
        }
      } else if (st.isDirectory()) walk(path);
    }
  };
  walk(packageRoot);
}

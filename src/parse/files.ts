import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { readTextFile } from '../config/text-file.js';

export interface ProjectFile {
  /** Absolute path. */
  absolute: string;
  /** Relative to the project dir, with forward slashes. */
  projectPath: string;
  /** Relative to the resource folder it was found under (models/, seeds/, ...). */
  resourcePath: string;
  /** The resource folder as configured (e.g. "models"). */
  root: string;
  text: string;
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

/**
 * Every file under the given resource folders whose name ends with one of `extensions`, each
 * read once, when its text is first asked for (a file the partial parse cache vouches for is
 * never read: the cache sets its text).
 */
export function discoverFiles(projectDir: string, roots: string[], extensions: string[]): ProjectFile[] {
  const out: ProjectFile[] = [];
  for (const root of roots) {
    const base = join(projectDir, root);
    walk(base, (absolute) => {
      if (!extensions.some((e) => absolute.endsWith(e))) return;
      const projectPath = toPosix(relative(projectDir, absolute));
      out.push(lazyFile({ absolute, projectPath, resourcePath: toPosix(relative(base, absolute)), root }));
    });
  }
  return out.sort((a, b) => (a.projectPath < b.projectPath ? -1 : a.projectPath > b.projectPath ? 1 : 0));
}

function lazyFile(where: Omit<ProjectFile, 'text'>): ProjectFile {
  let text: string | undefined;
  return {
    ...where,
    get text() {
      return (text ??= readTextFile(where.absolute, where.projectPath));
    },
    set text(value: string) {
      text = value;
    },
  };
}

function walk(dir: string, visit: (file: string) => void): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) walk(full, visit);
    else if (e.isFile()) visit(full);
    else if (e.isSymbolicLink()) {
      const st = statSync(full, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(full, visit);
      else if (st?.isFile()) visit(full);
    }
  }
}

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

/** A file found under a resource folder: its absolute path and its path below the folder (forward slashes). */
interface Listed {
  absolute: string;
  resourcePath: string;
}

/**
 * Resource folders already walked, by absolute path: one parse asks a folder for several kinds
 * of file (models/ for SQL, properties YAML and docs Markdown), and a walk of thousands of
 * entries is worth doing once.
 */
export type FolderListings = Map<string, Listed[]>;

export interface DiscoverOptions {
  /** Walks to reuse (and to add to), shared by the calls of one parse. */
  listings?: FolderListings;
  /** The folder `projectPath` is relative to (the root project's, for a package's files); default `projectDir`. */
  pathsFrom?: string;
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

/**
 * Every file under the given resource folders whose name ends with one of `extensions`, each
 * read once, when its text is first asked for (a file the partial parse cache vouches for is
 * never read: the cache sets its text).
 */
export function discoverFiles(
  projectDir: string,
  roots: string[],
  extensions: string[],
  options: DiscoverOptions = {},
): ProjectFile[] {
  const out: ProjectFile[] = [];
  for (const root of roots) {
    const base = join(projectDir, root);
    let listed = options.listings?.get(base);
    if (!listed) {
      listed = listFolder(base);
      options.listings?.set(base, listed);
    }
    // Names below `base` come from readdir, so a path from the project is the folder's path and theirs joined.
    const prefix = toPosix(relative(options.pathsFrom ?? projectDir, base));
    for (const { absolute, resourcePath } of listed) {
      if (!extensions.some((e) => resourcePath.endsWith(e))) continue;
      const projectPath = prefix ? `${prefix}/${resourcePath}` : resourcePath;
      out.push(lazyFile({ absolute, projectPath, resourcePath, root }));
    }
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

/** Every file below `base` (dot entries left out, symbolic links followed); none when it cannot be read. */
function listFolder(base: string): Listed[] {
  const out: Listed[] = [];
  walk(base, '', out);
  return out;
}

function walk(dir: string, rel: string, out: Listed[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  // join() would normalise each path again; an entry's name holds no separator.
  const dirPrefix = dir.endsWith(sep) ? dir : dir + sep;
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = dirPrefix + e.name;
    const below = rel + e.name;
    if (e.isDirectory()) walk(full, below + '/', out);
    else if (e.isFile()) out.push({ absolute: full, resourcePath: below });
    else if (e.isSymbolicLink()) {
      const st = statSync(full, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(full, below + '/', out);
      else if (st?.isFile()) out.push({ absolute: full, resourcePath: below });
    }
  }
}

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
      out.push(new LazyFile(absolute, projectPath, resourcePath, root));
    }
  }
  return out.sort((a, b) => (a.projectPath < b.projectPath ? -1 : a.projectPath > b.projectPath ? 1 : 0));
}

/**
 * A file read when its text is first asked for. A class, not an object literal with accessors: a parse makes one per
 * file (10,500 at the bench's 10,000 models), and the literals cost several times as much to make and to read. Its
 * text is an accessor of the prototype, so a copy made by spreading one would have none: make another instead.
 */
class LazyFile implements ProjectFile {
  #text: string | undefined;

  constructor(
    readonly absolute: string,
    readonly projectPath: string,
    readonly resourcePath: string,
    readonly root: string,
  ) {}

  get text(): string {
    return (this.#text ??= readTextFile(this.absolute, this.projectPath));
  }

  set text(value: string) {
    this.#text = value;
  }
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

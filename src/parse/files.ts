import { readdirSync, statSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { readTextFile, readTextFileStat } from '../config/text-file.js';

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
  /**
   * Reads the text now and gives the file's stat taken before reading it, on the opened file; undefined when the text
   * was read before (or the file has no such reader): then stat the path.
   */
  readStat?(): Stats | undefined;
}

/** A file found under a resource folder: its absolute path and its path below the folder (forward slashes). */
interface Listed {
  absolute: string;
  resourcePath: string;
}

/**
 * A resource folder's walk: the files below it, and every folder it read (the folder itself first, read or missing).
 * `folders` is undefined when their stats cannot vouch for the walk: it followed a symbolic link (whose target may
 * change with no folder's stat changing), or a folder existed but could not be read.
 */
export interface FolderWalk {
  files: Listed[];
  folders: string[] | undefined;
}

/**
 * Resource folders already walked, by absolute path: one parse asks a folder for several kinds
 * of file (models/ for SQL, properties YAML and docs Markdown), and a walk of thousands of
 * entries is worth doing once.
 */
export type FolderListings = Map<string, FolderWalk>;

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
    let walked = options.listings?.get(base);
    if (!walked) {
      walked = listFolder(base);
      options.listings?.set(base, walked);
    }
    const prefix = pathPrefix(projectDir, base, options);
    for (const { absolute, resourcePath } of walked.files) {
      if (!extensions.some((e) => resourcePath.endsWith(e))) continue;
      out.push(new LazyFile(absolute, projectPath(prefix, resourcePath), resourcePath, root));
    }
  }
  return out.sort((a, b) => (a.projectPath < b.projectPath ? -1 : a.projectPath > b.projectPath ? 1 : 0));
}

/**
 * The files `discoverFiles` would list at `absolute` (one per root that holds it), made without walking: for a caller
 * that knows from elsewhere (the folders' stats) that the walk would list it.
 */
export function filesAt(
  projectDir: string,
  roots: string[],
  absolute: string,
  options: Omit<DiscoverOptions, 'listings'> = {},
): ProjectFile[] {
  const out: ProjectFile[] = [];
  for (const root of roots) {
    const base = join(projectDir, root);
    // As the walk makes paths: the folder's path, a separator, then the names below it.
    const dirPrefix = base.endsWith(sep) ? base : base + sep;
    if (absolute.length <= dirPrefix.length || !absolute.startsWith(dirPrefix)) continue;
    const resourcePath = toPosix(absolute.slice(dirPrefix.length));
    out.push(
      new LazyFile(absolute, projectPath(pathPrefix(projectDir, base, options), resourcePath), resourcePath, root),
    );
  }
  return out;
}

// Names below `base` come from readdir, so a path from the project is the folder's path and theirs joined.
const pathPrefix = (projectDir: string, base: string, options: DiscoverOptions) =>
  toPosix(relative(options.pathsFrom ?? projectDir, base));

const projectPath = (prefix: string, resourcePath: string) => (prefix ? `${prefix}/${resourcePath}` : resourcePath);

/** Every folder the walks in `listings` read, each once; undefined when one of the walks cannot be vouched for. */
export function foldersRead(listings: Iterable<FolderListings>): string[] | undefined {
  const folders = new Set<string>();
  for (const walks of listings)
    for (const walk of walks.values()) {
      if (!walk.folders) return undefined;
      for (const folder of walk.folders) folders.add(folder);
    }
  return [...folders];
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

  readStat(): Stats | undefined {
    if (this.#text !== undefined) return undefined;
    const { text, stat } = readTextFileStat(this.absolute, this.projectPath);
    this.#text = text;
    return stat;
  }
}

/** Every file below `base` (dot entries left out, symbolic links followed), and the folders read. */
function listFolder(base: string): FolderWalk {
  const out: FolderWalk = { files: [], folders: [] };
  walk(base, '', out);
  return out;
}

function walk(dir: string, rel: string, out: FolderWalk): void {
  out.folders?.push(dir);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    // A folder that is not there lists nothing until it is; one that cannot be read, maybe something another time.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') out.folders = undefined;
    return;
  }
  // join() would normalise each path again; an entry's name holds no separator.
  const dirPrefix = dir.endsWith(sep) ? dir : dir + sep;
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = dirPrefix + e.name;
    const below = rel + e.name;
    if (e.isDirectory()) walk(full, below + '/', out);
    else if (e.isFile()) out.files.push({ absolute: full, resourcePath: below });
    else if (e.isSymbolicLink()) {
      out.folders = undefined;
      const st = statSync(full, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(full, below + '/', out);
      else if (st?.isFile()) out.files.push({ absolute: full, resourcePath: below });
    }
  }
}

/**
 * Partial parsing: `target/partial_parse.bin` remembers what the last invocation learnt, so
 * the next one re-renders only what changed. It owns the cache file (loading, the key that
 * invalidates everything, the atomic write) and the per-file parse results of SQL nodes;
 * compiled SQL is reused by src/compile/compile-cache.ts from the same file.
 *
 * Everything is invalidated by a change of kiln's version, the cache format, dbt_project.yml,
 * packages (packages.yml, dependencies.yml, package-lock.yml, each installed package's
 * dbt_project.yml), --vars, the profile and target, the adapter, any env_var() value read last
 * time, or the set of macro names and where each is defined. A SQL node's parse is reused
 * while its file's text (stat as the fast check, a content hash when the stat differs or is
 * too recent to trust), the macro files its render called and the env_var() values it read
 * are unchanged. A properties YAML file's data is reused while its text hashes the same. Everything else (what the
 * properties say of nodes, config layering, relation names, docs) is computed afresh each time. A cache that cannot be read is ignored, never an error. Each
 * write of the cache writes its replay table too (cache-table.ts), which a compile replay reads
 * instead of the whole file.
 */
import { existsSync, readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { kilnVersion } from '../version.js';
import type { ErrorLocation } from '../errors.js';
import type { ProjectConfig } from '../config/project.js';
import { dbtFlag } from '../config/dbt-flags.js';
import type { TargetConfig } from '../config/profiles.js';
import type { TemplateEngine, Template } from '../template/engine.js';
import { recordReads, type RenderReads } from '../template/render-reads.js';
import { isSecretEnvVarName, scrubSecrets, secretValues } from '../secrets.js';
import { loadYamlData, parseYaml, type YamlFile } from '../config/yaml.js';
import type { ProjectFile } from './files.js';
import type { ParsedTemplate, SqlParseResult } from './sql-nodes.js';
import type { SimplePart } from './simple-template.js';
import { LineSpool } from './cache-spool.js';
import { entryRef, readReferred, sameStat, statText, tableBody, tableFileName, tableFirstLine } from './cache-table.js';
import { sha256Hex } from './text-hash.js';
import { rebasedCache } from './cache-rebase.js';

export const partialParseFile = 'partial_parse.bin';
const formatVersion = 7;
/**
 * A file modified this close to (or after) the start of the run that saw it may change again within the same timestamp:
 * its stat is not trusted (git's racy-index rule).
 */
const racyWindowMs = 2000;

/**
 * What every cached result depends on; `envReads` are the env_var() reads made while loading the project and profile.
 */
export interface CacheIdentity {
  project: ProjectConfig;
  target: TargetConfig;
  adapterType: string;
  cliVars: Record<string, unknown>;
  packagesDir: string;
  envReads: Map<string, string | null>;
}

/** How a recorded stat ends: whether it was too recent to vouch for the file's text. */
const trusted = ' trusted';
const racyMark = ' racy';
const missingFolder = 'missing';

/** Which macro files (content hashes) and env_var() values (hashes) a render read. */
export interface RenderDependencies {
  macroFiles: Record<string, string>;
  env: Record<string, string | null>;
}

interface ConfigCheck {
  raw: Record<string, unknown>;
  /** Where each key the check asked about is written. */
  at: Record<string, ErrorLocation>;
}

interface SqlEntry extends RenderDependencies {
  file: string;
  textHash: string;
  /** The text parsed (a snapshot block padded to its line), and whether it is the whole file. */
  text: string;
  wholeFile: boolean;
  result: {
    refs: SqlParseResult['refs'];
    sources: SqlParseResult['sources'];
    config: SqlParseResult['config'];
    simple?: SimplePart[];
  };
  checks: ConfigCheck[];
  /** Present (false) when parsed with dbt's static parser off: such a parse is reused only while it is off. */
  staticParser?: false;
}

/** A node's rendered SQL (compile-cache.ts), valid while `key` and its dependencies hold. */
export interface BodyEntry extends RenderDependencies {
  key: string;
  body: string;
  /** Config keys its render set (a generic test's `config(fail_calc=...)`). */
  configSet?: Record<string, unknown>;
  /** The node as it was before rendering (what `key` hashes), for a compile that re-renders it alone. */
  node?: Record<string, unknown>;
}

/** A file under target/compiled as written last: rewritten only when its text or the file changed. */
export interface WrittenFile {
  hash: string;
  size: number;
  mtimeMs: number;
}

/**
 * A written file's line in the cache: `<size> <mtimeMs> <hash>`, not JSON, so that a compile replay compares 10,000 of
 * them with their files' stats as text, none parsed (a number's text is the shortest that reads back as it).
 */
const writtenText = (w: WrittenFile) => `${w.size} ${w.mtimeMs} ${w.hash}`;

function parsedWritten(text: string | undefined): WrittenFile | undefined {
  const m = text === undefined ? null : /^(\d+) (\S+) ([0-9a-f]+)$/.exec(text);
  const mtimeMs = Number(m?.[2]);
  return m && Number.isFinite(mtimeMs) ? { size: Number(m[1]), mtimeMs, hash: m[3]! } : undefined;
}

/** The first line of the cache file. */
interface CacheHeader {
  format: number;
  kilnVersion: string;
  /** The project's folder when the cache was written: its paths are under it (cache-rebase.ts). */
  root: string;
  key: string;
  env: Record<string, string | null>;
  macros: string;
}

/** A SQL file's parse, and the file's stat when it was made (`<size> <mtime> <ctime> <inode> trusted|racy`). */
interface SqlLine {
  stamp: string;
  /** Undefined when read from the replay table and the cache no longer holds it as the table says. */
  entry: EntryText | undefined;
}

/**
 * An entry's JSON: text made by this invocation, or bytes of the file loaded (decoded only if asked for, and written
 * back as they are).
 */
type EntryText = string | Uint8Array;

/**
 * The cache file is text, one entry a line (`<kind>\t<id as JSON>\t...\t<entry>`, after a
 * header line and before an `end` line), so it is written a piece at a time and never whole in
 * memory. A compile replay appends the entries it changed and another `end` line: a later line
 * replaces an earlier one of the same kind and id, in its place. Entries stay text, parsed only
 * when asked for: reading the file stays cheap at 10,000 nodes, an entry parsed is a fresh copy
 * to hand out, and a reused entry is saved as it was. Most entries are JSON; the records of
 * compiled files and of manifest.json's entries, which a replay reads by the 10,000, are plain
 * fields separated by spaces.
 */
export interface CacheData extends CacheHeader {
  /** The cache file's size in bytes: where lines appended to it start. */
  size: number;
  /**
   * The replay table's lines after its first (src/parse/cache-table.ts), which the table of a replay's append repeats:
   * the table's bytes when read from it, else made from the cache.
   */
  table: () => Iterable<EntryText>;
  sql: Entries<SqlLine>;
  bodies: Entries<EntryText>;
  written: Entries<string>;
  /** Where each node's entry is in manifest.json (text the caller made: src/artifacts/manifest-entries.ts). */
  manifestEntries: Entries<string>;
  /** Whole-invocation records by name (where manifest.json's metadata is, what a compile replay needs). */
  records: Entries<EntryText>;
  /** YAML files' data as JSON, by the hash of their text (only in the cache file, not in its replay table). */
  yaml: Entries<EntryText>;
}

/** The entries of one kind in the loaded cache file (or replay table), by id, in the order first written. */
export interface Entries<T> extends Iterable<[string, T]> {
  readonly size: number;
  get(id: string): T | undefined;
  /** The first field of id's line (a SQL line's stamp), without reading its entry. */
  stamp(id: string): string | undefined;
  /** Calls `visit` with each id and its value, in order, until it returns false; whether none did. */
  every(visit: (id: string, value: T) => boolean): boolean;
  /** As `every`, with the whole number each line starts with (a manifest entry's length), read from the bytes. */
  everyLeadingNumber(visit: (id: string, value: number | undefined) => boolean): boolean;
}

/**
 * The entries of one kind in the loaded cache file: where each id's line is, its bytes sliced (and a SQL line's stamp
 * read) only when asked for. Loading 40,000 lines thus makes one string and one small number per line, not the slice
 * objects and pairs of an eager index, which cost most of a compile replay's garbage collection.
 */
export class LoadedEntries<T extends EntryText | SqlLine> implements Entries<T> {
  private readonly lines = new Map<string, number>();
  /** Lines added by `defer`, in the file's order, later than every line in `lines`, and where each one's id starts. */
  private deferred: number[] = [];
  private deferredIds: number[] = [];
  /** Lookups answered by comparing bytes, before the deferred ids are read once and for all. */
  private scans = 0;

  constructor(
    private readonly file: LoadedLines,
    private readonly value: (file: LoadedLines, line: number) => T | undefined,
  ) {}

  get size(): number {
    return this.indexed().size;
  }

  /** A later line of the same id replaces an earlier one, in its place (Map order). */
  set(id: string, line: number): void {
    this.indexed().set(id, line);
  }

  /**
   * Adds a line whose id, JSON from `idStart` to the tab before its entry, is plain ASCII (no escape), without reading
   * it: a compile replay asks for the compiled SQL of a few nodes of 10,000, each found by comparing bytes (~0.1 ms);
   * past a few dozen lookups (a full compile asks for every one) the ids are read, in order, as `set` would have.
   */
  defer(line: number, idStart: number): void {
    this.deferred.push(line);
    this.deferredIds.push(idStart);
  }

  get(id: string): T | undefined {
    const line = this.lineOf(id);
    return line === undefined ? undefined : this.value(this.file, line);
  }

  private lineOf(id: string): number | undefined {
    if (!this.deferred.length || this.scans >= maxScans) return this.indexed().get(id);
    this.scans++;
    return this.scanned(id) ?? this.lines.get(id);
  }

  /** The last deferred line whose id is `id` as the cache writes it (JSON), found by its bytes. */
  private scanned(id: string): number | undefined {
    const json = Buffer.from(JSON.stringify(id));
    const { bytes, stamps } = this.file;
    for (let i = this.deferred.length - 1; i >= 0; i--) {
      const line = this.deferred[i]!;
      const start = this.deferredIds[i]!;
      // The id ends at the tab before the line's entry (`stamps` is where the field after it starts).
      const end = stamps[line]! - 1;
      if (end - start === json.length && bytes.compare(json, 0, json.length, start, end) === 0) return line;
    }
    return undefined;
  }

  /** Every line by id, the deferred ones' ids read first. */
  private indexed(): Map<string, number> {
    if (!this.deferred.length) return this.lines;
    const { bytes, stamps } = this.file;
    for (let i = 0; i < this.deferred.length; i++) {
      const line = this.deferred[i]!;
      this.lines.set(bytes.toString('latin1', this.deferredIds[i]! + 1, stamps[line]! - 2), line);
    }
    this.deferred = [];
    this.deferredIds = [];
    return this.lines;
  }

  /**
   * Calls `visit` with each id and its line's value, in order, until it returns false; whether none did. A loop, not a
   * generator: run once over 10,000 lines by a short-lived process, before the optimizing compiler sees it, a
   * generator costs ten times as much.
   */
  every(visit: (id: string, value: T) => boolean): boolean {
    for (const [id, line] of this.indexed()) {
      const value = this.value(this.file, line);
      if (value !== undefined && !visit(id, value)) return false;
    }
    return true;
  }

  /** As `every`, with the whole number each line starts with (a manifest entry's length), read from the bytes. */
  everyLeadingNumber(visit: (id: string, value: number | undefined) => boolean): boolean {
    for (const [id, line] of this.indexed()) if (!visit(id, leadingNumberAt(this.file, line))) return false;
    return true;
  }

  /** Each id's latest line number, in order. */
  everyLine(visit: (id: string, line: number) => void): void {
    for (const [id, line] of this.indexed()) visit(id, line);
  }

  /** The first field of id's line (a SQL line's stamp), without slicing its entry. */
  stamp(id: string): string | undefined {
    const line = this.lineOf(id);
    return line === undefined ? undefined : stampAt(this.file, line);
  }

  *[Symbol.iterator](): Generator<[string, T]> {
    for (const [id, line] of this.indexed()) {
      const value = this.value(this.file, line);
      if (value !== undefined) yield [id, value];
    }
  }
}

/** Lookups of deferred lines answered by a scan (each ~0.1 ms at 10,000 lines) before their ids are read. */
const maxScans = 32;

/** An id whose JSON is itself between quotes: printable ASCII, no quote, no backslash. */
const plainId = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The entries of one kind in a replay table (src/parse/cache-table.ts). Its first batch of lines, written from maps,
 * holds each id once: it is read in order with no map of ids (a compile replay goes through 10,000 stamps, compiled
 * files' records and manifest.json entries once each), an id looked up is checked first against the line after the
 * last one found (lookups come in the order written), then found by comparing bytes, and only past `maxScans` misses
 * are the ids read into a map. The lines of later batches (each replay's append) replace earlier ones by id, in their
 * place, as a map's set does.
 */
export class TableEntries<T extends EntryText | SqlLine> implements Entries<T> {
  private readonly first: number[] = [];
  private readonly later = new Map<string, number>();
  private cursor = 0;
  private misses = 0;
  private index: Map<string, number> | undefined;

  constructor(
    private readonly file: LoadedLines,
    private readonly value: (file: LoadedLines, line: number) => T | undefined,
  ) {}

  /** A line of the first batch (its id is read only when needed). */
  addFirst(line: number): void {
    this.first.push(line);
  }

  addLater(id: string, line: number): void {
    this.later.set(id, line);
  }

  /** Lookups that were not of the line after the last one found, each a scan of the first batch (for tests). */
  get missed(): number {
    return this.misses;
  }

  get size(): number {
    let n = 0;
    this.lines(() => (n++, true));
    return n;
  }

  get(id: string): T | undefined {
    const line = this.lineOf(id);
    return line === undefined ? undefined : this.value(this.file, line);
  }

  stamp(id: string): string | undefined {
    const line = this.lineOf(id);
    return line === undefined ? undefined : stampAt(this.file, line);
  }

  every(visit: (id: string, value: T) => boolean): boolean {
    return this.lines((id, line) => {
      const value = this.value(this.file, line);
      return value === undefined || visit(id, value);
    });
  }

  everyLeadingNumber(visit: (id: string, value: number | undefined) => boolean): boolean {
    return this.lines((id, line) => visit(id, leadingNumberAt(this.file, line)));
  }

  *[Symbol.iterator](): Generator<[string, T]> {
    const all: Array<[string, number]> = [];
    this.lines((id, line) => (all.push([id, line]), true));
    for (const [id, line] of all) {
      const value = this.value(this.file, line);
      if (value !== undefined) yield [id, value];
    }
  }

  /** Each id's latest line, in the order ids were first written, until `visit` returns false. */
  private lines(visit: (id: string, line: number) => boolean): boolean {
    const { later } = this;
    const replaced = new Set<string>();
    for (const line of this.first) {
      const id = this.idOf(line);
      const latest = later.size ? later.get(id) : undefined;
      if (latest !== undefined) replaced.add(id);
      if (!visit(id, latest ?? line)) return false;
    }
    for (const [id, line] of later) if (!replaced.has(id) && !visit(id, line)) return false;
    return true;
  }

  private idOf(line: number): string {
    const { bytes, heads, stamps } = this.file;
    const start = heads[line]! + 2;
    const end = stamps[line]! - 1;
    // Between the quotes: the id itself when it is printable ASCII with no quote or backslash (a regular expression's
    // test, not a loop over the bytes, which a process this short runs uncompiled).
    const plain = latin1At(this.file, start + 1, end - 1);
    return plainId.test(plain) ? plain : jsonString(bytes.toString('utf8', start, end));
  }

  /** Whether line's id is `id`: for a plain id (most), its bytes between the quotes, compared as text. */
  private isIdOf(line: number, id: string): boolean {
    if (!plainId.test(id)) return this.idOf(line) === id;
    const { heads, stamps } = this.file;
    const start = heads[line]! + 3;
    const end = stamps[line]! - 2;
    return end - start === id.length && latin1At(this.file, start, end) === id;
  }

  private lineOf(id: string): number | undefined {
    const latest = this.later.get(id);
    if (this.index) return latest ?? this.index.get(id);
    const { first } = this;
    // An id a later line replaced is still passed in the first batch: the next lookup in order then finds its line next.
    if (this.cursor < first.length && this.isIdOf(first[this.cursor]!, id)) {
      const line = first[this.cursor++]!;
      return latest ?? line;
    }
    if (latest !== undefined) return latest;
    if (++this.misses > maxScans) {
      this.index = new Map();
      for (const line of first) this.index.set(this.idOf(line), line);
      return this.index.get(id);
    }
    const json = Buffer.from(JSON.stringify(id));
    const { bytes, heads, stamps } = this.file;
    for (let i = 0; i < first.length; i++) {
      const line = first[i]!;
      const start = heads[line]! + 2;
      const end = stamps[line]! - 1;
      if (end - start === json.length && bytes.compare(json, 0, json.length, start, end) === 0) {
        this.cursor = i + 1;
        return line;
      }
    }
    return undefined;
  }
}

/**
 * The cache file's bytes, and for each line where its fields start (a SQL line's stamp, then its entry) and it ends:
 * byte offsets in typed arrays, outside the heap the garbage collector copies (three arrays of 40,000 numbers each),
 * room made as lines are added. Offsets fit 32 bits: a Buffer read whole is smaller than 4 GB.
 */
export class LoadedLines {
  count = 0;
  /** Where each line starts. */
  heads: Uint32Array;
  stamps: Uint32Array;
  entries: Uint32Array;
  ends: Uint32Array;

  /**
   * The bytes as Latin-1 text (a replay table's): a byte's offset is its character's, a field is sliced from it without
   * a copy, and a tab or newline is found by the string's own search. Not the cache's: 22 MB more on the heap.
   */
  readonly text: string | undefined;

  /**
   * @param bytes the cache file's, or the replay table's lines after its first
   * @param cache with a replay table: the cache file its references are read from (and the bytes are kept as text)
   */
  constructor(
    readonly bytes: Buffer,
    capacity: number,
    readonly cache?: string,
  ) {
    this.text = cache === undefined ? undefined : bytes.toString('latin1');
    this.heads = new Uint32Array(capacity);
    this.stamps = new Uint32Array(capacity);
    this.entries = new Uint32Array(capacity);
    this.ends = new Uint32Array(capacity);
  }

  /** Adds a line; its number is the count before. */
  add(head: number, stamp: number, entry: number, end: number): void {
    if (this.count === this.ends.length) {
      this.heads = grown(this.heads);
      this.stamps = grown(this.stamps);
      this.entries = grown(this.entries);
      this.ends = grown(this.ends);
    }
    this.heads[this.count] = head;
    this.stamps[this.count] = stamp;
    this.entries[this.count] = entry;
    this.ends[this.count] = end;
    this.count++;
  }
}

function grown(from: Uint32Array): Uint32Array {
  const to = new Uint32Array(from.length * 2);
  to.set(from);
  return to;
}

/** Bytes `[start, end)` as Latin-1 text: a slice of the table's text, or a copy of the cache's bytes. */
const latin1At = (file: LoadedLines, start: number, end: number): string =>
  file.text === undefined ? file.bytes.toString('latin1', start, end) : file.text.slice(start, end);

const entryOf = (file: LoadedLines, line: number): EntryText =>
  file.bytes.subarray(file.entries[line], file.ends[line]);

/** A large entry of a replay table's line: read from the cache file where the line says it is, if it is there. */
const referredOf = (file: LoadedLines, line: number): EntryText | undefined =>
  readReferred(
    file.cache!,
    file.bytes.subarray(file.heads[line], file.entries[line]),
    latin1At(file, file.entries[line]!, file.ends[line]!),
  );

/** A line's text of ASCII (a written file's record, a manifest entry's place). */
const asciiOf = (file: LoadedLines, line: number): string => latin1At(file, file.entries[line]!, file.ends[line]!);

/** The whole number (no sign, no leading zero) that a line's entry starts with, up to a space; undefined if none. */
function leadingNumberAt({ bytes, entries, ends }: LoadedLines, line: number): number | undefined {
  const start = entries[line]!;
  const end = Math.min(ends[line]!, start + 16);
  let value = 0;
  for (let at = start; at < end; at++) {
    const byte = bytes[at]!;
    if (byte === 0x20) return at > start ? value : undefined;
    if (byte < 0x30 || byte > 0x39 || (at === start && byte === 0x30)) return undefined;
    value = value * 10 + (byte - 0x30);
  }
  return undefined;
}

const stampAt = (file: LoadedLines, line: number): string =>
  latin1At(file, file.stamps[line]!, file.entries[line]! - 1);

const sqlLineOf = (file: LoadedLines, line: number): SqlLine => ({
  stamp: stampAt(file, line),
  entry: file.cache === undefined ? entryOf(file, line) : referredOf(file, line),
});

export interface SqlFileRequest {
  engine: TemplateEngine;
  file: ProjectFile;
  uniqueId: string;
  /** The text to parse (a snapshot's block, padded), read only when the cache cannot vouch for it. */
  text: () => string;
  /** A snapshot block or YAML snapshot: its text is not the file's. */
  wholeFile: boolean;
  /** Whether a template of ref/source/config/var calls alone may be read without the engine (dbt's static parser). */
  staticParser: boolean;
  checkConfig?: (raw: Record<string, unknown>, at: (key: string) => ErrorLocation) => void;
}

export type SqlParser = (text: string, checkConfig: SqlFileRequest['checkConfig']) => SqlParseResult;

/**
 * A check of a YAML file's data that depends on the data alone and may throw or change it in place (a schema's
 * coercion); `name` tells it from any other check, its rules included (a hash of its schema).
 */
export interface YamlCheck {
  name: string;
  check(yaml: YamlFile): void;
}

/** The parse hook's contract: partial parsing, or none (`--no-partial-parse`). */
export interface SqlParseCache {
  parseSqlFile(req: SqlFileRequest, parse: SqlParser): SqlParseResult;
  /** A properties file's YAML, passed through `check` when given. */
  parseYamlFile(file: ProjectFile, check?: YamlCheck): YamlFile;
}

export const noPartialParse: SqlParseCache = {
  parseSqlFile: (req, parse) => parse(req.text(), req.checkConfig),
  parseYamlFile: (file, check) => {
    const yaml = parseYaml(file.text, file.projectPath);
    check?.check(yaml);
    return yaml;
  },
};

/** The hash the cache records of a text (a SQL file's, a compiled file's). */
export const textHash = sha256Hex;

const hashValue = (v: string | null) => (v === null ? null : textHash(v).slice(0, 32));

/**
 * Whether partial parsing is on: `--[no-]partial-parse`, else `KILN_PARTIAL_PARSE` /
 * `DBT_PARTIAL_PARSE`, else `flags: {partial_parse: ...}` in dbt_project.yml; on by default.
 */
export const partialParseEnabled = (flag: boolean | undefined, project: ProjectConfig): boolean =>
  dbtFlag(flag, ['KILN_PARTIAL_PARSE', 'DBT_PARTIAL_PARSE'], project, 'partial_parse');

export class PartialParse implements SqlParseCache {
  /** The last invocation's cache file, let go once this one's is encoded. */
  private previous: CacheData | undefined;
  private readonly key: string;
  private readonly trustBefore = Date.now() - racyWindowMs;
  private macroInventory: string | undefined;
  private macrosUnchanged = false;
  /** This invocation's SQL parses and compiled SQL, as the cache's lines, spilled to disk as they come (cache-spool.ts). */
  private readonly sql: LineSpool;
  /** Each SQL line's stamp, which the replay table repeats. */
  private readonly sqlStamps = new Map<string, string>();
  private readonly bodies: LineSpool;
  readonly written = new Map<string, WrittenFile>();
  /** Where manifest.json, as this invocation wrote it, holds node entries (src/artifacts/manifest-entries.ts). */
  private manifestEntries?: Map<string, string>;
  private readonly records = new Map<string, EntryText>();
  /** The YAML files' data this invocation read, as JSON by text hash: kept for the next one, and for a second read. */
  private readonly yaml = new Map<string, EntryText>();
  /** env_var() reads of this invocation: values read now, and hashes carried from reused renders. */
  private readonly env = new Map<string, string | null>();
  private readonly envHashes: Record<string, string | null> = {};
  /** DBT_ENV_SECRET_* values, as written and as JSON escapes them: an entry holding one is not kept. */
  private readonly secrets = secretValues().flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  /** Counts for --debug and tests: parses reused and redone. */
  readonly stats = {
    reused: 0,
    parsed: 0,
    bodiesReused: 0,
    bodiesRendered: 0,
    filesKept: 0,
    yamlReused: 0,
    yamlLoaded: 0,
    yamlChecksKept: 0,
  };

  /**
   * `spool`: whether entries may be spilled to a file in the target folder (not for a process that must not write it);
   * `table`: whether to read the replay table (cache-table.ts) rather than the whole cache, for a compile replay,
   * which asks for the large entries of a few nodes only.
   */
  /**
   * `readFrom`: the cache file to read instead of the target path's (dbt's `--partial-parse-file-path`: a cache shared by
   * tasks that each write their own in their target path); read whole, never replayed from, since a replay appends to
   * the cache it read.
   */
  constructor(
    private readonly identity: CacheIdentity,
    private readonly debug: (message: string) => void,
    spool = true,
    private readonly table = false,
    private readonly readFrom?: string,
  ) {
    const spoolDir = spool ? identity.project.targetPath : undefined;
    this.sql = new LineSpool(spoolDir, partialParseFile);
    this.bodies = new LineSpool(spoolDir, partialParseFile);
    this.key = cacheKey(identity);
    this.noteEnv(identity.envReads);
    this.previous = this.load();
  }

  private get file(): string {
    return join(this.identity.project.targetPath, partialParseFile);
  }

  /** Where the replay table is (cache-table.ts). */
  get tableFile(): string {
    return join(this.identity.project.targetPath, tableFileName);
  }

  /** The cache file this invocation reads. */
  private get readFile(): string {
    return this.readFrom ?? this.file;
  }

  private load(): CacheData | undefined {
    if (this.readFrom !== undefined && this.table) {
      this.debug(`partial parse: reading ${this.readFrom} (--partial-parse-file-path): compiling in full`);
      return undefined;
    }
    if (!existsSync(this.readFile)) {
      if (this.readFrom !== undefined) this.debug(`partial parse: ${this.readFrom} is not there: parsing everything`);
      return undefined;
    }
    const shown = this.readFrom ?? partialParseFile;
    let data: CacheData | undefined;
    /** The cache's bytes, when it was read whole (not through the replay table). */
    let bytes: Buffer | undefined;
    try {
      data = (this.table && this.loadTable()) || decodeCache((bytes = readFileSync(this.readFile)));
    } catch (e) {
      this.debug(`partial parse: ignoring ${shown}, which cannot be read (${(e as Error).message})`);
      return undefined;
    }
    if (!data) {
      this.debug(`partial parse: ignoring ${shown}, written by another version of kiln or not by kiln`);
      return undefined;
    }
    if (data.key !== this.key || data.kilnVersion !== kilnVersion) {
      this.debug('partial parse: the project, packages, vars, profile, target or kiln changed: parsing everything');
      return undefined;
    }
    const changedEnv = Object.entries(data.env).find(([name, hash]) => hashValue(process.env[name] ?? null) !== hash);
    if (changedEnv) {
      this.debug(`partial parse: env_var('${changedEnv[0]}') changed: parsing everything`);
      return undefined;
    }
    return this.moved(data, bytes);
  }

  /**
   * The cache as it is when it was written in the project's folder; else (the project was copied or moved) the whole
   * cache read again with its paths rebased, when that is safe (cache-rebase.ts); else undefined. A compile replay
   * then has no cache to replay and compiles in full, reusing what the rebased cache holds.
   */
  private moved(data: CacheData, bytes: Buffer | undefined): CacheData | undefined {
    const root = this.identity.project.projectDir;
    if (data.root === root) return data;
    if (this.table || !bytes) {
      this.debug(`partial parse: ${partialParseFile} was written in ${data.root}: compiling in full`);
      return undefined;
    }
    const rebased = rebasedCache(bytes, data.root, root);
    this.debug(
      rebased
        ? `partial parse: ${partialParseFile} was written in ${data.root}: its paths rebased to ${root}`
        : `partial parse: ${partialParseFile} was written in ${data.root} and names that folder otherwise than as ` +
            'a path it wrote: parsing everything',
    );
    return rebased && decodeCache(rebased);
  }

  /**
   * The cache as the replay table gives it, its large entries read from the cache file when asked for; undefined when
   * there is no table or it was not made with the cache file as it is (the cache is then read whole).
   */
  private loadTable(): CacheData | undefined {
    const cacheStat = statText(this.file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.tableFile);
    } catch {
      return undefined;
    }
    const body = cacheStat === undefined ? undefined : tableBody(bytes, cacheStat);
    const data = body && decodeCache(bytes.subarray(body.start), { cache: this.file, cacheSize: body.cacheSize });
    this.debug(
      data
        ? `partial parse: read ${tableFileName}, and from ${partialParseFile} only the entries asked for`
        : `partial parse: ${tableFileName} is not of ${partialParseFile} as it is: reading that whole`,
    );
    return data;
  }

  /** Once every macro is registered: unchanged names in unchanged places keep the cached parses. */
  private checkMacros(engine: TemplateEngine): boolean {
    if (this.macroInventory === undefined) {
      // Per-invocation values: a render that reads one is never reused.
      engine.watchGlobals(['invocation_id', 'run_started_at', 'flags', 'selected_resources']);
      const names: string[] = [];
      for (const [ns, macros] of engine.packageMacros)
        for (const [name, info] of macros) names.push(`${ns}.${name}@${info.file}`);
      this.macroInventory = textHash(names.sort().join('\n'));
      this.macrosUnchanged = this.previous?.macros === this.macroInventory;
      if (this.previous && !this.macrosUnchanged)
        this.debug('partial parse: a macro was added, removed or moved: parsing everything');
    }
    return this.macrosUnchanged;
  }

  /** Whether recorded dependencies still hold: each macro file's hash and each env_var() value. */
  dependenciesHold(engine: TemplateEngine, deps: RenderDependencies): boolean {
    if (!this.checkMacros(engine)) return false;
    for (const [file, hash] of Object.entries(deps.macroFiles))
      if (engine.macroFileHashes.get(file) !== hash) return false;
    for (const [name, hash] of Object.entries(deps.env))
      if (hashValue(process.env[name] ?? null) !== hash) return false;
    return true;
  }

  /** Whether the parse outside SQL files read anything that differs per invocation (the clock, the warehouse, ...). */
  parseVolatile = false;

  noteParseReads(reads: RenderReads): void {
    if (reads.volatile !== undefined) this.parseVolatile = true;
  }

  /** Whether this invocation parsed node `id`'s SQL and keeps the parse for the next. */
  parsedNow(id: string): boolean {
    return this.sql.has(id);
  }

  /**
   * Whether every compiled file the last invocation recorded has the size and modification time recorded (a deleted or
   * edited one is written again in full by a compile).
   */
  writesAsRecorded(): boolean {
    return (
      this.previous?.written.every((file, text) => {
        const st = statSync(file, { throwIfNoEntry: false });
        return st !== undefined && text.startsWith(`${st.size} ${st.mtimeMs} `);
      }) ?? true
    );
  }

  /** Whether this invocation stored node `id`'s compiled SQL (its render read nothing per-invocation). */
  storedBody(id: string): boolean {
    return this.bodies.has(id);
  }

  /** A render's reads as dependencies to store; undefined when it must not be reused. */
  dependenciesOf(engine: TemplateEngine, reads: RenderReads): RenderDependencies | undefined {
    if (reads.volatile !== undefined) return undefined;
    const macroFiles: Record<string, string> = {};
    for (const file of reads.macroFiles) {
      const hash = engine.macroFileHashes.get(file);
      if (hash === undefined) return undefined;
      macroFiles[file] = hash;
    }
    const env: Record<string, string | null> = {};
    for (const [name, value] of reads.envVars) if (!isSecretEnvVarName(name)) env[name] = hashValue(value);
    this.noteEnv(reads.envVars);
    return { macroFiles, env };
  }

  /**
   * Env reads outside any cached render (the project, profiles, properties YAML). Secrets are
   * left out: not even a hash of one is written, and templates cannot read them anyway.
   */
  noteEnv(reads: Map<string, string | null>): void {
    for (const [name, value] of reads) if (!this.env.has(name) && !isSecretEnvVarName(name)) this.env.set(name, value);
  }

  /** The compiled SQL entry of the last invocation (a fresh copy). */
  previousBody(id: string): BodyEntry | undefined {
    return parsedEntry<BodyEntry>(this.previous?.bodies.get(id));
  }

  /** Keeps the last invocation's entry as it was. */
  keepBody(id: string): void {
    this.bodies.add(id, entryHead('b', id), this.previous!.bodies.get(id)!);
  }

  /**
   * Stores a compiled SQL entry, if it survives as JSON unchanged, with the node's state before rendering (JSON) when
   * given.
   */
  storeBody(id: string, entry: BodyEntry, node: string | undefined): void {
    const json = this.entryJson(entry);
    if (json === undefined) return;
    if (node === undefined) this.bodies.add(id, entryHead('b', id), json);
    else if (!this.secrets.some((s) => node.includes(s)))
      this.bodies.add(id, entryHead('b', id), `{"node":${node},${json.slice(1)}`);
  }

  /**
   * An entry as JSON text: undefined if JSON would change it, or if it holds a secret (the cache is a file in target/
   * like any artifact).
   */
  private entryJson(entry: object): string | undefined {
    if (!isPlainData(entry)) return undefined;
    const json = JSON.stringify(entry);
    return this.secrets.some((s) => json.includes(s)) ? undefined : json;
  }

  /** Whether the last invocation recorded where manifest.json holds node entries. */
  hasManifestEntries(): boolean {
    return Boolean(this.previous?.manifestEntries.size);
  }

  /** Where the last recorded manifest.json held node `id`'s entry, as its recorder wrote it. */
  previousManifestEntry(id: string): string | undefined {
    return this.previous?.manifestEntries.get(id);
  }

  /**
   * Records where manifest.json, as this invocation wrote it, holds node entries (each as a line of ASCII text, made
   * and read by src/artifacts/manifest-entries.ts) and its metadata; none are kept unless recorded.
   */
  recordManifest(entries: Map<string, string>, file: object): void {
    this.manifestEntries = entries;
    this.records.set('manifest', JSON.stringify(file));
  }

  /**
   * Calls `visit` with every manifest.json entry of the last invocation and the length its place starts with (undefined
   * when damaged), in the order written, until it returns false: read from the cache's bytes, no place's text made.
   */
  previousManifestEntryLengths(visit: (id: string, length: number | undefined) => boolean): boolean {
    return this.previous?.manifestEntries.everyLeadingNumber(visit) ?? true;
  }

  /** A whole-invocation record of the last invocation (a fresh copy). */
  previousRecord<T>(name: string): T | undefined {
    return parsedEntry<T>(this.previous?.records.get(name));
  }

  /** Sets a whole-invocation record for the next invocation; undefined removes it. */
  setRecord(name: string, value: object | undefined): void {
    if (value === undefined) this.records.set(name, '');
    else this.records.set(name, JSON.stringify(value));
  }

  /** Whether the last invocation saw the macros this one registered (same names in the same files). */
  macrosAsBefore(engine: TemplateEngine): boolean {
    return this.previous !== undefined && this.checkMacros(engine);
  }

  /**
   * Whether node `id`'s SQL was parsed by this invocation to the same result as by the last (its refs, sources,
   * config(), config checks and what the parse read), whatever its text.
   */
  parsedAsBefore(id: string): boolean {
    const now = parsedEntry<SqlEntry>(this.sql.entry(id));
    const before = parsedEntry<SqlEntry>(this.previous?.sql.get(id)?.entry);
    if (!now || !before) return false;
    // The text, and the template made of it (a simple one's parts), are what may differ.
    const parse = ({ text: _text, textHash: _hash, result: { simple: _simple, ...result }, ...rest }: SqlEntry) => ({
      ...rest,
      result,
    });
    const [a, b] = [parse(now), parse(before)];
    return JSON.stringify(a) === JSON.stringify(b);
  }

  /** Whether the last invocation parsed node `id`'s SQL with these stat fields and a trusted stamp. */
  stampVouches(id: string, same: string): boolean {
    return this.previous?.sql.stamp(id) === `${same}${trusted}`;
  }

  /** The text hash the last invocation recorded for node `id`'s SQL. */
  previousTextHash(id: string): string | undefined {
    return parsedEntry<SqlEntry>(this.previous?.sql.get(id)?.entry)?.textHash;
  }

  previousWrite(file: string): WrittenFile | undefined {
    return parsedWritten(this.previous?.written.get(file));
  }

  parseSqlFile(req: SqlFileRequest, parse: SqlParser): SqlParseResult {
    const { file, uniqueId, engine } = req;
    this.checkMacros(engine);
    if (!file.absolute) return parse(req.text(), req.checkConfig);
    const line = this.previous?.sql.get(uniqueId);
    const cached = parsedEntry<SqlEntry>(line?.entry);
    // Stat before reading: a write after the stat shows as a changed stat next time. With nothing cached the file is
    // read anyway, so it is stat'ed once opened (a path's lookup costs more than the stat: ~5 µs a file when cold).
    const opened = cached || !req.wholeFile ? undefined : file.readStat?.();
    const stamp = opened ? this.stampOfStat(opened) : this.stampOf(file.absolute);
    if (
      cached &&
      stamp &&
      line &&
      cached.file === file.absolute &&
      cached.wholeFile === req.wholeFile &&
      (cached.staticParser ?? true) === req.staticParser &&
      this.dependenciesHold(engine, cached)
    ) {
      // The same stat, not too recent to vouch for the text when it was recorded: the same stamp text, marked trusted.
      const vouched = line.stamp === `${stamp.same}${trusted}`;
      const text = vouched ? cached.text : req.text();
      if (text === cached.text || textHash(text) === cached.textHash) {
        if (vouched && req.wholeFile) file.text = cached.text;
        this.addSql(uniqueId, stamp.text, line.entry!);
        this.stats.reused++;
        return this.replay(req, cached);
      }
    }
    this.stats.parsed++;
    const text = req.text();
    const checks: ConfigCheck[] = [];
    const checkConfig =
      req.checkConfig &&
      ((raw: Record<string, unknown>, at: (key: string) => ErrorLocation) => {
        const check: ConfigCheck = { raw: { ...raw }, at: {} };
        checks.push(check);
        req.checkConfig!(raw, (key) => (check.at[key] = at(key)));
      });
    const { result, reads } = recordReads(() => parse(text, checkConfig));
    const deps = stamp ? this.dependenciesOf(engine, reads) : undefined;
    // A literal, not a spread of deps: a spread gives each entry a hidden class of its own on Node 20.
    const encoded =
      deps &&
      this.entryJson({
        macroFiles: deps.macroFiles,
        env: deps.env,
        file: file.absolute,
        textHash: textHash(text),
        text,
        wholeFile: req.wholeFile,
        checks,
        result: {
          refs: result.refs,
          sources: result.sources,
          config: result.config,
          ...(result.template.kind === 'simple' ? { simple: result.template.parts } : {}),
        },
        // Only when off, so that entries made with the default stay as they were.
        ...(req.staticParser ? {} : { staticParser: false as const }),
      } satisfies SqlEntry);
    if (encoded) this.addSql(uniqueId, stamp!.text, encoded);
    return result;
  }

  /**
   * A YAML file's data from the last invocation's JSON of a text with the same hash, else loaded (js-yaml, ~10 times
   * the cost of JSON.parse, more before V8 optimises it). Loading is a function of the text alone, so the hash is the
   * whole key; each read gets a fresh copy, since properties are patched in place. A check that passed the data and
   * left it as it was is recorded with it (`<hash> <check's name>`), and not made again on the same data.
   */
  parseYamlFile(file: ProjectFile, check?: YamlCheck): YamlFile {
    const hash = textHash(file.text);
    let json: EntryText | undefined = this.yaml.get(hash) ?? this.previous?.yaml.get(hash);
    let data: unknown = parsedEntry<object>(json);
    if (data) {
      this.yaml.set(hash, json!);
      this.stats.yamlReused++;
    } else {
      this.stats.yamlLoaded++;
      data = loadYamlData(file.text, file.projectPath);
      json = data !== null && typeof data === 'object' ? this.entryJson(data) : undefined;
      if (json) this.yaml.set(hash, json);
    }
    const yaml = parseYaml(file.text, file.projectPath, data);
    if (!check) return yaml;
    const passed = `${hash} ${check.name}`;
    if (json !== undefined && (this.yaml.has(passed) || this.previous?.yaml.get(passed) !== undefined)) {
      this.yaml.set(passed, '{}');
      this.stats.yamlChecksKept++;
      return yaml;
    }
    check.check(yaml);
    if (json !== undefined && JSON.stringify(yaml.data) === entryString(json)) this.yaml.set(passed, '{}');
    return yaml;
  }

  private addSql(id: string, stamp: string, entry: EntryText): void {
    this.sql.add(id, sqlHead(id, stamp), entry);
    this.sqlStamps.set(id, stamp);
  }

  /** The cached parse (a fresh copy), its config checks made again (their warnings are this run's). */
  private replay(req: SqlFileRequest, entry: SqlEntry): SqlParseResult {
    for (const check of entry.checks)
      req.checkConfig?.(
        check.raw,
        (key) => check.at[key] ?? Object.values(check.at)[0] ?? { file: req.file.projectPath },
      );
    const { refs, sources, config, simple } = entry.result;
    this.noteEnvHashes(entry.env);
    return {
      refs,
      sources,
      config,
      template: simple ? { kind: 'simple', parts: simple } : lazyTemplate(req.engine, entry.text, req.file.projectPath),
    };
  }

  /** A reused render's env reads, kept (as hashes) so the next run still checks them. */
  noteEnvHashes(env: Record<string, string | null>): void {
    Object.assign(this.envHashes, env);
  }

  /** A folder's stamp, as a compile replay's record keeps it: `stampOf`'s text, or `missing` when it is not there. */
  folderStamp(folder: string): string {
    return this.stampOf(folder)?.text ?? missingFolder;
  }

  /** Whether a folder's stamp, once recorded, can vouch for it: it is not too recent (or the folder is not there). */
  stampCanVouch(stamp: string): boolean {
    return stamp === missingFolder || stamp.endsWith(trusted);
  }

  /**
   * Whether a folder's recorded stamp vouches that it holds the entries it held: it was not there and still is not, or
   * it has the same stat, recorded as trusted (adding, removing or renaming an entry changes a folder's stat).
   */
  folderVouches(folder: string, recorded: string): boolean {
    const now = this.stampOf(folder);
    return now ? recorded === `${now.same}${trusted}` : recorded === missingFolder;
  }

  /**
   * A file's stat as the cache records it: `same` (size, modification and change time, inode) compared as text, and
   * `text`, which adds whether the stat is too recent to vouch for the file's text alone.
   */
  stampOf(file: string): { same: string; text: string } | undefined {
    const st = statSync(file, { throwIfNoEntry: false });
    return st && this.stampOfStat(st);
  }

  private stampOfStat(st: Stats): { same: string; text: string } {
    const same = sameStat(st);
    const racy = st.mtimeMs >= this.trustBefore || st.ctimeMs >= this.trustBefore;
    return { same, text: `${same}${racy ? racyMark : trusted}` };
  }

  /**
   * The cache to write (the caller writes it atomically, each chunk before asking for the next: the spooled lines are
   * read back a megabyte at a time into one buffer), undefined when nothing was parsed.
   * Compiled SQL of nodes this invocation did not compile (`run` after `compile`, `compile -s`)
   * is kept for the nodes that still exist: each entry is checked when used. The cache is spent once encoded: what it
   * keeps of the last file is copied by then, and that file's bytes (22 MB at 10,000 models) are let go, where a
   * `run` or `docs generate` that goes on would hold them to its end.
   */
  encode(nodeIds: Iterable<string> | 'all'): EncodedCache | undefined {
    if (!this.macroInventory) return undefined;
    const previous = this.previous;
    this.previous = undefined;
    const s = this.stats;
    this.debug(
      `partial parse: reused ${s.reused} of ${s.reused + s.parsed} ` +
        `SQL parses, ${s.bodiesReused} of ${s.bodiesReused + s.bodiesRendered} ` +
        `compiled nodes; kept ${s.filesKept} compiled files; reused ${s.yamlReused} of ` +
        `${s.yamlReused + s.yamlLoaded} YAML files (${s.yamlChecksKept} checks kept)`,
    );
    const append = nodeIds === 'all';
    // A compile replay (src/tasks/compile-replay.ts) appends what it changed: the rest stands as it was.
    if (append && !previous) return undefined;
    if (!append && previous && previous.macros === this.macroInventory) {
      for (const id of nodeIds) {
        const body = previous.bodies.get(id);
        if (body !== undefined && !this.bodies.has(id)) this.bodies.add(id, entryHead('b', id), body);
      }
    }
    // Made as they are written (30,000 records at the end of a compile, when the heap is at its largest), twice: for
    // the cache, then for its replay table. An invocation that wrote no compiled file (parse, ls) keeps the record of
    // the last one that did.
    const written = (): Iterable<[string, EntryText]> =>
      append || this.written.size ? mapValues(this.written, writtenText) : (previous?.written ?? []);
    const manifest = this.manifestEntries ?? new Map<string, EntryText>();
    let header = '';
    if (!append) {
      const env: Record<string, string | null> = { ...this.envHashes };
      for (const [name, value] of this.env) env[name] = hashValue(value);
      const fields: CacheHeader = {
        format: formatVersion,
        kilnVersion,
        root: this.identity.project.projectDir,
        key: this.key,
        env,
        macros: this.macroInventory,
      };
      header = `${JSON.stringify(fields)}\n`;
    }
    // Where this invocation's lines go in the cache file: after its header, or after the last file's bytes.
    const base = append ? previous!.size : 0;
    const count = { bytes: 0 };
    const sqlAt = base + Buffer.byteLength(header);
    const earlier = append ? previous!.table() : undefined;
    return {
      file: this.file,
      chunks: counted(entryLines(header, this.sql, this.bodies, written(), manifest, this.records, this.yaml), count),
      ...(append ? { append } : {}),
      tableFile: this.tableFile,
      table: (cacheStat) => {
        // A cache of another size than written: a concurrent write.
        if (Number(cacheStat.slice(0, cacheStat.indexOf(' '))) !== base + count.bytes) return undefined;
        const refs = new TextChunks();
        this.sql.places((id, start, end) =>
          refs.add(`${sqlHead(id, this.sqlStamps.get(id)!)}${entryRef(sqlAt + start, sqlAt + end)}\n`),
        );
        const bodiesAt = sqlAt + this.sql.byteLength;
        this.bodies.places((id, start, end) =>
          refs.add(`${entryHead('b', id)}${entryRef(bodiesAt + start, bodiesAt + end)}\n`),
        );
        return tableLines(tableFirstLine(cacheStat), earlier, header, refs.done(), written(), manifest, this.records);
      },
    };
  }
}

/** The cache to write, and its replay table (src/parse/cache-table.ts) to write once it is. */
export interface EncodedCache {
  file: string;
  chunks: Iterable<EntryText>;
  /** Appended to the cache file, not written over it. */
  append?: true;
  tableFile: string;
  /**
   * The replay table once the cache is written, given the cache's stat then (`sameStat`): valid until the next chunk is
   * asked for, as `chunks`; undefined when none can be made (remove any there was).
   */
  table: (cacheStat: string) => Iterable<EntryText> | undefined;
}

function* counted(chunks: Iterable<EntryText>, count: { bytes: number }): Generator<EntryText> {
  for (const chunk of chunks) {
    count.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    yield chunk;
  }
}

/** A template compiled on first use: a node whose SQL comes from the cache never compiles it. */
function lazyTemplate(engine: TemplateEngine, text: string, file: string): ParsedTemplate {
  let compiled: Template | undefined;
  return {
    kind: 'jinja',
    get template() {
      return (compiled ??= engine.compile(text, file));
    },
  };
}

function* mapValues<T, U>(map: Map<string, T>, f: (value: T) => U): Generator<[string, U]> {
  for (const [key, value] of map) yield [key, f(value)];
}

/** The start of a line of the cache: its kind and id, each followed by a tab. */
const entryHead = (kind: string, id: string) =>
  // A plain id's JSON is itself between quotes: 60,000 heads at 10,000 models, where JSON.stringify cost ~20 ms.
  plainId.test(id) ? `${kind}\t"${id}"\t` : `${kind}\t${JSON.stringify(id)}\t`;
/** A SQL line's start: the file's stamp follows the id. */
const sqlHead = (id: string, stamp: string) => `${entryHead('s', id)}${stamp}\t`;

/**
 * The header line (none for an append), entries as lines, and the `end` line that says they were written to the end.
 * Each chunk is valid only until the next is asked for (the spools read into one buffer).
 */
function* entryLines(
  header: string,
  sql: LineSpool,
  bodies: LineSpool,
  written: Iterable<[string, EntryText]>,
  manifest: Map<string, EntryText>,
  records: Map<string, EntryText>,
  yaml: Map<string, EntryText>,
): Generator<EntryText> {
  if (header) yield header;
  yield* sql.chunks();
  yield* bodies.chunks();
  yield* smallLines(written, manifest, records, yaml);
  yield 'end\n';
}

/** The lines of the kinds the cache and its replay table both hold whole. */
function* smallLines(
  written: Iterable<[string, EntryText]>,
  manifest: Iterable<[string, EntryText]>,
  records: Iterable<[string, EntryText]>,
  yaml: Iterable<[string, EntryText]>,
): Generator<EntryText> {
  // Lines of text gathered into chunks of ~64 KB: 20,000 short chunks cost the writer a call each.
  let text = '';
  for (const [kind, map] of [
    ['w', written],
    ['m', manifest],
    ['r', records],
    ['y', yaml],
  ] as const)
    for (const [id, entry] of map) {
      if (!entry.length) continue;
      if (typeof entry === 'string') text += `${entryHead(kind, id)}${entry}\n`;
      else {
        text += entryHead(kind, id);
        yield* [text, entry];
        text = '\n';
      }
      if (text.length >= textChunk) {
        yield text;
        text = '';
      }
    }
  if (text) yield text;
}

/** How many characters of short lines are gathered into one chunk for the writer. */
const textChunk = 1 << 16;

/** Short lines gathered into chunks of `textChunk` characters. */
class TextChunks {
  private readonly chunks: string[] = [];
  private text = '';

  add(line: string): void {
    this.text += line;
    if (this.text.length >= textChunk) {
      this.chunks.push(this.text);
      this.text = '';
    }
  }

  done(): string[] {
    if (this.text) this.chunks.push(this.text);
    this.text = '';
    return this.chunks;
  }
}

/**
 * The replay table (src/parse/cache-table.ts): its first line, the last table's lines when the cache was appended to,
 * then the lines of what was written, the large entries as references, and an `end` line.
 */
function* tableLines(
  first: string,
  earlier: Iterable<EntryText> | undefined,
  header: string,
  refs: string[],
  written: Iterable<[string, EntryText]>,
  manifest: Map<string, EntryText>,
  records: Map<string, EntryText>,
): Generator<EntryText> {
  yield first;
  if (earlier) yield* earlier;
  if (header) yield header;
  yield* refs;
  // No YAML data: a compile replay parses no YAML, and would read it with every line of the table.
  yield* smallLines(written, manifest, records, []);
  yield 'end\n';
}

/**
 * The cache file's data; undefined when it is another format or incomplete. JSON text holds no
 * raw tab or newline, so both split lines and fields safely. Entries are checked when parsed.
 */
export function decodeCache(bytes: Buffer, table?: { cache: string; cacheSize: number }): CacheData | undefined {
  const newline = 0x0a;
  if (!isEndLine(bytes, bytes.length - 4, bytes.length - 1) || bytes[bytes.length - 1] !== newline) return undefined;
  const headerEnd = bytes.indexOf(newline);
  const header = JSON.parse(bytes.toString('utf8', 0, headerEnd)) as CacheHeader;
  if (
    !header ||
    typeof header !== 'object' ||
    header.format !== formatVersion ||
    typeof header.root !== 'string' ||
    typeof header.env !== 'object' ||
    header.env === null
  )
    return undefined;
  // About 500 bytes a line at 10,000 models: room for every line at once, mostly; a table's are ~150 bytes.
  const lines = new LoadedLines(bytes, Math.max(1024, bytes.length >> (table ? 7 : 9)), table?.cache);
  return table
    ? decodeTable(bytes, headerEnd, lines, header, table.cacheSize)
    : decodeLines(bytes, headerEnd, lines, header);
}

/**
 * Where a line's fields start in the cache's bytes, or undefined when it is not a line of the cache's shape (a replay
 * table's lines are read as text, in `decodeTable`).
 */
function lineFields(bytes: Buffer, start: number, end: number): { idEnd: number; entry: number } | undefined {
  if (bytes[start + 1] !== tab) return undefined;
  const idEnd = tabFrom(bytes, start + 2, end);
  if (idEnd >= end) return undefined;
  if (bytes[start] !== 0x73 /* s */) return { idEnd, entry: idEnd + 1 };
  // A SQL line's stamp follows its id.
  const stampEnd = tabFrom(bytes, idEnd + 1, end);
  return stampEnd < end ? { idEnd, entry: stampEnd + 1 } : undefined;
}

const tab = 0x09;

/** Where the first tab at or after `from` is, or `end` when there is none before it. */
function tabFrom(bytes: Buffer, from: number, end: number): number {
  while (from < end && bytes[from] !== tab) from++;
  return from;
}

const isEndLine = (bytes: Buffer, start: number, end: number) =>
  end - start === 3 && bytes[start] === 0x65 && bytes[start + 1] === 0x6e && bytes[start + 2] === 0x64;

function decodeLines(bytes: Buffer, headerEnd: number, lines: LoadedLines, header: CacheHeader): CacheData | undefined {
  const sql = new LoadedEntries(lines, sqlLineOf);
  const bodies = new LoadedEntries(lines, entryOf);
  const data: CacheData = {
    ...header,
    size: bytes.length,
    table: () => cacheAsTable(data, lines, sql, bodies),
    sql,
    bodies,
    written: new LoadedEntries(lines, asciiOf),
    manifestEntries: new LoadedEntries(lines, asciiOf),
    records: new LoadedEntries(lines, entryOf),
    yaml: new LoadedEntries(lines, entryOf),
  };
  const byKind: Partial<Record<number, Entries<unknown>>> = {
    0x73 /* s */: data.sql,
    0x62 /* b */: data.bodies,
    0x77 /* w */: data.written,
    0x6d /* m */: data.manifestEntries,
    0x72 /* r */: data.records,
    0x79 /* y */: data.yaml,
  };
  // Lines a compile replay appended (each batch closed by its own `end`) replace the entries before them.
  for (let start = headerEnd + 1; start < bytes.length;) {
    const end = bytes.indexOf(0x0a, start);
    if (!isEndLine(bytes, start, end)) {
      const fields = lineFields(bytes, start, end);
      const kind = bytes[start]!;
      const map = byKind[kind] as LoadedEntries<EntryText> | undefined;
      if (!fields || !map) return undefined;
      const line = lines.count;
      // Compiled SQL, which a compile replay reads for the few nodes it renders: ids read only if many are asked for.
      if (kind === 0x62 /* b */ && isPlainAsciiJson(bytes, start + 2, fields.idEnd)) map.defer(line, start + 2);
      else map.set(jsonString(bytes.toString('utf8', start + 2, fields.idEnd)), line);
      lines.add(start, fields.idEnd + 1, fields.entry, end);
    }
    start = end + 1;
  }
  return data;
}

/**
 * The replay table's lines after its first for a cache read whole (its table was not of it): a replay appending to the
 * cache then writes a table again, as a full compile would have.
 */
function* cacheAsTable(
  data: CacheData,
  lines: LoadedLines,
  sql: LoadedEntries<SqlLine>,
  bodies: LoadedEntries<EntryText>,
): Generator<EntryText> {
  const { format, kilnVersion, root, key, env, macros } = data;
  const header: CacheHeader = { format, kilnVersion, root, key, env, macros };
  yield `${JSON.stringify(header)}\n`;
  const refs = new TextChunks();
  const ref = (line: number) => `${entryRef(lines.entries[line]!, lines.ends[line]!)}\n`;
  sql.everyLine((id, line) => refs.add(`${sqlHead(id, stampAt(lines, line))}${ref(line)}`));
  bodies.everyLine((id, line) => refs.add(`${entryHead('b', id)}${ref(line)}`));
  yield* refs.done();
  yield* smallLines(data.written, data.manifestEntries, data.records, []);
  yield 'end\n';
}

/** A replay table's lines (src/parse/cache-table.ts): the large entries read from the cache file when asked for. */
function decodeTable(
  bytes: Buffer,
  headerEnd: number,
  lines: LoadedLines,
  header: CacheHeader,
  cacheSize: number,
): CacheData | undefined {
  const data = {
    ...header,
    size: cacheSize,
    table: () => [bytes],
    sql: new TableEntries(lines, sqlLineOf),
    bodies: new TableEntries(lines, referredOf),
    written: new TableEntries(lines, asciiOf),
    manifestEntries: new TableEntries(lines, asciiOf),
    records: new TableEntries(lines, entryOf),
    // The table holds none (`tableLines`): a full compile after a replay that cannot replay loads its YAML again.
    yaml: new TableEntries(lines, entryOf),
  };
  const byKind: Partial<Record<number, TableEntries<EntryText>>> = {
    0x73 /* s */: data.sql as TableEntries<never>,
    0x62 /* b */: data.bodies,
    0x77 /* w */: data.written,
    0x6d /* m */: data.manifestEntries,
    0x72 /* r */: data.records,
  };
  let firstBatch = true;
  const text = lines.text!;
  for (let start = headerEnd + 1; start < bytes.length;) {
    // The text's search and its characters (a byte's offset is its character's): a string's indexOf costs a fraction
    // of a Buffer's, and the fields found in the loop, with no call per line, halved decoding 40,000 lines.
    const end = text.indexOf('\n', start);
    const kind = text.charCodeAt(start);
    if (end - start === 3 && kind === 0x65 && text.startsWith('end', start)) firstBatch = false;
    else {
      const map = byKind[kind];
      const idEnd = text.indexOf('\t', start + 2);
      if (!map || text.charCodeAt(start + 1) !== tab || idEnd < 0 || idEnd >= end) return undefined;
      // A SQL line's stamp follows its id.
      const stampEnd = kind === 0x73 /* s */ ? text.indexOf('\t', idEnd + 1) : idEnd;
      if (stampEnd < 0 || stampEnd >= end) return undefined;
      const line = lines.count;
      if (firstBatch) map.addFirst(line);
      else map.addLater(jsonString(bytes.toString('utf8', start + 2, idEnd)), line);
      lines.add(start, idEnd + 1, stampEnd + 1, end);
    }
    start = end + 1;
  }
  return data;
}

/** Whether bytes `[start, end)` are a JSON string of printable ASCII, no escape: its value is the bytes between quotes. */
function isPlainAsciiJson(bytes: Buffer, start: number, end: number): boolean {
  if (end - start < 2 || bytes[start] !== 0x22 || bytes[end - 1] !== 0x22) return false;
  for (let at = start + 1; at < end - 1; at++) {
    const byte = bytes[at]!;
    if (byte < 0x20 || byte > 0x7e || byte === 0x22 || byte === 0x5c) return false;
  }
  return true;
}

/** A JSON string's value; a plain one (no escapes, as ids and paths nearly always are) without the JSON parser. */
function jsonString(json: string): string {
  const plain = json.length > 1 && json.startsWith('"') && json.endsWith('"') && !json.includes('\\');
  const value = plain ? json.slice(1, -1) : (JSON.parse(json) as unknown);
  if (typeof value !== 'string') throw new Error('an id that is not a string');
  return value;
}

const entryString = (entry: EntryText) =>
  typeof entry === 'string' ? entry : Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength).toString();

/** A fresh copy of a cached entry; undefined when there is none or its text is damaged (it is then made afresh). */
function parsedEntry<T>(json: EntryText | undefined): T | undefined {
  if (json === undefined) return undefined;
  try {
    const value = JSON.parse(entryString(json)) as unknown;
    return value !== null && typeof value === 'object' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

function cacheKey(id: CacheIdentity): string {
  const { project, target } = id;
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : null);
  const installed: Array<[string, string | null]> = [];
  if (existsSync(id.packagesDir)) {
    for (const entry of readdirSync(id.packagesDir).sort())
      installed.push([entry, read(join(id.packagesDir, entry, 'dbt_project.yml'))]);
  }
  return textHash(
    JSON.stringify([
      kilnVersion,
      formatVersion,
      // Where the target folder is in the project, not where the project is: the cache moves with it (cache-rebase.ts).
      relative(project.projectDir, project.targetPath),
      read(project.file),
      ['packages.yml', 'dependencies.yml', 'package-lock.yml'].map((f) => read(join(project.projectDir, f))),
      installed,
      // A float var (2.0) prints otherwise than an int (2), a date than its text: told apart here, as JSON cannot.
      JSON.stringify(id.cliVars, function (this: Record<string, unknown>, key: string, value: unknown) {
        const written = this[key];
        if (typeof written === 'bigint') return `int ${written}`;
        const plain = written === null || typeof written !== 'object' || Array.isArray(written);
        return plain || Object.getPrototypeOf(written) === Object.prototype
          ? value
          : `${written.constructor.name} ${String(value)}`;
      }),
      id.adapterType,
      // Secret values (a password) are masked: no hash of one is written.
      [target.profileName, target.targetName, target.threads, scrubSecrets(JSON.stringify(target.settings))],
    ]),
  );
}

/**
 * Only data that survives JSON unchanged is cached: plain objects, arrays, strings, finite numbers, booleans and null.
 */
export function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null) return true;
  const t = typeof value;
  if (t === 'string' || t === 'boolean') return true;
  if (t === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (t !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainData(value[i], depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key of Object.keys(value as object)) {
    const d = Object.getOwnPropertyDescriptor(value, key)!;
    if (d.get || d.set || !isPlainData(d.value, depth + 1)) return false;
  }
  return true;
}

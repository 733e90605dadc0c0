/**
 * A compile replayed from the last one: when only the text of a few models (analyses, singular
 * tests) changed since the last `kiln compile` of the whole project, and each still parses to
 * what it parsed to before (the same refs, sources and `config()`), the project parsed is the
 * last one but for those nodes' raw code. So they alone are rendered, their compiled files
 * written and their entries spliced into the last manifest.json, with no properties YAML read,
 * no configs layered and no DAG built: at 10,000 models, most of a warm compile.
 *
 * It owns the record a full compile leaves for it (`replay` in target/partial_parse.bin: every
 * file the parse read with its stat and hash, the parse's warnings, what refs resolve to) and
 * the checks that decide whether it may run. Anything it cannot vouch for (a YAML, macro,
 * seed or snapshot file changed, a file added or removed, a ref or config() changed, a
 * changed ephemeral model, a render that reads `graph`, the warehouse or the clock, a secret set, a
 * selection (a default selector in selectors.yml included), a compiled file or manifest.json touched since) gives the full compile, which the
 * user could not tell from this one but by its speed: test/partial-parse.test.ts compares the
 * two byte for byte.
 */
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { secretValues } from '../secrets.js';
import {
  discoverInSteps,
  isSqlNodeKind,
  sqlFilesAt,
  type DiscoveredFiles,
  macroFilesOf,
  type OwnerFiles,
} from '../parse/discovery.js';
import { foldersRead, type ProjectFile } from '../parse/files.js';
import { readTextFile } from '../config/text-file.js';
import type { ParsedSource } from '../parse/packages.js';
import { registerMacros } from '../parse/macros.js';
import { NodeTable, addSqlNode, fileNodeName } from '../parse/file-nodes.js';
import { sqlNodeReader, type ParsedProject } from '../parse/index.js';
import { hasNoSql } from '../parse/configure.js';
import type { GraphNode, Manifest, ResourceType, SourceNode } from '../parse/nodes.js';
import { partialParseEnabled, textHash, type PartialParse } from '../parse/partial-cache.js';
import { fixtureFiles } from '../parse/fixture-files.js';
import { staticParserEnabled } from '../config/dbt-flags.js';
import { Compiler } from '../compile/compiler.js';
import { CompiledSqlCache } from '../compile/compile-cache.js';
import { nodeDict } from '../parse/node-dict.js';
import { artifactDictOptions, compiledInfo, manifestMetadata } from '../artifacts/manifest.js';
import { entryStarts, fitsIn, parsedPlace, placeText, type ManifestFile } from '../artifacts/manifest-entries.js';
import { byteAt, splicedCopy, type PendingCopy, type Splice } from '../artifacts/spliced-copy.js';
import { exposeProject, type KilnSession } from '../session.js';
import { loadSelectors } from '../graph/selectors-yml.js';
import { cliVarsOf, load, openPartialParse, savePartialParse, sessionFor, type Loaded } from './load.js';
import type { KilnOptions } from './options.js';

/**
 * What a full compile leaves for the next one to replay it. Its lists of 10,000 are text, not JSON arrays and objects:
 * the replay compares the files' listing whole and looks up the few nodes it re-renders refer to, parsing nothing else.
 */
export interface ReplayRecord {
  /**
   * Every file the parse read, in discovery's order, one a line (`listingLine`): a SQL node's file with its node id
   * (its stat and hash are in the node's parse entry), any other by its path alone.
   */
  listing: string;
  /** The files not of a SQL node, in the same order, with their stat (`<same> trusted|racy`) and content hash. */
  others: Array<[file: string, stamp: string, hash: string]>;
  /**
   * Every folder discovery's walks read, with its stamp (`PartialParse.folderStamp`); none when a walk cannot be
   * vouched for so (it followed a symbolic link) or a folder was too recent to vouch. While each still vouches, a walk
   * would list the same files: the replay takes the listing above instead of walking.
   */
  folders?: Array<[folder: string, stamp: string]>;
  /** Files under each test path's fixtures/ (parse asks whether a unit test's fixture exists). */
  fixtures: string[];
  warnings: string[];
  compiled: number;
  /** What a ref to each node resolves with (`keyedLines`): name, package, materialization, database, schema, alias. */
  nodes: string;
  /** What a source() resolves with (`keyedLines`): source name, table name, database, schema, identifier. */
  sources: string;
}

type RefTarget = [string, string, unknown, string | undefined, string, string];
type SourceTarget = [string, string, string | undefined, string, string];

/** The files a parse read, as a replay record lists them. */
type ReplayFiles = Pick<ReplayRecord, 'listing' | 'others' | 'folders'>;

/**
 * A file's line in the listing: its path, and a SQL node's id after a tab, each with any tab, newline or backslash
 * escaped (so that two listings are the same text only if they list the same files). Not JSON: stringifying 20,000
 * strings cost a compile replay ~10 ms, testing them for the three characters a tenth of that.
 */
export const listingLine = (file: string, node?: string) =>
  node === undefined ? listingField(file) : `${listingField(file)}\t${listingField(node)}`;

const listingSpecial = /[\t\n\\]/;

const listingField = (text: string) =>
  listingSpecial.test(text)
    ? text.replace(/[\t\n\\]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\\\'))
    : text;

const unescapeField = (field: string) =>
  field.includes('\\')
    ? field.replace(/\\([tn\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\\'))
    : field;

/**
 * Calls `visit` with each file and node id (none for a file not of a SQL node) of a listing's lines from offset `at`
 * (a line's start) to its end, until it returns false; whether none did.
 */
export function everyListed(
  listing: string,
  at: number,
  visit: (file: string, node: string | undefined) => boolean,
): boolean {
  while (at < listing.length) {
    let end = listing.indexOf('\n', at);
    if (end < 0) end = listing.length;
    const tab = listing.indexOf('\t', at);
    const ok =
      tab < 0 || tab > end
        ? visit(unescapeField(listing.slice(at, end)), undefined)
        : visit(unescapeField(listing.slice(at, tab)), unescapeField(listing.slice(tab + 1, end)));
    if (!ok) return false;
    at = end + 1;
  }
  return true;
}

/**
 * Whether lines, given one at a time, joined by newlines, are a recorded listing: each is compared where the last one
 * ended, so that 10,000 lines are neither kept nor joined into a second text of a megabyte.
 */
export class ListingMatch {
  private at = 0;
  private matches = true;

  constructor(private readonly listing: string) {}

  /** Whether the lines so far start the listing, this one included. */
  next(line: string): boolean {
    const { listing, at } = this;
    const end = at + line.length;
    // Past the listing's end, `at` exceeds its length, and no line but an empty one starts there.
    this.matches &&=
      at <= listing.length &&
      listing.startsWith(line, at) &&
      (end === listing.length || listing.charCodeAt(end) === 10);
    this.at = end + 1;
    return this.matches;
  }

  /** Whether the lines given were the whole listing. */
  done(): boolean {
    return this.matches && (this.at === 0 ? this.listing === '' : this.at === this.listing.length + 1);
  }

  /** Where the listing's lines not given yet start (past its end when none is left), while the lines given match. */
  get rest(): number | undefined {
    return this.matches ? this.at : undefined;
  }
}

/** Values by id as text, a line each (`\n<id>\t<value>`, both JSON): one is parsed only when looked up. */
function keyedLines(values: Iterable<[string, unknown]>): string {
  let text = '';
  for (const [id, value] of values) text += `\n${JSON.stringify(id)}\t${JSON.stringify(value)}`;
  return `${text}\n`;
}

function lookUp<T>(lines: string, id: string): T | undefined {
  const key = `\n${JSON.stringify(id)}\t`;
  const at = lines.indexOf(key);
  return at < 0 ? undefined : (JSON.parse(lines.slice(at + key.length, lines.indexOf('\n', at + 1))) as T);
}

export const replayRecordName = 'replay';

/** Whether a compile with these options compiles the whole project, as a replayed one must. */
export function compilesEverything(opts: KilnOptions): boolean {
  return !(
    opts.select?.length ||
    opts.exclude?.length ||
    opts.selector ||
    opts.resourceTypes?.length ||
    opts.nodeIds ||
    opts.state ||
    opts.defer ||
    opts.deferState ||
    opts.favorState ||
    opts.empty ||
    opts.fullRefresh ||
    opts.eventTimeStart ||
    opts.eventTimeEnd
  );
}

/**
 * Whether a compile with these options compiles the whole project in this project: a default selector in selectors.yml
 * makes it compile what that selects. A selectors.yml that cannot be read throws, as the full compile's selection would.
 */
export function compilesWholeProject(opts: KilnOptions, projectDir: string): boolean {
  return compilesEverything(opts) && loadSelectors(projectDir).defaultName === undefined;
}

/** A SQL file read into one node of its own (the kinds a replay re-renders), with its owner. */
interface SqlFile {
  file: ProjectFile;
  owner: ParsedSource;
  kind: ResourceType;
}

/** Every other file the parse reads, in order, after the macros'; SQL files of one node each know it. */
function ownersInventory(owners: OwnerFiles[]): Array<{ file: ProjectFile; sql?: SqlFile }> {
  const out: Array<{ file: ProjectFile; sql?: SqlFile }> = [];
  for (const owned of owners) {
    const { owner } = owned;
    const sql = (list: ProjectFile[], kind: ResourceType) => {
      for (const file of list) out.push({ file, sql: { file, owner, kind } });
    };
    sql(owned.models, 'model');
    sql(owned.analyses, 'analysis');
    sql(owned.tests, 'test');
    for (const file of [...owned.snapshots, ...owned.seeds, ...owned.properties, ...owned.docs]) out.push({ file });
  }
  return out;
}

const nodeIdOf = (sql: SqlFile) => `${sql.kind}.${sql.owner.name}.${fileNodeName(sql.file)}`;

/**
 * Right after a parse: the files it read as a replay record lists them, or none when one of them cannot be listed.
 * Made before rendering, so that the parse's files and their texts need not be kept until the compile's end.
 */
export function listReplayFiles(partial: PartialParse, discovered: DiscoveredFiles): ReplayFiles | undefined {
  const lines: string[] = [];
  const others: ReplayFiles['others'] = [];
  const files: Array<{ file: ProjectFile; sql?: SqlFile }> = [
    ...macroFilesOf(discovered).map((file) => ({ file })),
    ...ownersInventory(discovered.owners),
  ];
  for (const { file, sql } of files) {
    if (sql) {
      const id = nodeIdOf(sql);
      if (!partial.parsedNow(id)) return undefined;
      lines.push(listingLine(file.absolute, id));
    } else {
      const stamp = partial.stampOf(file.absolute);
      if (!stamp) return undefined;
      lines.push(listingLine(file.absolute));
      others.push([file.absolute, stamp.text, textHash(file.text)]);
    }
  }
  const folders = folderStamps(
    partial,
    discovered.owners.map((o) => o.owner),
  );
  return { listing: lines.join('\n'), others, ...(folders ? { folders } : {}) };
}

/**
 * The stamps of the folders the sources' walks read, taken after the walks. Enough: a folder changed since the
 * invocation started has a stamp too recent to vouch (the racy rule), and the walks came after its start. None while
 * one is too recent: a replay that walks records them once they can vouch (not each time, as a folder written to by
 * every compile would have it, appending the record of 10,000 files to the cache to no use).
 */
function folderStamps(partial: PartialParse, sources: ParsedSource[]): ReplayRecord['folders'] {
  const stamps = foldersRead(sources.map((s) => s.listings))?.map((folder): [string, string] => [
    folder,
    partial.folderStamp(folder),
  ]);
  return stamps?.every(([, stamp]) => partial.stampCanVouch(stamp)) ? stamps : undefined;
}

/**
 * After a full compile of the whole project: the record its replay needs, or none (the next compile is full) when
 * the parse read something per-invocation, a node's parse or render could not be cached, or a secret is set.
 */
export function recordReplay(
  partial: PartialParse,
  parsed: ParsedProject,
  files: ReplayFiles | undefined,
  compiledIds: Iterable<string>,
  opts: KilnOptions,
): void {
  partial.setRecord(replayRecordName, files && makeRecord(partial, parsed, files, compiledIds, opts));
}

function makeRecord(
  partial: PartialParse,
  parsed: ParsedProject,
  files: ReplayFiles,
  compiledIds: Iterable<string>,
  opts: KilnOptions,
): ReplayRecord | undefined {
  if (!compilesEverything(opts) || partial.parseVolatile || secretValues().length) return undefined;
  let compiled = 0;
  for (const id of compiledIds) {
    if (!partial.storedBody(id)) return undefined;
    compiled++;
  }
  const { manifest } = parsed;
  const nodes: Array<[string, RefTarget]> = [];
  for (const n of manifest.nodes.values())
    if (n.resourceType !== 'test')
      nodes.push([n.uniqueId, [n.name, n.packageName, n.config.materialized, n.database, n.schema, n.alias]]);
  const sources: Array<[string, SourceTarget]> = [];
  for (const s of manifest.sources.values())
    sources.push([s.uniqueId, [s.sourceName, s.name, s.database, s.schema, s.identifier]]);
  return {
    ...files,
    fixtures: fixtureFiles(parsed.project),
    warnings: [...manifest.warnings],
    compiled,
    nodes: keyedLines(nodes),
    sources: keyedLines(sources),
  };
}

/** What a compile did, for the CLI's one line. */
export interface CompileSummary {
  compiled: number;
  targetPath: string;
}

/**
 * `kiln compile` of the whole project replayed from the last one, when it can be (see the module's comment);
 * undefined when the full compile must run. Writes nothing unless it completes. `replayed` hears the invocation's
 * session and project once it has (docs generate goes on with them).
 */
export async function replayCompile(
  opts: KilnOptions,
  replayed?: (session: KilnSession, loaded: Loaded) => void,
): Promise<CompileSummary | undefined> {
  const debug = opts.onDebug ?? (() => undefined);
  if (!compilesEverything(opts) || secretValues().length) return undefined;
  const phases = new PhaseClock();
  const loaded = await load(opts);
  if (!partialParseEnabled(opts.partialParse, loaded.project)) return undefined;
  if (!compilesWholeProject(opts, loaded.project.projectDir)) {
    debug('compile replay: selectors.yml has a default selector: compiling in full');
    return undefined;
  }
  phases.lap('load');
  // The replay table, not the whole cache: a replay reads the large entries of the few nodes it re-renders.
  const partial = openPartialParse(loaded, cliVarsOf(opts), opts, true, true);
  phases.lap('cache');
  const record = partial.previousRecord<ReplayRecord>(replayRecordName);
  const manifestFile = partial.previousRecord<ManifestFile>('manifest');
  // A record of another shape (an older kiln's) is none.
  if (typeof record?.listing !== 'string' || typeof record.nodes !== 'string' || !manifestFile) return undefined;
  const why = (reason: string) => {
    debug(`compile replay: ${reason}: compiling in full`);
    return undefined;
  };
  const { project } = loaded;
  const { session, packages } = sessionFor(loaded, opts, 'compile');
  const discovery = discoverInSteps(project, packages);
  // Every folder the last walk read, with the stat it had then: the walk would list the same files.
  const unwalked =
    Array.isArray(record.folders) && record.folders.every(([folder, stamp]) => partial.folderVouches(folder, stamp));
  const owners = unwalked ? undefined : discovery.owners();
  phases.lap('walk');

  // Which files changed: a SQL node's is re-parsed (and re-rendered if its text changed); any other is the end.
  const listing = new ListingMatch(record.listing);
  const changed: SqlFile[] = [];
  /** Files whose stat changed but not their text: parsed again (from the cache) only to record the new stat. */
  const unchangedText: SqlFile[] = [];
  let restamped = false;
  let other = 0;
  /** Why a listed file cannot be replayed (a SQL node's found, when its stat changed, by `sqlOf`), or undefined. */
  const check = (
    absolute: string,
    id: string | undefined,
    shown: string,
    text: () => string,
    sqlOf: () => SqlFile | undefined,
  ): string | undefined => {
    if (id !== undefined) {
      const stamp = partial.stampOf(absolute);
      if (!stamp) return `${shown} cannot be read`;
      // A stat that cannot vouch for the text (changed, or too recent when recorded): the text decides.
      if (!partial.stampVouches(id, stamp.same)) {
        const sql = sqlOf();
        if (!sql) return `${shown} is not found where listed`;
        (textHash(sql.file.text) === partial.previousTextHash(id) ? unchangedText : changed).push(sql);
      }
      return undefined;
    }
    const was = record.others[other++];
    if (was?.[0] !== absolute) return `${shown} is not as recorded`;
    const stamp = partial.stampOf(absolute);
    if (stamp?.text !== was[1] || was[1].endsWith(' racy')) {
      let hash: string | undefined;
      try {
        hash = textHash(text());
      } catch {
        // Unreadable (not UTF-8, say): the full compile says so.
      }
      if (!stamp || hash !== was[2]) return `${shown} changed`;
      was[1] = stamp.text;
      restamped = true;
    }
    return undefined;
  };
  const notListed = "a file was added, removed or renamed, or is another node's";
  let reason: string | undefined;
  /** A file the walk found, checked against the listing and the record: why it cannot be replayed, or undefined. */
  const checkWalked = (file: ProjectFile, sql?: SqlFile): string | undefined => {
    const id = sql && nodeIdOf(sql);
    if (!listing.next(listingLine(file.absolute, id))) return notListed;
    return check(
      file.absolute,
      id,
      file.projectPath,
      () => file.text,
      () => sql,
    );
  };
  for (const file of macroFilesOf(discovery)) {
    reason = checkWalked(file);
    if (reason) return why(reason);
  }
  if (owners) {
    for (const { file, sql } of ownersInventory(owners)) {
      reason = checkWalked(file, sql);
      if (reason) return why(reason);
    }
    if (!listing.done()) return why(notListed);
    const folders = folderStamps(partial, discovery.sources);
    if (folders && JSON.stringify(folders) !== JSON.stringify(record.folders)) {
      record.folders = folders;
      restamped = true;
    }
  } else {
    // The rest of the listing is what the walk would list: its files are checked as listed.
    const rest = listing.rest;
    if (rest === undefined) return why(notListed);
    const sqlAt = (absolute: string, id: string): SqlFile | undefined => {
      const kind = id.slice(0, id.indexOf('.'));
      if (!isSqlNodeKind(kind)) return undefined;
      const found = sqlFilesAt(discovery.sources, kind, absolute)
        .map(({ owner, file }) => ({ file, owner, kind }))
        .filter((sql) => nodeIdOf(sql) === id);
      return found.length === 1 ? found[0] : undefined;
    };
    const listed = everyListed(record.listing, rest, (absolute, id) => {
      reason = check(
        absolute,
        id,
        absolute,
        () => readTextFile(absolute),
        () => sqlAt(absolute, id!),
      );
      return reason === undefined;
    });
    if (!listed) return why(reason!);
    debug('compile replay: every folder as the last walk read it: not walked');
  }
  if (fixtureFiles(project).join('\n') !== record.fixtures.join('\n')) return why('a unit test fixture was added');
  phases.lap('files');

  registerMacros(session.engine, discovery, project.name);
  if (!partial.macrosAsBefore(session.engine)) return why('the macros changed');
  phases.lap('macros');
  const mini = replayedProject(loaded);
  const warn = () => undefined;
  const staticParser = staticParserEnabled(opts.staticParser, project);
  const { reader } = sqlNodeReader({ project, target: loaded.target, session, sqlCache: partial, staticParser }, warn);
  for (const sql of unchangedText) addSqlNode(new NodeTable(), reader, sql.owner, sql.file, sql.kind);
  for (const sql of changed) {
    const id = nodeIdOf(sql);
    const table = new NodeTable();
    try {
      addSqlNode(table, reader, sql.owner, sql.file, sql.kind);
    } catch {
      return why(`${sql.file.projectPath} does not parse`);
    }
    if (!partial.parsedAsBefore(id)) return why(`${sql.file.projectPath} parses otherwise than before`);
    const fileNode = table.nodes.get(id)!;
    const node = partial.previousBody(id)?.node as GraphNode | undefined;
    if (!node) return why(`${sql.file.projectPath} was not compiled last time`);
    node.rawCode = fileNode.rawCode;
    node.checksum = fileNode.checksum;
    if (node.config.materialized === 'ephemeral' || hasNoSql(node.rawCode))
      return why(`${sql.file.projectPath} is ephemeral or empty`);
    mini.manifest.nodes.set(id, node);
    mini.templates.set(id, table.templates.get(id)!);
    // What it refs, as stand-ins; an ephemeral model it inlines in full, with its SQL from the cache.
    const deps = [...node.dependsOn.nodes];
    for (let dep = deps.pop(); dep !== undefined; dep = deps.pop()) {
      if (mini.manifest.nodes.has(dep) || mini.manifest.sources.has(dep)) continue;
      const target = lookUp<RefTarget>(record.nodes, dep);
      const source = target ? undefined : lookUp<SourceTarget>(record.sources, dep);
      if (target?.[2] === 'ephemeral') {
        const ephemeral = partial.previousBody(dep)?.node as GraphNode | undefined;
        if (!ephemeral) return why(`${sql.file.projectPath} reads an ephemeral model compiled afresh last time`);
        mini.manifest.nodes.set(dep, ephemeral);
        deps.push(...ephemeral.dependsOn.nodes);
      } else if (target) mini.manifest.nodes.set(dep, stubNode(dep, target));
      else if (source) mini.manifest.sources.set(dep, stubSource(dep, source));
      else return why(`${sql.file.projectPath} depends on ${dep}, unknown`);
    }
  }

  // Render first, write after: a render that cannot be replayed leaves everything as it was.
  exposeProject(session, mini.manifest);
  const compiler = new Compiler(mini, session);
  compiler.cache = new CompiledSqlCache(partial, session.engine);
  const rendered: GraphNode[] = [];
  for (const sql of changed) {
    const id = nodeIdOf(sql);
    try {
      compiler.compile(id);
    } catch {
      return why(`${sql.file.projectPath} does not render here`);
    }
    if (!partial.storedBody(id)) return why(`${sql.file.projectPath} reads what differs per invocation`);
    rendered.push(mini.manifest.nodes.get(id)!);
  }
  phases.lap('render');
  if (!partial.writesAsRecorded()) return why('a compiled file changed since it was written');
  phases.lap('compiled');
  const manifestPath = join(project.targetPath, 'manifest.json');
  const spliced = splicedManifest(partial, manifestPath, manifestFile, () => {
    const base = artifactDictOptions(session);
    return {
      metadata: JSON.stringify(manifestMetadata(project.name, session)),
      entries: new Map(
        rendered.map((n) => [
          n.uniqueId,
          JSON.stringify(nodeDict(n, { ...base, compiled: compiledInfo(n, mini, compiler) })),
        ]),
      ),
    };
  });
  if (!spliced) return why('manifest.json changed since it was written');
  phases.lap('manifest');

  try {
    for (const n of rendered) compiler.writeCompiled(n.uniqueId);
    await compiler.flushWrites();
  } catch (e) {
    spliced.copy.discard();
    throw e;
  }
  spliced.copy.commit();
  phases.lap('write');
  const stamp = partial.stampOf(manifestPath)?.same;
  // Not recorded (the next compile is a full one) if it cannot be stat'ed.
  if (stamp) partial.recordManifest(spliced.places, { ...spliced.file, stamp });
  if (restamped) partial.setRecord(replayRecordName, record);
  savePartialParse(partial, 'all', opts);
  phases.lap('save');
  for (const w of record.warnings) opts.onLog?.('warn', w);
  debug(`compile replay: re-rendered ${rendered.length} of ${record.compiled} nodes`);
  debug(`compile replay: CPU ms by phase: ${phases.text()}`);
  replayed?.(session, loaded);
  return { compiled: record.compiled, targetPath: project.targetPath };
}

/** CPU time (user + system) between a replay's steps, for --debug: where a replay's time goes, without a profiler. */
class PhaseClock {
  private last = process.cpuUsage();
  private readonly laps: string[] = [];

  lap(name: string): void {
    const now = process.cpuUsage();
    const ms = (now.user - this.last.user + now.system - this.last.system) / 1000;
    this.laps.push(`${name} ${Math.round(ms)}`);
    this.last = now;
  }

  text(): string {
    return this.laps.join(', ');
  }
}

/** The project as the replay knows it: the nodes it re-renders and what they ref, nothing else. */
function replayedProject(loaded: Awaited<ReturnType<typeof load>>): ParsedProject {
  const manifest: Manifest = {
    projectName: loaded.project.name,
    nodes: new Map(),
    sources: new Map(),
    macros: new Map(),
    docs: new Map(),
    warnings: [],
  };
  return { project: loaded.project, target: loaded.target, manifest, templates: new Map() };
}

/** A node the replayed ones ref: what resolving and rendering the ref reads of it. */
function stubNode(id: string, [name, packageName, materialized, database, schema, alias]: RefTarget): GraphNode {
  return {
    uniqueId: id,
    resourceType: id.split('.')[0] as ResourceType,
    name,
    packageName,
    config: { materialized } as GraphNode['config'],
    database,
    schema,
    alias,
  } as GraphNode;
}

function stubSource(id: string, [sourceName, name, database, schema, identifier]: SourceTarget): SourceNode {
  return { uniqueId: id, resourceType: 'source', sourceName, name, database, schema, identifier } as SourceNode;
}

/**
 * The last manifest.json with a new metadata object and the re-rendered nodes' entries, copied beside it (to be
 * committed in its place), with their records; undefined when the file is not as written (its stat changed).
 */
function splicedManifest(
  partial: PartialParse,
  file: string,
  recorded: ManifestFile,
  made: () => { metadata: string; entries: Map<string, string> },
): { copy: PendingCopy; places: Map<string, string>; file: Omit<ManifestFile, 'stamp'> } | undefined {
  // Not worth making the entries for a file changed since written (the check that counts comes after the copy).
  if (partial.stampOf(file)?.same !== recorded.stamp) return undefined;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const spliced = splices(partial, fd, recorded, made);
    const copy = spliced && splicedCopy(file, fd, spliced.cuts);
    if (!copy) return undefined;
    // Stat'ed after reading: a write before the stat, even while the file was read, shows in it.
    if (partial.stampOf(file)?.same !== recorded.stamp) {
      copy.discard();
      return undefined;
    }
    return { copy, places: spliced.places, file: spliced.file };
  } finally {
    closeSync(fd);
  }
}

/** Where manifest.json (open as `fd`) changes: its metadata and the re-rendered entries, with their new records. */
function splices(
  partial: PartialParse,
  fd: number,
  recorded: ManifestFile,
  made: () => { metadata: string; entries: Map<string, string> },
): { cuts: Splice[]; places: Map<string, string>; file: Omit<ManifestFile, 'stamp'> } | undefined {
  const { metadata, entries } = made();
  const starts = entryStarts(recorded.firstEntry, (visit) => partial.previousManifestEntryLengths(visit), entries);
  const cuts: Splice[] = [{ ...recorded.metadata, text: metadata }];
  const places = new Map<string, string>();
  for (const [id, text] of entries) {
    const place = parsedPlace(partial.previousManifestEntry(id));
    const start = starts?.get(id);
    if (!place || start === undefined || !fitsIn((at) => byteAt(fd, at), { start, length: place.length }))
      return undefined;
    cuts.push({ start, length: place.length, text });
    places.set(id, placeText({ key: null, length: Buffer.byteLength(text), hash: null }));
  }
  cuts.sort((a, b) => a.start - b.start);
  // The metadata comes first: the entries move by what its length changed.
  const metadataLength = Buffer.byteLength(metadata);
  return {
    cuts,
    places,
    file: {
      metadata: { start: recorded.metadata.start, length: metadataLength },
      firstEntry: recorded.firstEntry + metadataLength - recorded.metadata.length,
    },
  };
}

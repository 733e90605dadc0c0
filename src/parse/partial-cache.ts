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
 * are unchanged. Everything else (properties YAML, config layering, relation names, docs)
 * is computed afresh each time. A cache that cannot be read is ignored, never an error.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { kilnVersion } from '../version.js';
import type { ErrorLocation } from '../errors.js';
import type { ProjectConfig } from '../config/project.js';
import type { TargetConfig } from '../config/profiles.js';
import type { TemplateEngine, Template } from '../template/engine.js';
import { recordReads, type RenderReads } from '../template/render-reads.js';
import { isSecretEnvVarName, scrubSecrets, secretValues } from '../secrets.js';
import type { ProjectFile } from './files.js';
import type { ParsedTemplate, SqlParseResult } from './sql-nodes.js';
import type { SimplePart } from './simple-template.js';

export const partialParseFile = 'partial_parse.bin';
const formatVersion = 1;
/** A file modified this close to (or after) the start of the run that saw it may change again within the same timestamp: its stat is not trusted (git's racy-index rule). */
const racyWindowMs = 2000;

/** What every cached result depends on; `envReads` are the env_var() reads made while loading the project and profile. */
export interface CacheIdentity {
  project: ProjectConfig;
  target: TargetConfig;
  adapterType: string;
  cliVars: Record<string, unknown>;
  packagesDir: string;
  envReads: Map<string, string | null>;
}

interface Stamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

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
  result: { refs: SqlParseResult['refs']; sources: SqlParseResult['sources']; config: SqlParseResult['config']; simple?: SimplePart[] };
  checks: ConfigCheck[];
}

/** A node's rendered SQL (compile-cache.ts), valid while `key` and its dependencies hold. */
export interface BodyEntry extends RenderDependencies {
  key: string;
  body: string;
  /** Config keys its render set (a generic test's `config(fail_calc=...)`). */
  configSet?: Record<string, unknown>;
}

/** A file under target/compiled as written last: rewritten only when its text or the file changed. */
export interface WrittenFile {
  hash: string;
  size: number;
  mtimeMs: number;
}

/**
 * Entries are JSON text, parsed only when asked for: reading the file stays cheap at 10,000
 * nodes, an entry parsed is a fresh copy to hand out, and a reused entry is saved as it was.
 */
interface CacheData {
  format: number;
  kilnVersion: string;
  key: string;
  env: Record<string, string | null>;
  macros: string;
  /** Per node: the file's stat when its entry was made, and whether it was too recent to vouch for the text alone. */
  stamps: Record<string, { stamp: Stamp; racy: boolean }>;
  sql: Record<string, string>;
  bodies: Record<string, string>;
  written: string;
}

export interface SqlFileRequest {
  engine: TemplateEngine;
  file: ProjectFile;
  uniqueId: string;
  /** The text to parse (a snapshot's block, padded), read only when the cache cannot vouch for it. */
  text: () => string;
  /** A snapshot block or YAML snapshot: its text is not the file's. */
  wholeFile: boolean;
  checkConfig?: (raw: Record<string, unknown>, at: (key: string) => ErrorLocation) => void;
}

export type SqlParser = (text: string, checkConfig: SqlFileRequest['checkConfig']) => SqlParseResult;

/** The parse hook's contract: partial parsing, or none (`--no-partial-parse`). */
export interface SqlParseCache {
  parseSqlFile(req: SqlFileRequest, parse: SqlParser): SqlParseResult;
}

export const noPartialParse: SqlParseCache = {
  parseSqlFile: (req, parse) => parse(req.text(), req.checkConfig),
};

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const hashValue = (v: string | null) => (v === null ? null : sha(v).slice(0, 32));

/**
 * Whether partial parsing is on: `--[no-]partial-parse`, else `KILN_PARTIAL_PARSE` /
 * `DBT_PARTIAL_PARSE`, else `flags: {partial_parse: ...}` in dbt_project.yml; on by default.
 */
export function partialParseEnabled(flag: boolean | undefined, project: ProjectConfig): boolean {
  if (flag !== undefined) return flag;
  for (const name of ['KILN_PARTIAL_PARSE', 'DBT_PARTIAL_PARSE']) {
    const v = process.env[name]?.trim().toLowerCase();
    if (v) return !['false', '0', 'no', 'off'].includes(v);
  }
  const flags = (project.yaml.data as { flags?: { partial_parse?: unknown } } | null)?.flags;
  return flags?.partial_parse !== false;
}

export class PartialParse implements SqlParseCache {
  private readonly previous: CacheData | undefined;
  private readonly key: string;
  private readonly trustBefore = Date.now() - racyWindowMs;
  private macroInventory: string | undefined;
  private macrosUnchanged = false;
  private readonly stamps: CacheData['stamps'] = {};
  private readonly sql: Record<string, string> = {};
  private readonly bodies: Record<string, string> = {};
  private previousWrites: Record<string, WrittenFile> | undefined;
  readonly written: Record<string, WrittenFile> = {};
  /** env_var() reads of this invocation: values read now, and hashes carried from reused renders. */
  private readonly env = new Map<string, string | null>();
  private readonly envHashes: Record<string, string | null> = {};
  /** DBT_ENV_SECRET_* values, as written and as JSON escapes them: an entry holding one is not kept. */
  private readonly secrets = secretValues().flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  /** Counts for --debug and tests: parses reused and redone. */
  readonly stats = { reused: 0, parsed: 0, bodiesReused: 0, bodiesRendered: 0, filesKept: 0 };

  constructor(
    private readonly identity: CacheIdentity,
    private readonly debug: (message: string) => void,
  ) {
    this.key = cacheKey(identity);
    this.noteEnv(identity.envReads);
    this.previous = this.load();
  }

  private get file(): string {
    return join(this.identity.project.targetPath, partialParseFile);
  }

  private load(): CacheData | undefined {
    if (!existsSync(this.file)) return undefined;
    let data: CacheData;
    try {
      data = deserialize(readFileSync(this.file)) as CacheData;
    } catch (e) {
      this.debug(`partial parse: ignoring ${partialParseFile}, which cannot be read (${(e as Error).message})`);
      return undefined;
    }
    if (!data || typeof data !== 'object' || data.format !== formatVersion || typeof data.sql !== 'object' || typeof data.stamps !== 'object' || typeof data.bodies !== 'object' || typeof data.written !== 'string') {
      this.debug(`partial parse: ignoring ${partialParseFile}, written by another version of kiln or not by kiln`);
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
    return data;
  }

  /** Once every macro is registered: unchanged names in unchanged places keep the cached parses. */
  private checkMacros(engine: TemplateEngine): boolean {
    if (this.macroInventory === undefined) {
      // Per-invocation values: a render that reads one is never reused.
      engine.watchGlobals(['invocation_id', 'run_started_at', 'flags', 'selected_resources']);
      const names: string[] = [];
      for (const [ns, macros] of engine.packageMacros) for (const [name, info] of macros) names.push(`${ns}.${name}@${info.file}`);
      this.macroInventory = sha(names.sort().join('\n'));
      this.macrosUnchanged = this.previous?.macros === this.macroInventory;
      if (this.previous && !this.macrosUnchanged) this.debug('partial parse: a macro was added, removed or moved: parsing everything');
    }
    return this.macrosUnchanged;
  }

  /** Whether recorded dependencies still hold: each macro file's hash and each env_var() value. */
  dependenciesHold(engine: TemplateEngine, deps: RenderDependencies): boolean {
    if (!this.checkMacros(engine)) return false;
    for (const [file, hash] of Object.entries(deps.macroFiles)) if (engine.macroFileHashes.get(file) !== hash) return false;
    for (const [name, hash] of Object.entries(deps.env)) if (hashValue(process.env[name] ?? null) !== hash) return false;
    return true;
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
    const json = this.previous?.bodies[id];
    return json === undefined ? undefined : (JSON.parse(json) as BodyEntry);
  }

  /** Keeps the last invocation's entry as it was. */
  keepBody(id: string): void {
    this.bodies[id] = this.previous!.bodies[id]!;
  }

  /** Stores a compiled SQL entry, if it survives as JSON unchanged. */
  storeBody(id: string, entry: BodyEntry): void {
    const json = this.entryJson(entry);
    if (json !== undefined) this.bodies[id] = json;
  }

  /** An entry as JSON text: undefined if JSON would change it, or if it holds a secret (the cache is a file in target/ like any artifact). */
  private entryJson(entry: object): string | undefined {
    if (!isPlainData(entry)) return undefined;
    const json = JSON.stringify(entry);
    return this.secrets.some((s) => json.includes(s)) ? undefined : json;
  }

  previousWrite(file: string): WrittenFile | undefined {
    this.previousWrites ??= this.previous ? (JSON.parse(this.previous.written) as Record<string, WrittenFile>) : {};
    return this.previousWrites[file];
  }

  parseSqlFile(req: SqlFileRequest, parse: SqlParser): SqlParseResult {
    const { file, uniqueId, engine } = req;
    this.checkMacros(engine);
    if (!file.absolute) return parse(req.text(), req.checkConfig);
    // Stat before reading: a write after the stat shows as a changed stat next time.
    const stamp = stampOf(file.absolute);
    const json = this.previous?.sql[uniqueId];
    const cached = json === undefined ? undefined : (JSON.parse(json) as SqlEntry);
    const previousStamp = this.previous?.stamps[uniqueId];
    if (cached && stamp && previousStamp && cached.file === file.absolute && cached.wholeFile === req.wholeFile && this.dependenciesHold(engine, cached)) {
      const vouched = !previousStamp.racy && sameStamp(previousStamp.stamp, stamp);
      const text = vouched ? cached.text : req.text();
      if (text === cached.text || sha(text) === cached.textHash) {
        if (vouched && req.wholeFile) file.text = cached.text;
        this.sql[uniqueId] = json!;
        this.stamps[uniqueId] = { stamp, racy: this.isRacy(stamp) };
        this.stats.reused++;
        return this.replay(req, cached);
      }
    }
    this.stats.parsed++;
    const text = req.text();
    const checks: ConfigCheck[] = [];
    const checkConfig = req.checkConfig && ((raw: Record<string, unknown>, at: (key: string) => ErrorLocation) => {
      const check: ConfigCheck = { raw: { ...raw }, at: {} };
      checks.push(check);
      req.checkConfig!(raw, (key) => (check.at[key] = at(key)));
    });
    const { result, reads } = recordReads(() => parse(text, checkConfig));
    const deps = stamp ? this.dependenciesOf(engine, reads) : undefined;
    const entry: SqlEntry = { ...deps!, file: file.absolute, textHash: sha(text), text, wholeFile: req.wholeFile, checks, result: { refs: result.refs, sources: result.sources, config: result.config, ...(result.template.kind === 'simple' ? { simple: result.template.parts } : {}) } };
    const encoded = deps && this.entryJson(entry);
    if (encoded) {
      this.sql[uniqueId] = encoded;
      this.stamps[uniqueId] = { stamp: stamp!, racy: this.isRacy(stamp!) };
    }
    return result;
  }

  /** The cached parse (a fresh copy), its config checks made again (their warnings are this run's). */
  private replay(req: SqlFileRequest, entry: SqlEntry): SqlParseResult {
    for (const check of entry.checks) req.checkConfig?.(check.raw, (key) => check.at[key] ?? Object.values(check.at)[0] ?? { file: req.file.projectPath });
    const { refs, sources, config, simple } = entry.result;
    this.noteEnvHashes(entry.env);
    return { refs, sources, config, template: simple ? { kind: 'simple', parts: simple } : lazyTemplate(req.engine, entry.text, req.file.projectPath) };
  }

  /** A reused render's env reads, kept (as hashes) so the next run still checks them. */
  noteEnvHashes(env: Record<string, string | null>): void {
    Object.assign(this.envHashes, env);
  }

  private isRacy(stamp: Stamp): boolean {
    return stamp.mtimeMs >= this.trustBefore || stamp.ctimeMs >= this.trustBefore;
  }

  /**
   * The cache to write (the caller writes it atomically), undefined when nothing was parsed.
   * Compiled SQL of nodes this invocation did not compile (`run` after `compile`, `compile -s`)
   * is kept for the nodes that still exist: each entry is checked when used.
   */
  encode(nodeIds: Iterable<string>): { file: string; bytes: Uint8Array } | undefined {
    if (!this.macroInventory) return undefined;
    if (this.previous && this.previous.macros === this.macroInventory) {
      for (const id of nodeIds) if (this.bodies[id] === undefined && this.previous.bodies[id] !== undefined) this.bodies[id] = this.previous.bodies[id];
    }
    const written = Object.keys(this.written).length ? JSON.stringify(this.written) : (this.previous?.written ?? '{}');
    const s = this.stats;
    this.debug(`partial parse: reused ${s.reused} of ${s.reused + s.parsed} SQL parses, ${s.bodiesReused} of ${s.bodiesReused + s.bodiesRendered} compiled nodes; kept ${s.filesKept} compiled files`);
    const env: Record<string, string | null> = { ...this.envHashes };
    for (const [name, value] of this.env) env[name] = hashValue(value);
    const data: CacheData = { format: formatVersion, kilnVersion, key: this.key, env, macros: this.macroInventory, stamps: this.stamps, sql: this.sql, bodies: this.bodies, written };
    return { file: this.file, bytes: serialize(data) };
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

function cacheKey(id: CacheIdentity): string {
  const { project, target } = id;
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : null);
  const installed: Array<[string, string | null]> = [];
  if (existsSync(id.packagesDir)) {
    for (const entry of readdirSync(id.packagesDir).sort()) installed.push([entry, read(join(id.packagesDir, entry, 'dbt_project.yml'))]);
  }
  return sha(
    JSON.stringify([
      kilnVersion,
      formatVersion,
      project.projectDir,
      project.targetPath,
      read(project.file),
      ['packages.yml', 'dependencies.yml', 'package-lock.yml'].map((f) => read(join(project.projectDir, f))),
      installed,
      id.cliVars,
      id.adapterType,
      // Secret values (a password) are masked: no hash of one is written.
      [target.profileName, target.targetName, target.threads, scrubSecrets(JSON.stringify(target.settings))],
    ]),
  );
}

function stampOf(file: string): Stamp | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  return st ? { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino } : undefined;
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/** Only data that survives JSON unchanged is cached: plain objects, arrays, strings, finite numbers, booleans and null. */
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

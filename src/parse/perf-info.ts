/**
 * Where a parse's time went, as `dbt parse` writes it to target/perf_info.json: seconds by
 * stage, and by project and parser, with how many files each parsed. The stages are kiln's, named as dbt's are where
 * they do the same work (see docs/commands.md for the mapping). Knows nothing of how a stage works: the parse tells it
 * when one starts and ends, and the partial parse cache how many files it parsed rather than reused.
 */

/** One parser's share of a project, as dbt's ParserInfo. */
export interface ParserInfo {
  parser: string;
  elapsed: number;
  parsed_path_count: number;
}

/** One project's (or installed package's) share of the parse, as dbt's ProjectLoaderInfo. */
export interface ProjectLoaderInfo {
  project_name: string;
  elapsed: number;
  parsers: ParserInfo[];
  parsed_path_count: number;
}

/** perf_info.json, as dbt's ManifestLoaderInfo. */
export interface PerfInfo {
  path_count: number;
  parsed_path_count: number;
  static_analysis_path_count: number;
  static_analysis_parsed_path_count: number;
  is_partial_parse_enabled: boolean;
  is_static_analysis_enabled: boolean;
  read_files_elapsed: number;
  load_macros_elapsed: number;
  parse_project_elapsed: number;
  patch_sources_elapsed: number;
  process_manifest_elapsed: number;
  load_all_elapsed: number;
  projects: ProjectLoaderInfo[];
}

export const perfInfoFile = 'perf_info.json';

/** The stages timed whole, by the field each one's seconds go to. */
export type ParseStage = 'read_files' | 'load_macros' | 'parse_project' | 'process_manifest';

/** How many SQL and properties files the partial parse cache has parsed so far (the rest it reused). */
export type ParsedCounts = () => { sql: number; yaml: number };

/** Times one parser over `paths` files of a project; `parsed` says how many of them it parsed (not reused). */
export type ParserTimer = (parser: string, paths: number, read: () => void, parsed?: 'sql' | 'yaml') => void;

const seconds = (ms: number) => ms / 1000;

export class ParsePerf {
  private readonly started = performance.now();
  private readonly elapsed = new Map<ParseStage, number>();
  private readonly projects = new Map<string, ProjectLoaderInfo>();
  private lastLap = this.started;
  private pathCount = 0;
  private alwaysRead = 0;
  private models = 0;
  private staticModels = 0;

  private partialParse = false;
  private counts?: ParsedCounts;
  private staticParser = true;

  /** The partial parse cache the parse reads through, with its counts; without one, every file read is parsed. */
  cachedBy(counts: ParsedCounts | undefined): void {
    this.partialParse = counts !== undefined;
    this.counts = counts;
  }

  /** Ends a stage: the time since the last stage ended (or since the parse began) is its. */
  lap(name: ParseStage): void {
    const now = performance.now();
    this.elapsed.set(name, (this.elapsed.get(name) ?? 0) + now - this.lastLap);
    this.lastLap = now;
  }

  /** Where the parse itself begins (the stages are timed from here), and whether dbt's static parser is on. */
  begin(staticParser: boolean): void {
    this.lastLap = performance.now();
    this.staticParser = staticParser;
  }

  /**
   * The files discovery found; `alwaysRead` of them are read on every parse, whatever the partial parse cache holds
   * (macro files, as dbt counts them too, and docs files).
   */
  discovered(paths: number, alwaysRead: number): void {
    this.pathCount = paths;
    this.alwaysRead = alwaysRead;
  }

  /** Models read, and how many of them kiln read without rendering (only ref, source, config and var calls). */
  modelsRead(models: number, staticModels: number): void {
    this.models += models;
    this.staticModels += staticModels;
  }

  /** A timer for the parsers of project `name`, each one's time and count added to the project's. */
  project(name: string): ParserTimer {
    let project = this.projects.get(name);
    if (!project) {
      project = { project_name: name, elapsed: 0, parsers: [], parsed_path_count: 0 };
      this.projects.set(name, project);
    }
    const into = project;
    return (parser, paths, read, parsed) => {
      // Read whatever the count (the properties reader does its part with no file too); recorded only with files.
      if (paths === 0) return read();
      const before = parsed && this.counts?.()[parsed];
      const start = performance.now();
      read();
      const elapsed = seconds(performance.now() - start);
      const count = before === undefined ? paths : this.counts!()[parsed!] - before;
      into.parsers.push({ parser, elapsed, parsed_path_count: count });
      into.elapsed += elapsed;
      into.parsed_path_count += count;
    };
  }

  /** The file's object, the parse being over. */
  info(): PerfInfo {
    const stage = (name: ParseStage) => seconds(this.elapsed.get(name) ?? 0);
    const projects = [...this.projects.values()];
    return {
      path_count: this.pathCount,
      parsed_path_count: this.alwaysRead + projects.reduce((sum, p) => sum + p.parsed_path_count, 0),
      static_analysis_path_count: this.models,
      static_analysis_parsed_path_count: this.staticModels,
      is_partial_parse_enabled: this.partialParse,
      is_static_analysis_enabled: this.staticParser,
      read_files_elapsed: stage('read_files'),
      load_macros_elapsed: stage('load_macros'),
      parse_project_elapsed: stage('parse_project'),
      // Sources are made as their properties YAML is read: that time is parse_project's.
      patch_sources_elapsed: 0,
      process_manifest_elapsed: stage('process_manifest'),
      load_all_elapsed: seconds(performance.now() - this.started),
      projects,
    };
  }
}

/** A timer that only runs what it is given: a parse with no perf info to write. */
export const untimed: ParserTimer = (_parser, _paths, read) => read();

/**
 * Discovery: every file one parse reads, read once, grouped by the project that owns it (the
 * root project first, then each installed package) and by what it holds. Reads files only:
 * no templates rendered, no YAML parsed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { ProjectConfig } from '../config/project.js';
import type { InstalledPackage } from '../deps/installed.js';
import type { ProjectFile } from './files.js';
import { parsedSources, type ParsedSource } from './packages.js';

export const builtinTemplatesDir = join(packageRoot, 'templates') + sep;

/** One project's files, by what they hold. */
export interface OwnerFiles {
  owner: ParsedSource;
  models: ProjectFile[];
  analyses: ProjectFile[];
  /** Singular tests (not tests/generic/ macros, not tests/fixtures/ unit test fixtures). */
  tests: ProjectFile[];
  snapshots: ProjectFile[];
  seeds: ProjectFile[];
  /** Properties YAML under any resource folder. */
  properties: ProjectFile[];
  /** Markdown that may hold docs blocks. */
  docs: ProjectFile[];
}

export interface DiscoveredFiles {
  /** kiln's own macros (templates/), in path order. */
  builtinMacros: ProjectFile[];
  /** Installed packages' macros and generic tests, per package. */
  packageMacros: Array<{ packageName: string; folder: string; files: ProjectFile[] }>;
  /** The root project's macros, then its generic tests (tests/generic/). */
  rootMacros: ProjectFile[];
  /** The root project's files first, then each installed package's. */
  owners: OwnerFiles[];
}

/** The macro files a parse registers, discovery's first part: kiln's, the installed packages', the root project's. */
export type MacroFiles = Pick<DiscoveredFiles, 'builtinMacros' | 'packageMacros' | 'rootMacros'>;

/** The macro files a parse reads, in the order it registers them: kiln's, the installed packages', the root's. */
export const macroFilesOf = (files: MacroFiles): ProjectFile[] => [
  ...files.builtinMacros,
  ...files.packageMacros.flatMap((p) => p.files),
  ...files.rootMacros,
];

export function discoverProjectFiles(project: ProjectConfig, packages: InstalledPackage[]): DiscoveredFiles {
  const { owners, sources: _, ...macros } = discoverInSteps(project, packages);
  return { ...macros, owners: owners() };
}

/**
 * Discovery in two steps: the macro files, then, when asked for, the projects' other files, which walks their resource
 * folders (at 10,000 models, most of discovery). A compile replay whose record vouches for the last walk (every folder
 * it read has the stat recorded) asks for the second step only when the record does not.
 */
export function discoverInSteps(
  project: ProjectConfig,
  packages: InstalledPackage[],
): MacroFiles & { sources: ParsedSource[]; owners: () => OwnerFiles[] } {
  const sources = parsedSources(project, packages);
  const root = sources[0]!;
  const rootTestFiles = root.files(project.testPaths, ['.sql']);
  return {
    builtinMacros: builtinMacroFiles(),
    packageMacros: packages.map((p) => ({ packageName: p.name, folder: p.folder, files: p.macroFiles })),
    rootMacros: [...root.files(project.macroPaths, ['.sql']), ...rootTestFiles.filter(isGenericTest)],
    sources,
    owners: () => sources.map((owner) => ownerFiles(owner, owner.isRoot ? rootTestFiles : undefined)),
  };
}

const isGenericTest = (f: ProjectFile) => f.resourcePath.startsWith('generic/');
const isSingularTest = (f: ProjectFile) => !isGenericTest(f) && !f.resourcePath.startsWith('fixtures/');

/** The kinds of SQL file that are one node each, and the resource folders each is found under. */
const sqlNodePaths = {
  model: (p: ProjectConfig) => p.modelPaths,
  analysis: (p: ProjectConfig) => p.analysisPaths,
  test: (p: ProjectConfig) => p.testPaths,
};

export type SqlNodeKind = keyof typeof sqlNodePaths;

export const isSqlNodeKind = (kind: string): kind is SqlNodeKind => Object.hasOwn(sqlNodePaths, kind);

/**
 * The SQL files of kind `kind` that discovery would list at `absolute` (in `OwnerFiles`), with their owners, made
 * without walking: for a caller that knows from elsewhere that the walk would list it.
 */
export function sqlFilesAt(
  sources: ParsedSource[],
  kind: SqlNodeKind,
  absolute: string,
): Array<{ owner: ParsedSource; file: ProjectFile }> {
  const out: Array<{ owner: ParsedSource; file: ProjectFile }> = [];
  for (const owner of sources)
    for (const file of owner.filesAt(sqlNodePaths[kind](owner.project), absolute))
      if (file.resourcePath.endsWith('.sql') && (kind !== 'test' || isSingularTest(file))) out.push({ owner, file });
  return out;
}

function ownerFiles(owner: ParsedSource, testFiles: ProjectFile[] | undefined): OwnerFiles {
  const p = owner.project;
  const resourcePaths = [
    ...new Set([...p.modelPaths, ...p.seedPaths, ...p.snapshotPaths, ...p.analysisPaths, ...p.testPaths]),
  ];
  const docRoots = p.docsPaths.length
    ? p.docsPaths
    : [...p.modelPaths, ...p.seedPaths, ...p.testPaths, ...p.macroPaths];
  return {
    owner,
    models: owner.files(sqlNodePaths.model(p), ['.sql']),
    analyses: owner.files(sqlNodePaths.analysis(p), ['.sql']),
    tests: (testFiles ?? owner.files(sqlNodePaths.test(p), ['.sql'])).filter(isSingularTest),
    snapshots: owner.files(p.snapshotPaths, ['.sql']),
    seeds: owner.files(p.seedPaths, ['.csv']),
    properties: owner.files(resourcePaths, ['.yml', '.yaml']),
    docs: owner.files(docRoots, ['.md']),
  };
}

function builtinMacroFiles(): ProjectFile[] {
  const out: ProjectFile[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full, `${rel}${e.name}/`);
      else if (e.name.endsWith('.sql'))
        out.push({
          absolute: full,
          projectPath: `kiln/templates/${rel}${e.name}`,
          resourcePath: `${rel}${e.name}`,
          root: 'templates',
          text: readFileSync(full, 'utf8'),
        });
    }
  };
  walk(builtinTemplatesDir, '');
  // In code-unit order: localeCompare's first call sets up ICU's collator, ~7 ms of every process.
  return out.sort((a, b) => (a.resourcePath < b.resourcePath ? -1 : a.resourcePath > b.resourcePath ? 1 : 0));
}

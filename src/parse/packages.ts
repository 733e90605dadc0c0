/**
 * The projects one parse reads: the root project and every installed package, each with its
 * own dbt_project.yml (paths, config trees). A package's files keep paths relative to the
 * root project (`dbt_packages/p/models/x.sql`), as dbt's original_file_path does.
 */
import type { ProjectConfig } from '../config/project.js';
import type { InstalledPackage } from '../deps/installed.js';
import { discoverFiles, filesAt, type FolderListings, type ProjectFile } from './files.js';
import { configFromTree, mergeConfig, type TreeLevels } from './configs.js';
import type { NodeConfig, ResourceType } from './nodes.js';

export interface ParsedSource {
  /** The project's `name:` — the package name of its nodes. */
  name: string;
  project: ProjectConfig;
  isRoot: boolean;
  /** Files under the given resource folders of this project, paths relative to the root project. */
  files(roots: string[], extensions: string[]): ProjectFile[];
  /** The files `files(roots, ...)` would list at an absolute path, made without walking (src/parse/files.ts). */
  filesAt(roots: string[], absolute: string): ProjectFile[];
  /** The walks `files` made (and the folders each read). */
  listings: FolderListings;
}

export function parsedSources(root: ProjectConfig, packages: InstalledPackage[]): ParsedSource[] {
  const rootListings: FolderListings = new Map();
  const rootSource: ParsedSource = {
    name: root.name,
    project: root,
    isRoot: true,
    files: (roots, exts) => discoverFiles(root.projectDir, roots, exts, { listings: rootListings }),
    filesAt: (roots, absolute) => filesAt(root.projectDir, roots, absolute),
    listings: rootListings,
  };
  return [
    rootSource,
    ...packages.map((p) => {
      const listings: FolderListings = new Map();
      return {
        name: p.name,
        project: p.project,
        isRoot: false,
        files: (roots: string[], exts: string[]) =>
          discoverFiles(p.project.projectDir, roots, exts, { listings, pathsFrom: root.projectDir }),
        filesAt: (roots: string[], absolute: string) =>
          filesAt(p.project.projectDir, roots, absolute, { pathsFrom: root.projectDir }),
        listings,
      };
    }),
  ];
}

function treeOf(project: ProjectConfig, type: ResourceType): Record<string, unknown> {
  return type === 'seed'
    ? project.seeds
    : type === 'test'
      ? project.dataTests
      : type === 'snapshot'
        ? project.snapshots
        : project.models;
}

/**
 * dbt's precedence: the owning project's tree < properties YAML < config() in the file; for a
 * package's node the root project's tree (its top level and its `<package>:` key) then
 * overrides all three, which is how a project re-configures a package it installs. `levels`
 * keeps the trees' levels worked out across the calls of one pass over the nodes.
 */
export function layeredConfig(
  type: ResourceType,
  fqn: string[],
  owner: ProjectConfig,
  root: ProjectConfig,
  layers: { defaults: NodeConfig; yaml: NodeConfig; file: NodeConfig },
  warn: (key: string) => void,
  levels?: TreeLevels,
): NodeConfig {
  let config = mergeConfig(
    layers.defaults,
    configFromTree(treeOf(owner, type), fqn, owner === root ? warn : () => undefined, levels),
  );
  config = mergeConfig(config, layers.yaml);
  config = mergeConfig(config, layers.file);
  if (owner !== root) config = mergeConfig(config, configFromTree(treeOf(root, type), fqn, warn, levels));
  return config;
}

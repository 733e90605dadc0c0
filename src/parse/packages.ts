/**
 * The projects one parse reads: the root project and every installed package, each with its
 * own dbt_project.yml (paths, config trees). A package's files keep paths relative to the
 * root project (`dbt_packages/p/models/x.sql`), as dbt's original_file_path does.
 */
import { relative, sep } from 'node:path';
import type { ProjectConfig } from '../config/project.js';
import type { InstalledPackage } from '../deps/installed.js';
import { discoverFiles, type ProjectFile } from './files.js';
import { configFromTree, mergeConfig } from './configs.js';
import type { NodeConfig, ResourceType } from './nodes.js';

export interface ParsedSource {
  /** The project's `name:` — the package name of its nodes. */
  name: string;
  project: ProjectConfig;
  isRoot: boolean;
  /** Files under the given resource folders of this project, paths relative to the root project. */
  files(roots: string[], extensions: string[]): ProjectFile[];
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

export function parsedSources(root: ProjectConfig, packages: InstalledPackage[]): ParsedSource[] {
  const rootSource: ParsedSource = {
    name: root.name,
    project: root,
    isRoot: true,
    files: (roots, exts) => discoverFiles(root.projectDir, roots, exts),
  };
  return [
    rootSource,
    ...packages.map((p) => ({
      name: p.name,
      project: p.project,
      isRoot: false,
      files: (roots: string[], exts: string[]) =>
        discoverFiles(p.project.projectDir, roots, exts).map((f) => ({
          ...f,
          projectPath: toPosix(relative(root.projectDir, f.absolute)),
        })),
    })),
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
 * overrides all three, which is how a project re-configures a package it installs.
 */
export function layeredConfig(
  type: ResourceType,
  fqn: string[],
  owner: ProjectConfig,
  root: ProjectConfig,
  layers: { defaults: NodeConfig; yaml: NodeConfig; file: NodeConfig },
  warn: (key: string) => void,
): NodeConfig {
  let config = mergeConfig(
    layers.defaults,
    configFromTree(treeOf(owner, type), fqn, owner === root ? warn : () => undefined),
  );
  config = mergeConfig(config, layers.yaml);
  config = mergeConfig(config, layers.file);
  if (owner !== root) config = mergeConfig(config, configFromTree(treeOf(root, type), fqn, warn));
  return config;
}

/**
 * Modules the command line's bundle carries (src/cli/bundle.ts) that `dist/src/` requires by name or path: the
 * generated validators and DuckDB's driver (its JavaScript; the native binding stays a file). The bundle's entry
 * provides a loader for each, so they come compiled from the bundle's code cache instead of being resolved, read
 * and compiled file by file (DuckDB's driver: ~180 files). Outside the bundle nothing is provided and each caller
 * requires its file as before.
 */
import type { precompiledSchemas } from './config/validators.js';

export type BundledModuleName = '@duckdb/node-api' | `validators/${keyof typeof precompiledSchemas}`;

let loaders: Partial<Record<BundledModuleName, () => unknown>> = {};

/** Called once by the bundle's entry, before anything runs. */
export function provideBundledModules(provided: Partial<Record<BundledModuleName, () => unknown>>): void {
  loaders = provided;
}

/** The module the bundle carries under this name, or undefined outside the bundle. */
export function bundledModule(name: BundledModuleName): unknown {
  return loaders[name]?.();
}

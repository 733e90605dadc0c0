/**
 * The `yaml` library, loaded on first use: it is needed only to find the line of a YAML
 * error and for `toyaml`, and loading it took a good part of kiln's startup.
 */
import { createRequire } from 'node:module';

let library: typeof import('yaml') | undefined;

export function yamlLibrary(): typeof import('yaml') {
  return (library ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
}

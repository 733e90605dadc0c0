/**
 * The boolean settings dbt takes from a command-line flag, else an environment variable, else `flags:` in
 * dbt_project.yml (partial parsing, the static parser): one order of precedence for all of them.
 */
import { resolve } from 'node:path';
import type { ProjectConfig } from './project.js';

const falseWords = ['false', '0', 'no', 'off'];

/**
 * `flag` when given; else the first of `envNames` that is set (false for false, 0, no or off); else `flags.<key>` of
 * dbt_project.yml; on unless one of them turns it off.
 */
export function dbtFlag(flag: boolean | undefined, envNames: string[], project: ProjectConfig, key: string): boolean {
  if (flag !== undefined) return flag;
  const fromEnv = envFlag(envNames);
  if (fromEnv !== undefined) return fromEnv;
  const flags = (project.yaml.data as { flags?: Record<string, unknown> } | null)?.flags;
  return flags?.[key] !== false;
}

/** The first of `envNames` that is set, as a boolean (false for false, 0, no or off); undefined when none is. */
export function envFlag(envNames: string[], env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  for (const name of envNames) {
    const v = env[name]?.trim().toLowerCase();
    if (v) return !falseWords.includes(v);
  }
  return undefined;
}

/** `KILN_<name>`, else dbt's `DBT_<name>`, trimmed; undefined when neither is set to more than blanks. */
export function envSetting(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return [env[`KILN_${name}`], env[`DBT_${name}`]].map((v) => v?.trim()).find((v) => v) || undefined;
}

/** Whether models whose only Jinja is ref, source, config and var calls are read without the template engine. */
export const staticParserEnabled = (flag: boolean | undefined, project: ProjectConfig): boolean =>
  dbtFlag(flag, ['KILN_STATIC_PARSER', 'DBT_STATIC_PARSER'], project, 'static_parser');

/**
 * dbt's `--partial-parse-file-path`: a partial parse cache to read instead of the target path's (this invocation still
 * writes its own there). The flag, else KILN_PARTIAL_PARSE_FILE_PATH or DBT_PARTIAL_PARSE_FILE_PATH, from the working
 * folder; undefined for none.
 */
export function partialParseReadPath(flag: string | undefined): string | undefined {
  const path = flag ?? envSetting('PARTIAL_PARSE_FILE_PATH');
  return path ? resolve(path) : undefined;
}

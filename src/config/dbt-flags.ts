/**
 * The boolean settings dbt takes from a command-line flag, else an environment variable, else `flags:` in
 * dbt_project.yml (partial parsing, the static parser): one order of precedence for all of them.
 */
import type { ProjectConfig } from './project.js';

const falseWords = ['false', '0', 'no', 'off'];

/**
 * `flag` when given; else the first of `envNames` that is set (false for false, 0, no or off); else `flags.<key>` of
 * dbt_project.yml; on unless one of them turns it off.
 */
export function dbtFlag(flag: boolean | undefined, envNames: string[], project: ProjectConfig, key: string): boolean {
  if (flag !== undefined) return flag;
  for (const name of envNames) {
    const v = process.env[name]?.trim().toLowerCase();
    if (v) return !falseWords.includes(v);
  }
  const flags = (project.yaml.data as { flags?: Record<string, unknown> } | null)?.flags;
  return flags?.[key] !== false;
}

/** Whether models whose only Jinja is ref, source, config and var calls are read without the template engine. */
export const staticParserEnabled = (flag: boolean | undefined, project: ProjectConfig): boolean =>
  dbtFlag(flag, ['KILN_STATIC_PARSER', 'DBT_STATIC_PARSER'], project, 'static_parser');

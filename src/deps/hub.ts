/**
 * Hub packages (`package: dbt-labs/dbt_utils`) are installed from their git repository. The
 * hub index maps a package name to that repository: a JSON object `{ "org/name": "git url" }`
 * read from KILN_HUB_INDEX (a file or an http(s) URL) or --hub-index; names it lacks fall
 * back to kiln's list of well-known packages, then to https://github.com/<org>/<name>.
 */
import { readFileSync } from 'node:fs';
import { KilnError } from '../errors.js';

const wellKnown: Record<string, string> = {
  'dbt-labs/dbt_utils': 'https://github.com/dbt-labs/dbt-utils.git',
  'dbt-labs/codegen': 'https://github.com/dbt-labs/dbt-codegen.git',
  'dbt-labs/audit_helper': 'https://github.com/dbt-labs/dbt-audit-helper.git',
  'dbt-labs/dbt_external_tables': 'https://github.com/dbt-labs/dbt-external-tables.git',
  'dbt-labs/dbt_project_evaluator': 'https://github.com/dbt-labs/dbt-project-evaluator.git',
  'godatadriven/dbt_date': 'https://github.com/godatadriven/dbt-date.git',
  'calogica/dbt_date': 'https://github.com/calogica/dbt-date.git',
  'calogica/dbt_expectations': 'https://github.com/calogica/dbt-expectations.git',
  'metaplane/dbt_expectations': 'https://github.com/metaplane/dbt-expectations.git',
  'elementary-data/elementary': 'https://github.com/elementary-data/dbt-data-reliability.git',
};

export async function hubRepository(name: string, index = process.env.KILN_HUB_INDEX): Promise<string> {
  if (index) {
    const map = await readIndex(index);
    if (typeof map[name] === 'string') return map[name];
  }
  if (wellKnown[name]) return wellKnown[name];
  const [org, pkg] = name.split('/');
  if (!org || !pkg) throw new KilnError('config', `hub package names look like org/name, not '${name}'`, { file: 'packages.yml' });
  return `https://github.com/${org}/${pkg.replace(/_/g, '-')}.git`;
}

async function readIndex(index: string): Promise<Record<string, string>> {
  try {
    if (/^https?:\/\//.test(index)) {
      const res = await fetch(index);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return (await res.json()) as Record<string, string>;
    }
    return JSON.parse(readFileSync(index, 'utf8')) as Record<string, string>;
  } catch (e) {
    throw new KilnError('config', `cannot read the hub index ${index}: ${(e as Error).message}`, { hint: 'KILN_HUB_INDEX (or --hub-index) names a JSON file or URL mapping "org/name" to a git URL' });
  }
}

type Version = [number, number, number, string];

function parseVersion(v: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-?([0-9A-Za-z.-]+))?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0), m[4] ?? ''] : undefined;
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  if (a[3] === b[3]) return 0;
  return a[3] === '' ? 1 : b[3] === '' ? -1 : a[3] < b[3] ? -1 : 1;
}

/** The highest tag satisfying every constraint (`1.3.3`, `>=1.0.0`, `<2.0.0`); prereleases only when named exactly. */
export function pickVersion(tags: string[], constraints: string[]): string | undefined {
  const checks = constraints.map((c) => {
    const m = /^\s*(>=|<=|>|<|==|=)?\s*(.+)$/.exec(c)!;
    const op = m[1] ?? '==';
    const v = parseVersion(m[2]!);
    if (!v) throw new KilnError('config', `'${c}' is not a version constraint`, { file: 'packages.yml' });
    return (x: Version) => {
      const d = compare(x, v);
      return op === '>=' ? d >= 0 : op === '<=' ? d <= 0 : op === '>' ? d > 0 : op === '<' ? d < 0 : d === 0;
    };
  });
  const exact = constraints.length === 1 && !/^\s*[<>]/.test(constraints[0]!);
  let best: [string, Version] | undefined;
  for (const t of tags) {
    const v = parseVersion(t);
    if (!v || (v[3] && !exact) || !checks.every((c) => c(v))) continue;
    if (!best || compare(v, best[1]) > 0) best = [t, v];
  }
  return best?.[0];
}

/**
 * `exposures:` and `groups:` in properties YAML. An exposure names what uses the project
 * downstream (a dashboard, a notebook, ...) and what it reads, as `ref()`, `source()` and
 * `metric()` strings; it becomes a leaf of the DAG that never runs. The schema in
 * src/config/schemas.ts has already checked each entry's shape when the file was read.
 */
import { KilnError } from '../errors.js';
import { parseYaml, type YamlFile } from '../config/yaml.js';
import type { ProjectFile } from './files.js';
import type { ExposureNode, GroupDef, RefCall } from './nodes.js';

export interface ExposuresResult {
  exposures: ExposureNode[];
  groups: GroupDef[];
}

/** Reads the exposures and groups of one package's properties files. */
export function readExposures(
  files: ProjectFile[],
  packageName: string,
  warn: (message: string) => void,
  parse: (file: ProjectFile) => YamlFile = (file) => parseYaml(file.text, file.projectPath),
): ExposuresResult {
  const out: ExposuresResult = { exposures: [], groups: [] };
  for (const file of files) {
    // Most properties files have neither: skip them without a second YAML parse.
    if (!file.text.includes('exposures') && !file.text.includes('groups')) continue;
    const yaml = parse(file);
    const data = yaml.data as Record<string, unknown> | null;
    if (!data || typeof data !== 'object') continue;
    const folders = file.resourcePath.split('/').slice(0, -1);
    if (Array.isArray(data.exposures)) {
      data.exposures.forEach((raw, i) => {
        const e = readExposure(raw as Record<string, unknown>, i, yaml, file, folders, packageName, warn);
        if (e) out.exposures.push(e);
      });
    }
    if (Array.isArray(data.groups)) {
      for (const raw of data.groups as Array<Record<string, unknown>>) {
        const name = String(raw.name);
        out.groups.push({
          uniqueId: `group.${packageName}.${name}`,
          name,
          packageName,
          path: file.resourcePath,
          originalFilePath: file.projectPath,
          owner: (raw.owner as Record<string, unknown>) ?? {},
        });
      }
    }
  }
  return out;
}

function readExposure(
  e: Record<string, unknown>,
  i: number,
  yaml: YamlFile,
  file: ProjectFile,
  folders: string[],
  packageName: string,
  warn: (message: string) => void,
): ExposureNode | undefined {
  const name = String(e.name);
  const config = (e.config as Record<string, unknown> | undefined) ?? {};
  if (config.enabled === false) return undefined;
  const refs: RefCall[] = [];
  const sources: Array<[string, string]> = [];
  const metrics: string[][] = [];
  ((e.depends_on as string[] | undefined) ?? []).forEach((text, j) => {
    const where = { file: file.projectPath, line: yaml.lineOf(['exposures', i, 'depends_on', j]) };
    const call = parseDependency(text);
    if (!call) {
      throw new KilnError(
        'yaml',
        `exposure '${name}': depends_on entry '${text}' is not a ref(), source() or metric() call`,
        { ...where, hint: "write e.g. ref('fct_orders'), ref('package', 'model') or source('shop', 'raw_orders')" },
      );
    }
    const strings = call.args;
    if (call.fn === 'ref' && (strings.length === 1 || strings.length === 2))
      refs.push(strings.length === 2 ? { package: strings[0], name: strings[1]! } : { name: strings[0]! });
    else if (call.fn === 'source' && strings.length === 2) sources.push([strings[0]!, strings[1]!]);
    else if (call.fn === 'metric' && (strings.length === 1 || strings.length === 2)) {
      metrics.push(strings);
      warn(
        `${where.file}:${where.line ?? 1}: exposure '${name}' depends ` +
          `on metric('${strings.join("', '")}'), but kiln does not parse ` +
          `metrics: the dependency is recorded, not followed`,
      );
    } else {
      const expected =
        call.fn === 'source'
          ? 'a source name and a table name'
          : call.fn === 'ref'
            ? 'a model name, or a package and a model name'
            : 'a metric name';
      throw new KilnError('yaml', `exposure '${name}': ${call.fn}() in depends_on takes ${expected}`, where);
    }
  });
  const tags = [...new Set([...toList(e.tags), ...toList(config.tags)])];
  const meta = { ...((e.meta as object) ?? {}), ...((config.meta as object) ?? {}) };
  return {
    uniqueId: `exposure.${packageName}.${name}`,
    resourceType: 'exposure',
    name,
    label: typeof e.label === 'string' ? e.label : undefined,
    type: e.type as ExposureNode['type'],
    owner: { ...(e.owner as Record<string, unknown>) },
    packageName,
    path: file.resourcePath,
    originalFilePath: file.projectPath,
    fqn: [packageName, ...folders, name],
    description: typeof e.description === 'string' ? e.description : '',
    url: typeof e.url === 'string' ? e.url : undefined,
    maturity: e.maturity as ExposureNode['maturity'],
    tags,
    meta,
    config: { enabled: true, tags, meta },
    refs,
    sources,
    metrics,
    dependsOn: { nodes: [], macros: [] },
    declaredAt: { file: file.projectPath, line: yaml.lineOf(['exposures', i, 'name']) },
  };
}

/**
 * `ref('x')`, `ref('pkg', 'x', v=2)`, `source('a', 'b')`, `metric('m')`, optionally in
 * `{{ }}`: the function and its string arguments. Keyword arguments (a ref's version) are
 * accepted and dropped: kiln has no model versions.
 */
export function parseDependency(text: string): { fn: 'ref' | 'source' | 'metric'; args: string[] } | undefined {
  const m = /^\s*(?:\{\{\s*)?(ref|source|metric)\s*\(([\s\S]*)\)\s*(?:\}\}\s*)?$/.exec(text);
  if (!m) return undefined;
  const args: string[] = [];
  const arg = /\s*(?:(\w+)\s*=\s*)?(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?))\s*(,|$)/y;
  const body = m[2]!;
  if (body.trim() === '') return { fn: m[1] as 'ref', args };
  let last = '';
  while (arg.lastIndex < body.length) {
    const a = arg.exec(body);
    if (!a) return undefined;
    if (a[1] === undefined) {
      if (a[4] !== undefined) return undefined;
      args.push(a[2] ?? a[3]!);
    }
    last = a[5]!;
    if (last === '') break;
  }
  if (arg.lastIndex < body.length || last === ',') return undefined;
  return { fn: m[1] as 'ref', args };
}

function toList(v: unknown): string[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
}

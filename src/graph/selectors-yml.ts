/**
 * selectors.yml: named selection definitions, as dbt writes them. A definition is a CLI-style
 * string, a `method: value` pair, a full dict (method, value, parents, children, ...,
 * exclude), or `union:` / `intersection:` lists whose `exclude:` items are subtracted.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../errors.js';
import { readYamlFile, type YamlFile } from '../config/yaml.js';
import { parseExpression, parseToken, union, type IndirectSelection, type SelectionSpec } from './selection/spec.js';

export interface SelectorsFile {
  selectors: Map<string, SelectionSpec>;
  descriptions: Map<string, string>;
  /** The selector marked `default: true`, used when no --select/--exclude/--selector is given. */
  defaultName?: string;
}

type Path = Array<string | number>;
const indirectModes = ['eager', 'cautious', 'buildable', 'empty'];
const fullKeys = new Set([
  'method',
  'value',
  'parents',
  'children',
  'parents_depth',
  'children_depth',
  'childrens_parents',
  'indirect_selection',
  'exclude',
  'description',
]);

export function loadSelectors(projectDir: string): SelectorsFile {
  const file = join(projectDir, 'selectors.yml');
  const out: SelectorsFile = { selectors: new Map(), descriptions: new Map() };
  if (!existsSync(file)) return out;
  const yaml = readYamlFile(file, 'selectors.yml');
  const data = yaml.data as { selectors?: unknown };
  const bad = (message: string, path: Path, hint?: string): never => {
    throw new KilnError('yaml', message, { file: yaml.file, line: yaml.lineOf(path), hint });
  };
  if (!data || typeof data !== 'object' || !Array.isArray(data.selectors))
    bad(
      "selectors.yml needs a top-level 'selectors:' list",
      ['selectors'],
      'selectors:\n    - name: nightly\n      definition: "tag:nightly"',
    );
  (data.selectors as unknown[]).forEach((entry, i) => {
    const e = entry as Record<string, unknown>;
    if (!e || typeof e !== 'object' || typeof e.name !== 'string')
      return bad('each selector needs a name', ['selectors', i]);
    const name = e.name;
    if (!('definition' in e)) bad(`selector '${name}' has no definition`, ['selectors', i]);
    if (out.selectors.has(name)) bad(`selector '${name}' is defined twice`, ['selectors', i, 'name']);
    const spec = definition(e.definition, ['selectors', i, 'definition'], yaml, bad);
    out.selectors.set(name, spec);
    if (typeof e.description === 'string') out.descriptions.set(name, e.description);
    if (e.default === true || e.default === 'true') {
      if (out.defaultName)
        bad(`selectors '${out.defaultName}' and '${name}' are both marked default: true`, ['selectors', i, 'default']);
      out.defaultName = name;
    } else if (e.default !== undefined && e.default !== false && e.default !== 'false')
      bad(`default: of selector '${name}' must be true or false`, ['selectors', i, 'default']);
  });
  return out;
}

type Bad = (message: string, path: Path, hint?: string) => never;

function definition(def: unknown, path: Path, yaml: YamlFile, bad: Bad): SelectionSpec {
  if (typeof def === 'string') return parseExpression(def, { file: yaml.file, line: yaml.lineOf(path) }, false);
  if (Array.isArray(def)) return setOf('union', def, path, yaml, bad);
  if (!def || typeof def !== 'object')
    return bad('a selector definition must be a string, a method: value pair, or a union:/intersection: list', path);
  const d = def as Record<string, unknown>;
  const keys = Object.keys(d);
  if (keys.length === 1 && (keys[0] === 'union' || keys[0] === 'intersection')) {
    const list = d[keys[0]];
    if (!Array.isArray(list)) return bad(`${keys[0]}: must be a list of definitions`, [...path, keys[0]]);
    return setOf(keys[0], list, [...path, keys[0]], yaml, bad);
  }
  if ('method' in d || 'value' in d) return full(d, path, yaml, bad);
  if (keys.length === 1 && keys[0] !== 'exclude') return criteria(`${keys[0]}:${String(d[keys[0]!])}`, path, yaml);
  return bad(
    `cannot read this selector definition (keys: ${keys.join(', ')})`,
    path,
    'use a string, `method: value`, a dict with method and value, or union:/intersection:',
  );
}

function setOf(kind: 'union' | 'intersection', list: unknown[], path: Path, yaml: YamlFile, bad: Bad): SelectionSpec {
  const include: SelectionSpec[] = [];
  const exclude: SelectionSpec[] = [];
  list.forEach((item, i) => {
    const p = [...path, i];
    if (
      item &&
      typeof item === 'object' &&
      !Array.isArray(item) &&
      Object.keys(item).length === 1 &&
      'exclude' in item
    ) {
      const ex = item.exclude;
      exclude.push(definition(Array.isArray(ex) ? ex : [ex], [...p, 'exclude'], yaml, bad));
    } else include.push(definition(item, p, yaml, bad));
  });
  if (!include.length) bad(`${kind}: needs at least one definition besides exclude`, path);
  const set: SelectionSpec = include.length === 1 ? include[0]! : { kind, parts: include };
  return exclude.length ? { kind: 'difference', include: set, exclude: union(exclude) } : set;
}

function full(d: Record<string, unknown>, path: Path, yaml: YamlFile, bad: Bad): SelectionSpec {
  for (const k of Object.keys(d))
    if (!fullKeys.has(k))
      bad(`unknown key '${k}' in a selector definition`, [...path, k], `known keys: ${[...fullKeys].join(', ')}`);
  if (d.method === undefined || d.value === undefined)
    bad('a full selector definition needs both method and value', path);
  const depth = (key: string) => (d[key] === undefined || d[key] === null ? '' : String(d[key]));
  const at = d.childrens_parents === true ? '@' : '';
  const up = d.parents === true || d.parents_depth !== undefined ? `${depth('parents_depth')}+` : '';
  const down = d.children === true || d.children_depth !== undefined ? `+${depth('children_depth')}` : '';
  const method = String(d.method);
  const raw = `${at}${up}${method}:${String(d.value)}${down}`;
  let spec = criteria(raw, path, yaml);
  if (d.indirect_selection !== undefined) {
    if (!indirectModes.includes(String(d.indirect_selection)))
      bad(`indirect_selection must be one of ${indirectModes.join(', ')}`, [...path, 'indirect_selection']);
    spec = { ...spec, indirect: String(d.indirect_selection) as IndirectSelection } as SelectionSpec;
  }
  if (d.exclude !== undefined) {
    const ex = Array.isArray(d.exclude) ? d.exclude : [d.exclude];
    spec = { kind: 'difference', include: spec, exclude: setOf('union', ex, [...path, 'exclude'], yaml, bad) };
  }
  return spec;
}

function criteria(raw: string, path: Path, yaml: YamlFile): SelectionSpec {
  try {
    return { kind: 'criteria', token: parseToken(raw) };
  } catch (e) {
    if (e instanceof KilnError)
      throw new KilnError('selection', e.message, { file: yaml.file, line: yaml.lineOf(path), hint: e.hint });
    throw e;
  }
}

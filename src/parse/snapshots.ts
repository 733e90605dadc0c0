/**
 * Snapshot definitions: `{% snapshot name %} select ... {% endsnapshot %}` blocks in the
 * snapshot paths, and (the newer dbt form) YAML entries under `snapshots:` with a `relation`.
 * Each becomes a SQL node of resource type `snapshot`; its configs are checked once parsed.
 */
import { KilnError } from '../errors.js';
import { parseYaml } from '../config/yaml.js';
import type { ProjectFile } from './files.js';
import type { GraphNode } from './nodes.js';

export interface SnapshotDefinition {
  name: string;
  /** The snapshot's SELECT (a block's body, or a select from the YAML relation). */
  text: string;
  /** Line of `text`'s first line in the file. */
  line: number;
  /** For block snapshots, the file name without extension (dbt puts it in the fqn). */
  fileStem?: string;
}

const blockPattern = /\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}([\s\S]*?)\{%-?\s*endsnapshot\s*-?%\}/g;

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** The `{% snapshot %}` blocks of one .sql file in a snapshot path. */
export function snapshotBlocks(file: ProjectFile): SnapshotDefinition[] {
  const out: SnapshotDefinition[] = [];
  const stem = file.resourcePath
    .replace(/\.sql$/, '')
    .split('/')
    .pop()!;
  for (const m of file.text.matchAll(blockPattern)) {
    const bodyStart = m.index + m[0].indexOf('%}') + 2;
    out.push({ name: m[1]!, text: m[2]!, line: lineAt(file.text, bodyStart), fileStem: stem });
  }
  const opened = (file.text.match(/\{%-?\s*snapshot\s/g) ?? []).length;
  if (opened !== out.length) {
    const at = /\{%-?\s*snapshot\s/.exec(file.text.replace(blockPattern, (s) => ' '.repeat(s.length)));
    throw new KilnError('template', 'a {% snapshot %} block is not closed or has no valid name', {
      file: file.projectPath,
      line: at ? lineAt(file.text, at.index) : undefined,
      hint: 'write {% snapshot my_snapshot %} select ... {% endsnapshot %}',
    });
  }
  return out;
}

/** Snapshots declared in properties YAML with `relation: source('a', 'b')` or `ref('x')`. */
export function yamlSnapshots(file: ProjectFile): SnapshotDefinition[] {
  if (!/^snapshots\s*:/m.test(file.text)) return [];
  const yaml = parseYaml(file.text, file.projectPath);
  const list = (yaml.data as { snapshots?: unknown } | null)?.snapshots;
  if (!Array.isArray(list)) return [];
  const out: SnapshotDefinition[] = [];
  list.forEach((entry, i) => {
    const e = entry as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || e.relation === undefined) return;
    const line = yaml.lineOf(['snapshots', i, 'relation']) ?? yaml.lineOf(['snapshots', i]) ?? 1;
    const relation = String(e.relation)
      .trim()
      .replace(/^\{\{\s*|\s*\}\}$/g, '');
    if (!/^(ref|source)\s*\(.*\)$/s.test(relation)) {
      throw new KilnError(
        'yaml',
        `snapshot '${String(e.name)}': relation must be ref('...') or ` +
          `source('...', '...'), got '${String(e.relation)}'`,
        { file: file.projectPath, line },
      );
    }
    out.push({ name: String(e.name), text: `select * from {{ ${relation} }}`, line });
  });
  return out;
}

/** `target_schema` / `target_database` (the older snapshot configs) name the schema as is. */
export function applySnapshotTarget(node: GraphNode): void {
  if (node.resourceType !== 'snapshot') return;
  const ts = node.config.target_schema;
  if (ts !== undefined && ts !== null && ts !== '') node.schema = String(ts);
  const td = node.config.target_database;
  if (td !== undefined && td !== null && td !== '') node.database = String(td);
}

function stringList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).map((v) => String(v));
}

export interface SnapshotSettings {
  strategy: 'timestamp' | 'check';
  /** SQL expressions of the unique key (column names, or expressions). */
  keys: string[];
  /** The same keys as the snapshot SQL names them on the current rows. */
  current_keys: string[];
  updated_at?: string;
  check_cols: string[] | 'all';
  hard_deletes: 'ignore' | 'invalidate' | 'new_record';
  valid_to_current?: string;
}

/** Reads and checks a snapshot's configs; called at parse time so mistakes exit 2 with the file. */
export function snapshotSettings(node: GraphNode, line?: number): SnapshotSettings {
  const c = node.config;
  const bad = (message: string, hint: string) =>
    new KilnError('config', `snapshot '${node.name}': ${message}`, { file: node.originalFilePath, line, hint });
  const keys = stringList(c.unique_key);
  if (!keys.length)
    throw bad('unique_key is required', 'set unique_key to the column (or list of columns) that identifies a row');
  const strategy = String(c.strategy ?? '');
  if (strategy !== 'timestamp' && strategy !== 'check')
    throw bad(
      strategy ? `strategy '${strategy}' is not supported` : 'strategy is required',
      "set strategy to 'timestamp' (with updated_at) or 'check' (with check_cols)",
    );
  const updatedAt =
    c.updated_at === undefined || c.updated_at === null || c.updated_at === '' ? undefined : String(c.updated_at);
  if (strategy === 'timestamp' && !updatedAt)
    throw bad(
      'the timestamp strategy needs updated_at',
      'set updated_at to the column that records when a row last changed',
    );
  let checkCols: string[] | 'all' = [];
  if (strategy === 'check') {
    checkCols = c.check_cols === 'all' ? 'all' : stringList(c.check_cols);
    if (checkCols !== 'all' && !checkCols.length)
      throw bad('the check strategy needs check_cols', "set check_cols to a list of columns, or 'all'");
  }
  const hardDeletes =
    c.hard_deletes === undefined || c.hard_deletes === null
      ? c.invalidate_hard_deletes === true
        ? 'invalidate'
        : 'ignore'
      : String(c.hard_deletes);
  if (hardDeletes !== 'ignore' && hardDeletes !== 'invalidate' && hardDeletes !== 'new_record')
    throw bad(`hard_deletes '${hardDeletes}' is not valid`, 'use ignore, invalidate or new_record');
  const vtc = c.dbt_valid_to_current;
  return {
    strategy,
    keys,
    current_keys: keys.map((_, i) => `current_rows.dbt_unique_key_${i + 1}`),
    updated_at: updatedAt,
    check_cols: checkCols,
    hard_deletes: hardDeletes,
    valid_to_current: vtc === undefined || vtc === null || vtc === '' ? undefined : String(vtc),
  };
}

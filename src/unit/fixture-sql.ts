/**
 * A fixture as SQL for a CTE: one `select` per row joined by `union all`, every value cast to
 * its column's type, and the columns a row does not give as typed NULLs, so the model sees
 * the input's full shape. Without known types, values are plain literals.
 */
import { KilnError } from '../errors.js';
import { stringLiteral } from '../adapters/sql.js';
import type { ColumnInfo } from '../adapters/types.js';
import type { Fixture } from './fixtures.js';

export interface FixtureSqlOptions {
  quote: (name: string) => string;
  /** The input's columns and types, when known; otherwise the fixture's own columns, untyped. */
  columns?: ColumnInfo[];
  /** For messages: what this fixture stands for. */
  describe: string;
}

export function fixtureSql(fixture: Fixture, opts: FixtureSqlOptions): string {
  if (fixture.kind === 'sql') return fixture.sql;
  const known = opts.columns?.length ? opts.columns : undefined;
  const byKey = new Map((known ?? []).map((c) => [c.name.toLowerCase(), c]));
  if (known) {
    for (const c of fixture.columns) {
      if (!byKey.has(c.toLowerCase())) {
        throw new KilnError('config', `${opts.describe} gives column '${c}', which it does not have`, {
          file: fixture.file,
          line: fixture.line,
          hint: `its columns are: ${known.map((k) => k.name).join(', ')}`,
        });
      }
    }
  }
  const columns: Array<{ name: string; type?: string }> = known
    ? known.map((c) => ({ name: c.name, type: c.type }))
    : fixture.columns.map((name) => ({ name }));
  if (!columns.length)
    throw new KilnError('config', `${opts.describe} has no rows and no known columns`, {
      file: fixture.file,
      line: fixture.line,
      hint: 'build the input first (kiln build --empty), or give at least one row',
    });
  const given = (row: Record<string, unknown>, name: string): { has: boolean; value: unknown } => {
    if (name in row) return { has: true, value: row[name] };
    const key = Object.keys(row).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? { has: false, value: null } : { has: true, value: row[key] };
  };
  const select = (row: Record<string, unknown> | undefined) =>
    'select ' +
    columns
      .map((c) => {
        const v = row ? given(row, c.name).value : null;
        return `${literal(v, c.type)} as ${opts.quote(c.name)}`;
      })
      .join(', ');
  if (!fixture.rows.length) return `${select(undefined)} where false`;
  return fixture.rows.map((r) => select(r)).join('\nunion all\n');
}

/** A value as SQL: cast to `type` when known (from its text, which every warehouse parses), else a plain literal. */
export function literal(value: unknown, type: string | undefined): string {
  if (value === null || value === undefined) return type ? `cast(null as ${type})` : 'null';
  const text =
    value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (type) return `cast(${stringLiteral(text)} as ${type})`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : stringLiteral(text);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return stringLiteral(text);
}

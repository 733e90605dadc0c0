/** Small SQL spelling helpers shared by adapters whose dialect agrees on them. */
import type { ColumnInfo } from './types.js';

export function quoteDoubled(name: string, quote = '"'): string {
  const text = String(name);
  // Names seldom hold the quote: no split and join for each of the thousands a compile renders.
  return quote + (text.includes(quote) ? text.split(quote).join(quote + quote) : text) + quote;
}

export function stringLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Normalises a driver value into what kiln hands to templates and results. */
export function normaliseValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return value;
}

/** (relation name, column) rows of a columns query, in order, grouped by relation. */
export function columnsByRelation(rows: Iterable<[string, ColumnInfo]>): Map<string, ColumnInfo[]> {
  const out = new Map<string, ColumnInfo[]>();
  for (const [relation, column] of rows) (out.get(relation) ?? out.set(relation, []).get(relation)!).push(column);
  return out;
}

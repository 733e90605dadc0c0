/**
 * Seed CSVs: RFC 4180 parsing and dbt-compatible column type inference (integer, number,
 * boolean, date, timestamp, text; an empty cell is NULL).
 */
import { readFileSync } from 'node:fs';
import { KilnError } from '../errors.js';
import type { SeedColumnKind, SeedTable } from '../adapters/types.js';

export function parseCsv(text: string, file: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let quoteLine = 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      inQuotes = true;
      quoteLine = line;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      row.push(field);
      field = '';
      if (!(row.length === 1 && row[0] === '')) rows.push(row);
      row = [];
    } else field += c;
  }
  if (inQuotes) throw new KilnError('config', `unterminated quoted value starting on line ${quoteLine}`, { file, line: quoteLine, hint: 'close the quote, or double a quote inside a value ("")' });
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const patterns: Array<[SeedColumnKind, RegExp]> = [
  ['integer', /^[-+]?\d{1,18}$/],
  ['number', /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/],
  ['boolean', /^(true|false)$/i],
  ['date', /^\d{4}-\d{2}-\d{2}$/],
  ['timestamp', /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/],
];

/** The narrowest kind that every non-empty value of a column fits. */
export function inferKind(values: Iterable<string | null>): SeedColumnKind {
  let candidates = patterns.slice();
  let any = false;
  for (const v of values) {
    if (v === null) continue;
    any = true;
    candidates = candidates.filter(([kind, re]) => re.test(v) || (kind === 'number' && patterns[0]![1].test(v)) || (kind === 'timestamp' && patterns[3]![1].test(v)));
    if (!candidates.length) return 'text';
  }
  return any ? candidates[0]![0] : 'text';
}

export function readSeed(file: string, displayPath: string, columnTypes: Record<string, string> = {}): SeedTable {
  const rows = parseCsv(readFileSync(file, 'utf8'), displayPath);
  if (rows.length === 0) throw new KilnError('config', 'seed file is empty: it needs at least a header row', { file: displayPath });
  const header = rows[0]!.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (!h) throw new KilnError('config', `seed header column ${i + 1} has no name`, { file: displayPath, line: 1 });
    if (seen.has(h.toLowerCase())) throw new KilnError('config', `seed header repeats the column '${h}'`, { file: displayPath, line: 1 });
    seen.add(h.toLowerCase());
  });
  const data = rows.slice(1).map((r, n) => {
    if (r.length !== header.length) {
      throw new KilnError('config', `row has ${r.length} values but the header has ${header.length} columns`, { file: displayPath, line: n + 2, hint: 'quote values that contain commas: "a, b"' });
    }
    return r.map((v) => (v === '' ? null : v));
  });
  const columns = header.map((name, i) => ({
    name,
    kind: inferKind(data.map((r) => r[i]!)),
    type: columnTypes[name] ?? Object.entries(columnTypes).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1],
  }));
  return { columns, rows: data, file };
}

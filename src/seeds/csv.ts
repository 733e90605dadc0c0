/**
 * Seed CSVs: RFC 4180 parsing and dbt-compatible column type inference (integer, number,
 * boolean, date, timestamp, text; an empty cell is NULL). Large files are read in chunks
 * (readSeedInChunks) so that a run can be interrupted while one loads; nothing here talks
 * to a warehouse.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { KilnError } from '../errors.js';
import type { SeedColumnKind, SeedTable } from '../adapters/types.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * A CSV parser fed piece by piece: push() returns the rows completed so far, end() the rest.
 * A quote or a CR LF split across two pieces reads as if the text were whole. A line with
 * nothing on it is skipped; a `"` opens a quoted stretch wherever it stands.
 */
export class CsvReader {
  private row: string[] = [];
  private field = '';
  private inQuotes = false;
  /** A `"` inside quotes ended the last piece: the next character says whether it was doubled. */
  private quotePending = false;
  /** A CR ended the last piece: an LF that follows belongs to it. */
  private skipLf = false;
  private started = false;
  private line = 1;
  private quoteLine = 0;

  constructor(private readonly file: string) {}

  push(text: string): string[][] {
    const out: string[][] = [];
    const n = text.length;
    let i = 0;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    while (i < n) {
      if (this.skipLf) {
        this.skipLf = false;
        if (text.charCodeAt(i) === LF) {
          i++;
          continue;
        }
      }
      if (this.quotePending) {
        this.quotePending = false;
        if (text.charCodeAt(i) === QUOTE) {
          this.field += '"';
          i++;
          continue;
        }
        this.inQuotes = false;
      }
      i = this.inQuotes ? this.quoted(text, i) : this.unquoted(text, i, out);
    }
    return out;
  }

  end(): string[][] {
    if (this.quotePending) {
      this.quotePending = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) {
      throw new KilnError('config', `unterminated quoted value starting on line ${this.quoteLine}`, {
        file: this.file,
        line: this.quoteLine,
        hint: 'close the quote, or double a quote inside a value ("")',
      });
    }
    if (this.field === '' && !this.row.length) return [];
    this.row.push(this.field);
    const last = this.row;
    this.row = [];
    this.field = '';
    return [last];
  }

  /** Reads inside quotes from i; returns where to go on. */
  private quoted(text: string, i: number): number {
    const n = text.length;
    let j = i;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) break;
      if (c === LF) this.line++;
    }
    this.field += text.slice(i, j);
    if (j === n) return n;
    if (j + 1 === n) {
      this.quotePending = true;
      return n;
    }
    if (text.charCodeAt(j + 1) === QUOTE) {
      this.field += '"';
      return j + 2;
    }
    this.inQuotes = false;
    return j + 1;
  }

  /** Reads outside quotes from i up to and including the next separator; completed rows go to out. */
  private unquoted(text: string, i: number, out: string[][]): number {
    const n = text.length;
    let j = i;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === COMMA || c === QUOTE || c === LF || c === CR) break;
    }
    if (j > i) this.field += text.slice(i, j);
    if (j === n) return n;
    const c = text.charCodeAt(j);
    if (c === QUOTE) {
      this.inQuotes = true;
      this.quoteLine = this.line;
    } else if (c === COMMA) {
      this.row.push(this.field);
      this.field = '';
    } else {
      if (c === CR) {
        if (j + 1 === n) this.skipLf = true;
        else if (text.charCodeAt(j + 1) === LF) j++;
      }
      this.line++;
      this.row.push(this.field);
      this.field = '';
      if (!(this.row.length === 1 && this.row[0] === '')) out.push(this.row);
      this.row = [];
    }
    return j + 1;
  }
}

export function parseCsv(text: string, file: string): string[][] {
  const reader = new CsvReader(file);
  const rows = reader.push(text);
  for (const r of reader.end()) rows.push(r);
  return rows;
}

const patterns: Array<[SeedColumnKind, RegExp]> = [
  ['integer', /^[-+]?\d{1,18}$/],
  ['number', /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/],
  ['boolean', /^(true|false)$/i],
  ['date', /^\d{4}-\d{2}-\d{2}$/],
  ['timestamp', /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/],
];

function fits(kind: SeedColumnKind, re: RegExp, v: string): boolean {
  return (
    re.test(v) || (kind === 'number' && patterns[0]![1].test(v)) || (kind === 'timestamp' && patterns[3]![1].test(v))
  );
}

/** The narrowest kind that every non-empty value of a column fits, one value at a time. */
export class KindTracker {
  private candidates = patterns.slice();
  private any = false;

  add(v: string | null): void {
    if (v === null) return;
    this.any = true;
    const c = this.candidates;
    if (!c.length) return;
    for (const [kind, re] of c) {
      if (!fits(kind, re, v)) {
        this.candidates = c.filter(([k, r]) => fits(k, r, v));
        return;
      }
    }
  }

  get kind(): SeedColumnKind {
    return this.any ? (this.candidates[0]?.[0] ?? 'text') : 'text';
  }
}

/** The narrowest kind that every non-empty value of a column fits. */
export function inferKind(values: Iterable<string | null>): SeedColumnKind {
  const t = new KindTracker();
  for (const v of values) t.add(v);
  return t.kind;
}

/** Checks a seed's rows as they arrive and infers its column kinds. */
class SeedBuilder {
  private header?: string[];
  private kinds: KindTracker[] = [];
  readonly rows: Array<Array<string | null>> = [];

  constructor(private readonly displayPath: string) {}

  add(rows: string[][]): void {
    for (const r of rows) {
      if (!this.header) {
        this.header = checkedHeader(r, this.displayPath);
        this.kinds = this.header.map(() => new KindTracker());
        continue;
      }
      if (r.length !== this.header.length) {
        throw new KilnError('config', `row has ${r.length} values but the header has ${this.header.length} columns`, {
          file: this.displayPath,
          line: this.rows.length + 2,
          hint: 'quote values that contain commas: "a, b"',
        });
      }
      const values = r.map((v) => (v === '' ? null : v));
      for (let i = 0; i < values.length; i++) this.kinds[i]!.add(values[i]!);
      this.rows.push(values);
    }
  }

  finish(file: string, columnTypes: Record<string, string>): SeedTable {
    if (!this.header)
      throw new KilnError('config', 'seed file is empty: it needs at least a header row', { file: this.displayPath });
    const columns = this.header.map((name, i) => ({
      name,
      kind: this.kinds[i]!.kind,
      type: columnTypes[name] ?? Object.entries(columnTypes).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1],
    }));
    return { columns, rows: this.rows, file };
  }
}

function checkedHeader(row: string[], displayPath: string): string[] {
  const header = row.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (!h) throw new KilnError('config', `seed header column ${i + 1} has no name`, { file: displayPath, line: 1 });
    if (seen.has(h.toLowerCase()))
      throw new KilnError('config', `seed header repeats the column '${h}'`, { file: displayPath, line: 1 });
    seen.add(h.toLowerCase());
  });
  return header;
}

export function readSeed(file: string, displayPath: string, columnTypes: Record<string, string> = {}): SeedTable {
  const builder = new SeedBuilder(displayPath);
  builder.add(parseCsv(readFileSync(file, 'utf8'), displayPath));
  return builder.finish(file, columnTypes);
}

/** Bytes read per step of readSeedInChunks. */
const CHUNK_BYTES = 1 << 20;

/**
 * readSeed for files of any size: the file is read and parsed a megabyte at a time, and
 * between pieces the event loop runs (a signal handler can) and `checkpoint` is called,
 * which throws to stop the read (a cancelled run).
 */
export async function readSeedInChunks(
  file: string,
  displayPath: string,
  columnTypes: Record<string, string> = {},
  checkpoint: () => void = () => undefined,
): Promise<SeedTable> {
  const builder = new SeedBuilder(displayPath);
  const reader = new CsvReader(displayPath);
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  try {
    for await (const piece of stream) {
      builder.add(reader.push(piece as string));
      // Buffered pieces arrive without a turn of the event loop; give signals theirs.
      await new Promise((resolve) => setImmediate(resolve));
      checkpoint();
    }
  } finally {
    stream.destroy();
  }
  builder.add(reader.end());
  return builder.finish(file, columnTypes);
}

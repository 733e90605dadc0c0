/**
 * Result values from @google-cloud/bigquery into kiln's shapes, those of the DuckDB adapter:
 * INT64 a number when safe, else its digits as a string; NUMERIC/BIGNUMERIC and FLOAT64
 * numbers; DATE a Date at UTC midnight; DATETIME a Date reading the wall clock as UTC;
 * TIMESTAMP the instant; TIME as text; RECORD/REPEATED recursively.
 */
export function integerValue(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

export function normaliseBigQueryValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(normaliseBigQueryValue);
  if (typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value)) return value;
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  const inner = (value as { value?: unknown }).value;
  switch (ctor) {
    case 'BigQueryDate':
      return new Date(`${String(inner)}T00:00:00.000Z`);
    case 'BigQueryDatetime': {
      const text = String(inner).replace(' ', 'T');
      return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
    }
    case 'BigQueryTimestamp':
      return new Date(String(inner));
    case 'BigQueryTime':
      return String(inner);
    case 'BigQueryInt':
      return integerValue(String(inner));
    case 'Big':
      // NUMERIC / BIGNUMERIC come as big.js values.
      return Number(String(value));
    case 'Geography':
      return String(inner);
    default: {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = normaliseBigQueryValue(v);
      return out;
    }
  }
}

/**
 * Result values from the Snowflake SDK into kiln's shapes, the ones the DuckDB adapter gives:
 * NUMBER(p,0) is a number when it is a safe integer, else its digits as a string (the SDK
 * hands numbers over as strings for that: `fetchAsString: ['Number']`); NUMBER(p,s>0) and
 * FLOAT are numbers; DATE is a Date at UTC midnight; TIMESTAMP_NTZ is a Date reading the
 * wall clock as UTC; TIMESTAMP_LTZ/TZ are the instant; VARIANT/OBJECT/ARRAY are parsed JSON.
 */
export interface ColumnMeta {
  name: string;
  /** The SDK's type name: fixed, real, text, boolean, date, timestamp_ntz, variant, ... */
  type: string;
  scale: number;
}

export function normaliseSnowflakeValue(value: unknown, column: ColumnMeta): unknown {
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case 'fixed': {
      const text = String(value);
      if (column.scale > 0) return Number(text);
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 'real':
      return Number(value);
    case 'date':
    case 'timestamp_ntz':
    case 'timestamp_ltz':
    case 'timestamp_tz':
      // The SDK's SfDate is a Date with formatting methods; hand on a plain Date.
      return value instanceof Date ? new Date(value.getTime()) : value;
    default:
      return value;
  }
}

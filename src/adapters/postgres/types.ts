/**
 * How result values come back, per pg type OID (text format), matching the DuckDB adapter:
 * - int8 (bigint, count(*)): a number when it is a safe integer, else the digits as a string;
 * - numeric/decimal: a number (NaN and ±Infinity included; very long values lose precision);
 * - date: a Date at UTC midnight of that day;
 * - timestamp without time zone: a Date reading the wall-clock value as UTC;
 * - timestamptz: a Date at that instant;
 * - interval: the server's text, e.g. '1 day 02:00:00';
 * - the special values infinity / -infinity of dates and timestamps, and dates outside
 *   years 0001-9999: the server's text.
 * - name[] (catalog functions): an array of strings, like text[].
 * Everything else is pg's default (int2/int4/float → number, bool, json parsed, bytea Buffer).
 */
import pg from 'pg';

const OID = {
  INT8: 20,
  NUMERIC: 1700,
  DATE: 1082,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  INTERVAL: 1186,
  NAME_ARRAY: 1003,
  TEXT_ARRAY: 1009,
} as const;

export function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

export function parseNumeric(text: string): number {
  return Number(text);
}

export function parseDate(text: string): Date | string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
  const d = new Date(`${text}T00:00:00.000Z`);
  return Number.isNaN(d.getTime()) ? text : d;
}

/** "2024-01-05 10:11:12.123456" (and "+02", "+05:30", "+05:30:15" offsets for timestamptz). */
const timestampPattern = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})?(?::(\d{2}))?(?::(\d{2}))?$/;

export function parseTimestamp(text: string, withZone: boolean): Date | string {
  const m = timestampPattern.exec(text);
  if (!m) return text;
  const [, day, time, frac = '', oh, om = '00', os] = m;
  const ms = frac ? (frac + '000').slice(0, 4) : '';
  let zone = 'Z';
  if (withZone && oh) {
    zone = `${oh}:${om}`;
    if (os && os !== '00') {
      // Seconds in a zone offset (historic local mean time): apply them by hand.
      const base = new Date(`${day}T${time}${ms}${zone}`);
      const sign = oh.startsWith('-') ? -1 : 1;
      return new Date(base.getTime() - sign * Number(os) * 1000);
    }
  }
  const d = new Date(`${day}T${time}${ms}${zone}`);
  return Number.isNaN(d.getTime()) ? text : d;
}

const identity = (text: string) => text;

/** pg's own parser for any OID (its typings only list the scalar built-ins). */
const defaultParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;

function getTypeParser(oid: number, format?: 'text' | 'binary'): unknown {
  if (format === 'binary') return defaultParser(oid, 'binary');
  switch (oid) {
    case OID.INT8:
      return parseInt8;
    case OID.NUMERIC:
      return parseNumeric;
    case OID.DATE:
      return parseDate;
    case OID.TIMESTAMP:
      return (t: string) => parseTimestamp(t, false);
    case OID.TIMESTAMPTZ:
      return (t: string) => parseTimestamp(t, true);
    case OID.INTERVAL:
      return identity;
    case OID.NAME_ARRAY:
      // Catalog functions such as current_schemas() return name[]: parse it as text[].
      return defaultParser(OID.TEXT_ARRAY, 'text');
    default:
      return defaultParser(oid, 'text');
  }
}

/** Per-connection parsers: kiln never changes pg's global type parsers. */
export const kilnTypes = { getTypeParser };

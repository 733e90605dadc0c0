/**
 * Proleptic Gregorian calendar arithmetic for the datetime module, on Python's day numbers
 * ("ordinals": 0001-01-01 is day 1). Instants are counted in microseconds as bigints, because
 * the span from year 1 to 9999 in microseconds exceeds JavaScript's exact integers.
 */
import { overflowError, valueError } from './py.js';

export const MINYEAR = 1;
export const MAXYEAR = 9999;
/** Python's `date(1970, 1, 1).toordinal()`: converts between ordinals and JavaScript's epoch days. */
const EPOCH_ORDINAL = 719163;
export const MAX_ORDINAL = 3652059;
export const US_PER_SECOND = 1_000_000;
export const US_PER_DAY = 86_400_000_000;
const US_PER_DAY_N = BigInt(US_PER_DAY);

export const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** Ordinal of a valid date. setUTCFullYear, unlike Date.UTC, takes years 0-99 literally. */
export function toOrdinal(y: number, m: number, d: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return Math.round(t.getTime() / 864e5) + EPOCH_ORDINAL;
}

export function fromOrdinal(ord: number): [number, number, number] {
  const t = new Date((ord - EPOCH_ORDINAL) * 864e5);
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
}

/** Day of the week of an ordinal, Monday = 0 (Python's weekday()). */
export const weekdayOf = (ord: number) => (ord + 6) % 7;

/** Ordinal of the Monday that starts ISO week 1 of `year`. */
function isoWeek1Monday(year: number): number {
  const jan4 = toOrdinal(year, 1, 4);
  return jan4 - weekdayOf(jan4);
}

/** Python's `date.isocalendar()`: [ISO year, ISO week, ISO weekday (Monday = 1)]. */
export function isoCalendar(ord: number): [number, number, number] {
  let [year] = fromOrdinal(ord);
  let start = isoWeek1Monday(year);
  if (ord < start) start = isoWeek1Monday(--year);
  else if (year < MAXYEAR && ord >= isoWeek1Monday(year + 1)) start = isoWeek1Monday(++year);
  return [year, Math.floor((ord - start) / 7) + 1, weekdayOf(ord) + 1];
}

/** Python's `date.fromisocalendar()`, as an ordinal. */
export function fromIsoCalendar(year: number, week: number, day: number): number {
  if (year < MINYEAR || year > MAXYEAR) throw valueError(`Year is out of range: ${year}`);
  const longYear = isoCalendar(toOrdinal(year, 12, 28))[1] === 53;
  if (week < 1 || week > (longYear ? 53 : 52)) throw valueError(`Invalid week: ${week}`);
  if (day < 1 || day > 7) throw valueError(`Invalid day: ${day} (range is [1, 7])`);
  return isoWeek1Monday(year) + (week - 1) * 7 + day - 1;
}

/** Python's range checks for a date, with its messages. */
export function checkDate(y: number, m: number, d: number): void {
  if (y < MINYEAR || y > MAXYEAR) throw valueError(`year ${y} is out of range`);
  if (m < 1 || m > 12) throw valueError('month must be in 1..12');
  if (d < 1 || d > daysInMonth(y, m)) throw valueError('day is out of range for month');
}

export function checkTime(h: number, mi: number, s: number, us: number, fold: number): void {
  if (h < 0 || h > 23) throw valueError('hour must be in 0..23');
  if (mi < 0 || mi > 59) throw valueError('minute must be in 0..59');
  if (s < 0 || s > 59) throw valueError('second must be in 0..59');
  if (us < 0 || us > 999999) throw valueError('microsecond must be in 0..999999');
  if (fold !== 0 && fold !== 1) throw valueError('fold must be either 0 or 1');
}

/** Microseconds since midnight of a time of day. */
export const dayMicros = (h: number, mi: number, s: number, us: number) =>
  ((h * 60 + mi) * 60 + s) * US_PER_SECOND + us;

export function splitDayMicros(t: number): [number, number, number, number] {
  const us = t % US_PER_SECOND;
  const secs = (t - us) / US_PER_SECOND;
  return [Math.floor(secs / 3600), Math.floor(secs / 60) % 60, secs % 60, us];
}

/** A wall-clock instant (ordinal + microseconds of the day) as microseconds since 0001-01-01. */
export const wallMicros = (ord: number, dayUs: number) => BigInt(ord - 1) * US_PER_DAY_N + BigInt(dayUs);

/** The inverse of wallMicros; OverflowError outside years 1-9999, as Python raises. */
export function splitWallMicros(t: bigint): [number, number] {
  if (t < 0n || t >= BigInt(MAX_ORDINAL) * US_PER_DAY_N) throw overflowError('date value out of range');
  return [Number(t / US_PER_DAY_N) + 1, Number(t % US_PER_DAY_N)];
}

/** Microseconds from 0001-01-01 to the Unix epoch. */
export const EPOCH_WALL = wallMicros(EPOCH_ORDINAL, 0);

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

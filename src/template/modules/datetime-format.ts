/**
 * Text formats of the datetime module: strftime (Python's own %f %z %Z plus the C library
 * directives and flags of glibc, which CPython on Linux hands the rest to), strptime, and
 * the ISO 8601 forms fromisoformat accepts. Everything works on plain field records, so this
 * file knows nothing of the datetime classes.
 */
import { dayMicros, fromOrdinal, isoCalendar, toOrdinal, weekdayOf, checkDate, fromIsoCalendar } from './calendar.js';
import { strRepr, valueError } from './py.js';

/** The fields a format reads or produces. `offsetUs` is null for a naive value. */
export interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  offsetUs: number | null;
  tzname: string | null;
  /** The value's dst(): what the C library sees as tm_isdst (None is -1, unknown). */
  dstUs?: number | null;
}

/** The C library's view of DST: unknown, no, yes. */
const isdst = (f: Fields) => (f.dstUs === null || f.dstUs === undefined ? -1 : f.dstUs ? 1 : 0);

const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad = (n: number, width: number, fill = '0') => String(n).padStart(width, fill);

/**
 * A UTC offset as text: `+05:30` (isoformat, with `sep` ':') or `+0530` (strftime %z), with
 * seconds and microseconds only when present, as Python prints them.
 */
export function formatOffset(us: number, sep: string): string {
  const sign = us < 0 ? '-' : '+';
  let rest = Math.abs(us);
  const micro = rest % 1e6;
  rest = (rest - micro) / 1e6;
  let text = sign + pad(Math.floor(rest / 3600), 2) + sep + pad(Math.floor(rest / 60) % 60, 2);
  if (rest % 60 || micro) text += sep + pad(rest % 60, 2);
  if (micro) text += '.' + pad(micro, 6);
  return text;
}

/** What a glibc conversion produces: a number with its natural width and padding, or text. */
type Piece = { num: number; width: number; fill: string } | { text: string } | { expand: string };

/** The glibc conversion `c` for the given fields, or undefined for an unknown conversion. */
function conversion(c: string, f: Fields): Piece | undefined {
  const ord = toOrdinal(f.year, f.month, f.day);
  const wd = weekdayOf(ord); // Monday = 0
  const yday = ord - toOrdinal(f.year, 1, 1); // 0-based
  const hour12 = f.hour % 12 || 12;
  const num = (n: number, width = 2, fill = '0') => ({ num: n, width, fill });
  switch (c) {
    case 'a':
      return { text: DAY_NAMES[wd]!.slice(0, 3) };
    case 'A':
      return { text: DAY_NAMES[wd]! };
    case 'b':
    case 'h':
      return { text: MONTH_NAMES[f.month - 1]!.slice(0, 3) };
    case 'B':
      return { text: MONTH_NAMES[f.month - 1]! };
    case 'p':
      return { text: f.hour < 12 ? 'AM' : 'PM' };
    case 'P':
      return { text: f.hour < 12 ? 'am' : 'pm' };
    case 'n':
      return { text: '\n' };
    case 't':
      return { text: '\t' };
    case 'd':
      return num(f.day);
    case 'e':
      return num(f.day, 2, ' ');
    case 'H':
      return num(f.hour);
    case 'k':
      return num(f.hour, 2, ' ');
    case 'I':
      return num(hour12);
    case 'l':
      return num(hour12, 2, ' ');
    case 'j':
      return num(yday + 1, 3);
    case 'm':
      return num(f.month);
    case 'M':
      return num(f.minute);
    case 'S':
      return num(f.second);
    case 'y':
      return num(f.year % 100);
    // glibc prints years and centuries without padding (year 50 is "50").
    case 'Y':
      return num(f.year, 1);
    case 'C':
      return num(Math.floor(f.year / 100), 1);
    case 'G':
      return num(isoCalendar(ord)[0], 1);
    case 'g':
      return num(isoCalendar(ord)[0] % 100);
    case 'V':
      return num(isoCalendar(ord)[1]);
    case 'u':
      return num(wd + 1, 1);
    case 'w':
      return num((wd + 1) % 7, 1);
    // Weeks of the year starting on Sunday (%U) or Monday (%W); days before the first are week 0.
    case 'U':
      return num(Math.floor((yday + 7 - ((wd + 1) % 7)) / 7));
    case 'W':
      return num(Math.floor((yday + 7 - wd) / 7));
    // mktime() of the wall time in kiln's local zone, UTC, which has no DST to take off when tm_isdst says there is.
    case 's':
      return num((ord - 719163) * 86400 + f.hour * 3600 + f.minute * 60 + f.second - (isdst(f) > 0 ? 3600 : 0), 1);
    // Python only handles a bare %Z; with flags the C library prints the local zone's name, unless DST is unknown.
    case 'Z':
      return { text: isdst(f) < 0 ? '' : 'UTC' };
    case 'c':
      return { expand: '%a %b %e %H:%M:%S %Y' };
    case 'D':
    case 'x':
      return { expand: '%m/%d/%y' };
    case 'F':
      return { expand: '%Y-%m-%d' };
    case 'r':
      return { expand: '%I:%M:%S %p' };
    case 'R':
      return { expand: '%H:%M' };
    case 'T':
    case 'X':
      return { expand: '%H:%M:%S' };
    default:
      return undefined;
  }
}

/** Applies glibc's flags (`-` `_` `0` `^` `#`) and minimum width to one conversion. */
function applyFlags(piece: Piece, c: string, flags: string, width: number, f: Fields): string {
  let text: string;
  if ('num' in piece) {
    const fill = flags.includes('-') ? '' : flags.includes('_') ? ' ' : flags.includes('0') ? '0' : piece.fill;
    return fill ? pad(piece.num, Math.max(width, piece.width), fill) : String(piece.num);
  }
  text = 'text' in piece ? piece.text : strftime(piece.expand, f);
  // `#` swaps case: names are uppercased, AM/PM and zone names lowercased.
  if (flags.includes('^') || (flags.includes('#') && c !== 'p' && c !== 'Z')) text = text.toUpperCase();
  else if (flags.includes('#')) text = text.toLowerCase();
  return text.padStart(width, flags.includes('0') ? '0' : ' ');
}

/** Python's strftime for the given fields. */
export function strftime(fmt: string, f: Fields): string {
  return fmt.replace(
    /%([-_0^#]*)(\d*)([EO]?)(.?)/gs,
    (whole, flags: string, width: string, modifier: string, c: string) => {
      // Python itself handles these three, and only when they follow the % directly.
      if (!flags && !width && !modifier) {
        if (c === 'f') return pad(f.microsecond, 6);
        if (c === 'z') return f.offsetUs === null ? '' : formatOffset(f.offsetUs, '');
        if (c === 'Z') return f.tzname ?? '';
        if (c === '%') return '%';
        if (c === '') return '%';
      }
      const piece = conversion(c, f);
      return piece ? applyFlags(piece, c, flags, Number(width || 0), f) : whole;
    },
  );
}

/* ---------------------------------------------------------------- strptime */

/** Regular expressions for each strptime directive, accepting what Python's do, in the same order of preference. */
const NUMERIC: Record<string, string> = {
  d: '3[01]|[12]\\d|0[1-9]|[1-9]| [1-9]',
  f: '\\d{1,6}',
  H: '2[0-3]|[01]\\d|\\d',
  I: '1[0-2]|0[1-9]|[1-9]',
  G: '\\d\\d\\d\\d',
  j: '36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9]',
  m: '1[0-2]|0[1-9]|[1-9]',
  M: '[0-5]\\d|\\d',
  S: '6[01]|[0-5]\\d|\\d',
  U: '5[0-3]|[0-4]\\d|\\d',
  W: '5[0-3]|[0-4]\\d|\\d',
  w: '[0-6]',
  u: '[1-7]',
  V: '5[0-3]|0[1-9]|[1-4]\\d|\\d',
  y: '\\d\\d',
  Y: '\\d\\d\\d\\d',
  z: '[+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|Z',
};

/** Longest names first, so that `March` is not read as `Mar`. */
const names = (list: string[]) => [...list].sort((a, b) => b.length - a.length).join('|');
const NAMED: Record<string, string> = {
  a: names(DAY_NAMES.map((d) => d.slice(0, 3))),
  A: names(DAY_NAMES),
  b: names(MONTH_NAMES.map((m) => m.slice(0, 3))),
  B: names(MONTH_NAMES),
  p: 'am|pm',
  // Python accepts UTC, GMT and the local zone's names; kiln's local zone is UTC.
  Z: 'utc|gmt',
};
const COMPOSITE: Record<string, string> = { c: '%a %b %d %H:%M:%S %Y', x: '%m/%d/%y', X: '%H:%M:%S' };

/** Turns a strptime format into a regular expression source, listing the directive of each group. */
function strptimeRegex(fmt: string, directives: string[]): string {
  let re = '';
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (/\s/.test(ch)) {
      while (i + 1 < fmt.length && /\s/.test(fmt[i + 1]!)) i++;
      re += '\\s+';
    } else if (ch !== '%') re += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    else {
      const d = fmt[++i];
      if (d === undefined) throw valueError(`stray % in format '${fmt}'`);
      if (d === '%') re += '%';
      else if (d in COMPOSITE) re += strptimeRegex(COMPOSITE[d]!, directives);
      else if (d in NUMERIC || d in NAMED) {
        directives.push(d);
        re += `(${NUMERIC[d] ?? NAMED[d]})`;
      } else throw valueError(`'${d}' is a bad directive in format '${fmt}'`);
    }
  }
  return re;
}

/** %z text (`+05:30`, `-0800`, `Z`, `+01:02:03.5`) as microseconds east of UTC. */
function parseZ(z: string): number {
  if (z === 'Z') return 0;
  let digits = z.slice(1);
  if (digits[2] === ':') {
    digits = digits.slice(0, 2) + digits.slice(3);
    if (digits.length > 4) {
      if (digits[4] !== ':') throw valueError(`Inconsistent use of : in ${z}`);
      digits = digits.slice(0, 4) + digits.slice(5);
    }
  }
  const [hms, frac = ''] = digits.split('.');
  const seconds = Number(hms!.slice(0, 2)) * 3600 + Number(hms!.slice(2, 4)) * 60 + Number(hms!.slice(4, 6) || 0);
  const us = seconds * 1e6 + Number(frac.padEnd(6, '0'));
  return z[0] === '-' ? -us : us;
}

/** Python's `datetime.strptime`: the fields `text` gives under `fmt`. */
export function strptime(text: string, fmt: string): Fields {
  const directives: string[] = [];
  const m = new RegExp(strptimeRegex(fmt, directives), 'iy').exec(text);
  if (!m) throw valueError(`time data ${strRepr(text)} does not match format ${strRepr(fmt)}`);
  if (m[0].length !== text.length) throw valueError(`unconverted data remains: ${text.slice(m[0].length)}`);
  const found: Record<string, string> = {};
  directives.forEach((d, i) => (found[d] = m[i + 1]!));
  if ('z' in found && found.z.length === 1 && found.z !== 'Z')
    throw valueError(`time data ${strRepr(text)} does not match format ${strRepr(fmt)}`);
  return fieldsFromFound(found);
}

const nameIndex = (list: string[], s: string, short: boolean) =>
  list.findIndex((n) => (short ? n.slice(0, 3) : n).toLowerCase() === s.toLowerCase());

/** Combines the matched directives into fields, as Python's _strptime does. */
function fieldsFromFound(found: Record<string, string>): Fields {
  const n = (d: string) => Number(found[d]);
  let year = 'Y' in found ? n('Y') : 'y' in found ? (n('y') <= 68 ? 2000 : 1900) + n('y') : 1900;
  let month =
    'm' in found
      ? n('m')
      : 'B' in found
        ? nameIndex(MONTH_NAMES, found.B, false) + 1
        : 'b' in found
          ? nameIndex(MONTH_NAMES, found.b, true) + 1
          : 1;
  let day = 'd' in found ? n('d') : 1;
  let hour = 'H' in found ? n('H') : 0;
  if ('I' in found) {
    const pm = found.p?.toLowerCase() === 'pm';
    hour = pm ? (n('I') % 12) + 12 : n('I') % 12;
  }
  const weekday =
    'A' in found
      ? nameIndex(DAY_NAMES, found.A, false)
      : 'a' in found
        ? nameIndex(DAY_NAMES, found.a, true)
        : 'w' in found
          ? (n('w') + 6) % 7
          : 'u' in found
            ? n('u') - 1
            : undefined;
  checkIsoDirectives(found, weekday);
  let ordinal: number | undefined;
  if ('j' in found) ordinal = toOrdinal(year, 1, 1) + n('j') - 1;
  else if (weekday !== undefined && ('U' in found || 'W' in found))
    ordinal = ordinalFromWeek(year, 'U' in found ? n('U') : n('W'), weekday, 'W' in found);
  else if (weekday !== undefined && 'G' in found) ordinal = fromIsoCalendar(n('G'), n('V'), weekday + 1);
  // Otherwise the datetime constructor checks the date (Feb 29 without a year fails: 1900 is not leap).
  if (ordinal !== undefined) [year, month, day] = fromOrdinal(ordinal);
  return {
    year,
    month,
    day,
    hour,
    minute: 'M' in found ? n('M') : 0,
    second: 'S' in found ? n('S') : 0,
    microsecond: 'f' in found ? Number(found.f.padEnd(6, '0')) : 0,
    offsetUs: 'z' in found ? parseZ(found.z) : null,
    tzname: found.Z ?? null,
  };
}

/** Python's rules for mixing the ISO directives %G %V %u with the others. */
function checkIsoDirectives(found: Record<string, string>, weekday: number | undefined): void {
  if ('G' in found && (!('V' in found) || weekday === undefined)) {
    throw valueError(
      "ISO year directive '%G' must be used with the ISO week directive " +
        "'%V' and a weekday directive ('%A', '%a', '%w', or '%u').",
    );
  }
  if ('V' in found && !('G' in found)) {
    if (weekday === undefined)
      throw valueError(
        "ISO week directive '%V' must be used with the ISO year directive " +
          "'%G' and a weekday directive ('%A', '%a', '%w', or '%u').",
      );
    throw valueError(
      "ISO week directive '%V' is incompatible with the year directive '%Y'. Use the ISO year '%G' instead.",
    );
  }
}

/** The ordinal of weekday `wd` (Monday = 0) in week `week` of `year`, weeks starting Monday (%W) or Sunday (%U). */
function ordinalFromWeek(year: number, week: number, wd: number, mondayFirst: boolean): number {
  const jan1 = toOrdinal(year, 1, 1);
  const firstWd = mondayFirst ? weekdayOf(jan1) : (weekdayOf(jan1) + 1) % 7;
  const dayInWeek = mondayFirst ? wd : (wd + 1) % 7;
  // Days before the year's first week-start day are week 0; week 1 begins on that day.
  const week1Start = jan1 + ((7 - firstWd) % 7);
  return week === 0 ? jan1 + dayInWeek - firstWd : week1Start + (week - 1) * 7 + dayInWeek;
}

/* ---------------------------------------------------------------- ISO 8601 */

const invalidIso = (s: string) => valueError(`Invalid isoformat string: ${strRepr(s)}`);

/** A date in one of the forms `date.fromisoformat` accepts: 2024-01-02, 20240102, 2024-W01-2, 2024W012. */
export function parseIsoDate(s: string): [number, number, number] {
  let m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s) ?? /^(\d{4})(\d\d)(\d\d)$/.exec(s);
  if (m) {
    const ymd: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
    checkDate(...ymd);
    return ymd;
  }
  m = /^(\d{4})-W(\d\d)(?:-(\d))?$/.exec(s) ?? /^(\d{4})W(\d\d)(\d)?$/.exec(s);
  if (!m) throw invalidIso(s);
  try {
    return fromOrdinal(fromIsoCalendar(Number(m[1]), Number(m[2]), Number(m[3] ?? 1)));
  } catch {
    throw invalidIso(s);
  }
}

/** HH[:MM[:SS[.fff]]] (colons throughout or nowhere; any number of fraction digits, `.` or `,`). */
function parseIsoClock(s: string, whole: string): [number, number, number, number] {
  const m =
    /^(\d\d)(?::(\d\d)(?::(\d\d)(?:[.,](\d+))?)?)?$/.exec(s) ?? /^(\d\d)(?:(\d\d)(?:(\d\d)(?:[.,](\d+))?)?)?$/.exec(s);
  if (!m) throw invalidIso(whole);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0), Number((m[4] ?? '').slice(0, 6).padEnd(6, '0'))];
}

/** A time with an optional UTC offset (`Z`, `+05`, `+05:30`, `-0800`...): fields and offset. */
export function parseIsoTime(s: string, whole: string = s): [[number, number, number, number], number | null] {
  const at = s.search(/[Zz+-]/);
  const clock = parseIsoClock(at < 0 ? s : s.slice(0, at), whole);
  if (at < 0) return [clock, null];
  const tz = s.slice(at);
  if (tz === 'Z' || tz === 'z') return [clock, 0];
  const [h, mi, sec, us] = parseIsoClock(tz.slice(1), whole);
  const off = dayMicros(h, mi, sec, us);
  return [clock, tz[0] === '-' ? -off : off];
}

/** Where the date part of an ISO datetime string ends. */
function isoDateLength(s: string): number {
  if (s[4] === '-') return s[5] === 'W' ? (s[8] === '-' ? 10 : 8) : 10;
  if (s[4] === 'W') return /^\d{4}W\d{3}/.test(s) ? 8 : 7;
  return 8;
}

/** `datetime.fromisoformat`: a date, then any one separator character and a time. */
export function parseIsoDateTime(s: string): Fields {
  const n = isoDateLength(s);
  const [year, month, day] = parseIsoDate(s.slice(0, n));
  let clock: [number, number, number, number] = [0, 0, 0, 0];
  let offsetUs: number | null = null;
  if (s.length > n) {
    if (s.length === n + 1) throw invalidIso(s);
    [clock, offsetUs] = parseIsoTime(s.slice(n + 1), s);
  }
  const [hour, minute, second, microsecond] = clock;
  return { year, month, day, hour, minute, second, microsecond, offsetUs, tzname: null };
}

/**
 * The parts of Python's `datetime` and `pytz` that dbt macros use: datetime, date, timedelta,
 * strftime/strptime, isoformat, astimezone and arithmetic. A datetime is an instant plus an
 * optional time zone name; naive values read their fields in UTC.
 */
import { splitKwargs } from '../python-methods.js';

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, '0');
const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export class PyTimezone {
  constructor(readonly zone: string) {}
  toString(): string {
    return this.zone;
  }
  /** Offset from UTC in minutes at the given instant. */
  offsetAt(ms: number): number {
    if (this.zone === 'UTC') return 0;
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: this.zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(ms));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
  }
  /** pytz's `tz.localize(naive)`: the same wall time, in this zone. */
  localize(dt: PyDateTime): PyDateTime {
    const guess = dt.ms - this.offsetAt(dt.ms) * 60000;
    return new PyDateTime(dt.ms - this.offsetAt(guess) * 60000, this, dt.micro);
  }
}

export const utc = new PyTimezone('UTC');

export class PyTimedelta {
  constructor(readonly ms: number) {}
  static make(...args: unknown[]): PyTimedelta {
    const [pos, kw = {}] = splitKwargs(args);
    const n = (k: string, i: number) => Number(kw[k] ?? pos[i] ?? 0);
    return new PyTimedelta(n('days', 0) * 864e5 + n('seconds', 1) * 1e3 + n('microseconds', 2) / 1e3 + n('milliseconds', 3) + n('minutes', 4) * 6e4 + n('hours', 5) * 36e5 + n('weeks', 6) * 6048e5);
  }
  get days(): number {
    return Math.floor(this.ms / 864e5);
  }
  get seconds(): number {
    return Math.floor((this.ms - this.days * 864e5) / 1000);
  }
  total_seconds(): number {
    return this.ms / 1000;
  }
  __add__(o: unknown): unknown {
    if (o instanceof PyTimedelta) return new PyTimedelta(this.ms + o.ms);
    if (o instanceof PyDateTime) return o.__add__(this);
    return undefined;
  }
  toString(): string {
    const d = this.days;
    const s = this.seconds;
    const time = `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
    return d ? `${d} day${Math.abs(d) === 1 ? '' : 's'}, ${time}` : time;
  }
}

export class PyDateTime {
  /** `ms` is the instant; `micro` keeps microseconds below the millisecond. */
  constructor(
    readonly ms: number,
    readonly tzinfo: PyTimezone | null = null,
    readonly micro = 0,
    readonly dateOnly = false,
  ) {}

  static fromDate(d: Date, tz: PyTimezone | null = utc): PyDateTime {
    return new PyDateTime(d.getTime(), tz);
  }

  /** The wall-clock fields in this value's zone. */
  private wall(): Date {
    return new Date(this.ms + (this.tzinfo ? this.tzinfo.offsetAt(this.ms) : 0) * 60000);
  }
  get year(): number {
    return this.wall().getUTCFullYear();
  }
  get month(): number {
    return this.wall().getUTCMonth() + 1;
  }
  get day(): number {
    return this.wall().getUTCDate();
  }
  get hour(): number {
    return this.dateOnly ? 0 : this.wall().getUTCHours();
  }
  get minute(): number {
    return this.dateOnly ? 0 : this.wall().getUTCMinutes();
  }
  get second(): number {
    return this.dateOnly ? 0 : this.wall().getUTCSeconds();
  }
  get microsecond(): number {
    return this.dateOnly ? 0 : this.wall().getUTCMilliseconds() * 1000 + this.micro;
  }
  weekday(): number {
    return (this.wall().getUTCDay() + 6) % 7;
  }
  isoweekday(): number {
    return this.weekday() + 1;
  }
  date(): PyDateTime {
    const w = this.wall();
    return new PyDateTime(Date.UTC(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate()), null, 0, true);
  }
  timestamp(): number {
    return this.ms / 1000;
  }
  astimezone(tz?: PyTimezone): PyDateTime {
    return new PyDateTime(this.ms, tz ?? utc, this.micro);
  }
  replace(...args: unknown[]): PyDateTime {
    const [, kw = {}] = splitKwargs(args);
    const f = (k: string, v: number) => Number(kw[k] ?? v);
    const wall = Date.UTC(f('year', this.year), f('month', this.month) - 1, f('day', this.day), f('hour', this.hour), f('minute', this.minute), f('second', this.second), Math.floor(f('microsecond', this.microsecond) / 1000));
    const tz = 'tzinfo' in kw ? (kw.tzinfo as PyTimezone | null) : this.tzinfo;
    const naive = new PyDateTime(wall, null, f('microsecond', this.microsecond) % 1000, this.dateOnly);
    return tz ? tz.localize(naive) : naive;
  }
  strftime(fmt: string): string {
    const off = this.tzinfo ? this.tzinfo.offsetAt(this.ms) : 0;
    const doy = Math.floor((Date.UTC(this.year, this.month - 1, this.day) - Date.UTC(this.year, 0, 1)) / 864e5) + 1;
    return fmt.replace(/%([a-zA-Z%])/g, (m, c: string) => {
      switch (c) {
        case 'Y':
          return String(this.year);
        case 'y':
          return pad(this.year % 100);
        case 'm':
          return pad(this.month);
        case 'd':
          return pad(this.day);
        case 'H':
          return pad(this.hour);
        case 'I':
          return pad(this.hour % 12 || 12);
        case 'p':
          return this.hour < 12 ? 'AM' : 'PM';
        case 'M':
          return pad(this.minute);
        case 'S':
          return pad(this.second);
        case 'f':
          return pad(this.microsecond, 6);
        case 'j':
          return pad(doy, 3);
        case 'A':
          return dayNames[(this.weekday() + 1) % 7]!;
        case 'a':
          return dayNames[(this.weekday() + 1) % 7]!.slice(0, 3);
        case 'B':
          return monthNames[this.month - 1]!;
        case 'b':
          return monthNames[this.month - 1]!.slice(0, 3);
        case 'w':
          return String((this.weekday() + 1) % 7);
        case 'z':
          return this.tzinfo ? `${off < 0 ? '-' : '+'}${pad(off / 60)}${pad(off % 60)}` : '';
        case 'Z':
          return this.tzinfo ? this.tzinfo.zone : '';
        case '%':
          return '%';
        default:
          return m;
      }
    });
  }
  isoformat(sep = 'T'): string {
    if (this.dateOnly) return this.strftime('%Y-%m-%d');
    const off = this.tzinfo ? this.tzinfo.offsetAt(this.ms) : 0;
    const frac = this.microsecond ? `.${pad(this.microsecond, 6)}` : '';
    const zone = this.tzinfo ? `${off < 0 ? '-' : '+'}${pad(off / 60)}:${pad(off % 60)}` : '';
    return this.strftime(`%Y-%m-%d${sep}%H:%M:%S`) + frac + zone;
  }
  __add__(o: unknown): unknown {
    if (o instanceof PyTimedelta) return new PyDateTime(this.ms + o.ms, this.tzinfo, this.micro, this.dateOnly);
    return undefined;
  }
  __sub__(o: unknown): unknown {
    if (o instanceof PyTimedelta) return new PyDateTime(this.ms - o.ms, this.tzinfo, this.micro, this.dateOnly);
    if (o instanceof PyDateTime) return new PyTimedelta(this.ms - o.ms);
    return undefined;
  }
  valueOf(): number {
    return this.ms;
  }
  toString(): string {
    return this.isoformat(' ');
  }
}

/** `strptime` for the directives dbt macros use. */
function strptime(text: string, fmt: string): PyDateTime {
  const fields: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0, f: 0 };
  let re = '';
  const order: string[] = [];
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c === '%' && i + 1 < fmt.length) {
      const d = fmt[++i]!;
      const pat: Record<string, string> = { Y: '(\\d{4})', m: '(\\d{1,2})', d: '(\\d{1,2})', H: '(\\d{1,2})', M: '(\\d{1,2})', S: '(\\d{1,2})', f: '(\\d{1,6})', y: '(\\d{2})', j: '(\\d{1,3})', z: '([+-]\\d{2}:?\\d{2}|Z)', '%': '%' };
      if (!(d in pat)) throw new Error(`strptime: unsupported directive %${d}`);
      re += pat[d];
      if (d !== '%') order.push(d);
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(`^${re}$`).exec(text);
  if (!m) throw new Error(`time data '${text}' does not match format '${fmt}'`);
  let offset: number | undefined;
  order.forEach((d, i) => {
    const v = m[i + 1]!;
    if (d === 'y') fields.Y = 2000 + Number(v) - (Number(v) >= 69 ? 100 : 0);
    else if (d === 'f') fields.f = Number(v.padEnd(6, '0'));
    else if (d === 'z') offset = v === 'Z' ? 0 : (v[0] === '-' ? -1 : 1) * (Number(v.slice(1, 3)) * 60 + Number(v.slice(-2)));
    else if (d === 'j') {
      fields.m = 1;
      fields.d = Number(v);
    } else fields[d] = Number(v);
  });
  const ms = Date.UTC(fields.Y!, fields.m! - 1, fields.d!, fields.H!, fields.M!, fields.S!, Math.floor(fields.f! / 1000));
  return offset === undefined ? new PyDateTime(ms, null, fields.f! % 1000) : new PyDateTime(ms - offset * 60000, new PyTimezone(offset === 0 ? 'UTC' : 'UTC'), fields.f! % 1000);
}

function makeDateTime(...args: unknown[]): PyDateTime {
  const [pos, kw = {}] = splitKwargs(args);
  const n = (k: string, i: number, d: number) => Number(kw[k] ?? pos[i] ?? d);
  const naive = new PyDateTime(Date.UTC(n('year', 0, 1), n('month', 1, 1) - 1, n('day', 2, 1), n('hour', 3, 0), n('minute', 4, 0), n('second', 5, 0), Math.floor(n('microsecond', 6, 0) / 1000)), null, n('microsecond', 6, 0) % 1000);
  const tz = (kw.tzinfo ?? pos[7]) as PyTimezone | undefined;
  return tz ? tz.localize(naive) : naive;
}

function makeDate(...args: unknown[]): PyDateTime {
  const [pos, kw = {}] = splitKwargs(args);
  const n = (k: string, i: number) => Number(kw[k] ?? pos[i] ?? 1);
  return new PyDateTime(Date.UTC(n('year', 0), n('month', 1) - 1, n('day', 2)), null, 0, true);
}

const datetimeClass = Object.assign(makeDateTime, {
  now: (tz?: PyTimezone) => new PyDateTime(Date.now(), tz ?? null),
  utcnow: () => new PyDateTime(Date.now(), null),
  today: () => new PyDateTime(Date.now(), null),
  strptime,
  fromisoformat: (s: string) => {
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s.replace(' ', 'T') + 'Z');
    return new PyDateTime(d.getTime(), /[zZ]|[+-]\d\d:?\d\d$/.test(s) ? utc : null);
  },
  fromtimestamp: (t: number, tz?: PyTimezone) => new PyDateTime(t * 1000, tz ?? null),
  min: new PyDateTime(Date.UTC(1, 0, 1)),
});

const dateClass = Object.assign(makeDate, {
  today: () => new PyDateTime(Date.now(), null).date(),
  fromisoformat: (s: string) => makeDate(...s.split('-').map(Number)),
});

export const datetimeModule = {
  datetime: datetimeClass,
  date: dateClass,
  timedelta: PyTimedelta.make,
  timezone: { utc },
};

export const pytzModule = {
  timezone: (name: string) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: name });
    } catch {
      throw new Error(`unknown time zone '${name}'`);
    }
    return new PyTimezone(name);
  },
  utc,
  UTC: utc,
};

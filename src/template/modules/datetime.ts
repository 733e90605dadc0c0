/**
 * Python's `datetime` module for dbt templates: date, datetime, time, timedelta, timezone.
 *
 * Values hold Python's wall-clock fields plus a tzinfo, exactly as Python does, so that naive
 * and aware values, pytz's fixed-offset tzinfos and arithmetic that ignores DST all behave as
 * in Python. A naive value is "local time" to Python; kiln's local time zone is always UTC.
 *
 * Templates reach attributes (`dt.year`), methods (`dt.strftime`) and class attributes
 * (`datetime.datetime.min`); the engine calls the double-underscore hooks (`__str__`,
 * `__repr__`, `__eq__`, `__lt__`..., `__add__`, `__radd__`, `__sub__`...), which return
 * undefined for an operand Python would answer NotImplemented for, and reads the Python
 * type name from `__class_name__`.
 */
import { nowMicros } from './clock.js';
import {
  asNumber,
  bindArgs,
  floatResult,
  isFloat,
  makeTuple,
  pyError,
  PyClassStub,
  strRepr,
  toInt,
  typeError,
  typeName,
  valueError,
} from './py.js';
import {
  checkDate,
  checkTime,
  dayMicros,
  EPOCH_WALL,
  fromIsoCalendar,
  fromOrdinal,
  isoCalendar,
  MAX_ORDINAL,
  MAXYEAR,
  MINYEAR,
  roundHalfEven,
  splitDayMicros,
  splitWallMicros,
  toOrdinal,
  US_PER_DAY,
  wallMicros,
  weekdayOf,
} from './calendar.js';
import {
  formatOffset,
  parseIsoDate,
  parseIsoDateTime,
  parseIsoTime,
  strftime,
  strptime,
  type Fields,
} from './datetime-format.js';
import { PyTimedelta } from './timedelta.js';

export { PyTimedelta };

const micros = (td: PyTimedelta) => Number(td._us);

function requireStr(v: unknown, what: string): string {
  if (typeof v !== 'string') throw typeError(`${what} must be str, not ${typeName(v)}`);
  return v;
}

/** A tzinfo argument: a tzinfo or None. */
function tzArg(v: unknown): PyTzInfo | null {
  if (v === undefined || v === null) return null;
  if (v instanceof PyTzInfo) return v;
  throw typeError(`tzinfo argument must be None or of a tzinfo subclass, not type '${typeName(v)}'`);
}

/** `timespec` of isoformat: the clock text of a time of day. */
function formatClock(h: number, mi: number, s: number, us: number, timespec: unknown): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const spec = timespec === undefined ? 'auto' : timespec;
  switch (spec === 'auto' ? (us ? 'microseconds' : 'seconds') : spec) {
    case 'hours':
      return p(h);
    case 'minutes':
      return `${p(h)}:${p(mi)}`;
    case 'seconds':
      return `${p(h)}:${p(mi)}:${p(s)}`;
    case 'milliseconds':
      return `${p(h)}:${p(mi)}:${p(s)}.${p(Math.floor(us / 1000), 3)}`;
    case 'microseconds':
      return `${p(h)}:${p(mi)}:${p(s)}.${p(us, 6)}`;
    default:
      throw valueError('Unknown timespec value');
  }
}

/** Python's `__format__` for dates and times: strftime, or str() for an empty spec. */
function formatWith(value: { strftime(f: string): string; __str__(): string }, spec: unknown): string {
  if (typeof spec !== 'string') throw typeError(`must be str, not ${typeName(spec)}`);
  return spec ? value.strftime(spec) : value.__str__();
}

/** Three-way comparison to the boolean each ordering hook returns. */
const ordering = (c: number | undefined, test: (c: number) => boolean) => (c === undefined ? undefined : test(c));
const sign = (x: bigint | number) => (x < 0 ? -1 : x > 0 ? 1 : 0);

/* ------------------------------------------------------------------ tzinfo */

/**
 * Python's abstract `tzinfo`. Subclasses supply the offset, DST and name for a datetime that
 * carries them, and the conversion from UTC; the Python-visible methods wrap those.
 */
export abstract class PyTzInfo {
  abstract get __class_name__(): string;
  abstract __repr__(): string;
  abstract __str__(): string;
  /** The offset in microseconds of a datetime carrying this tzinfo (or of no datetime). */
  abstract _offsetUs(dt: PyDateTime | null): number | null;
  abstract _dstUs(dt: PyDateTime | null): number | null;
  abstract _tzname(dt: PyDateTime | null): string | null;
  /** Python's `fromutc`: `utc` carries this tzinfo and UTC wall fields. */
  abstract _fromUtc(utc: PyDateTime): PyDateTime;

  utcoffset(dt: unknown = null): PyTimedelta | null {
    const us = this._offsetUs(dtArg(dt, 'utcoffset'));
    return us === null ? null : new PyTimedelta(BigInt(us));
  }

  dst(dt: unknown = null): PyTimedelta | null {
    const us = this._dstUs(dtArg(dt, 'dst'));
    return us === null ? null : new PyTimedelta(BigInt(us));
  }

  tzname(dt: unknown = null): string | null {
    return this._tzname(dtArg(dt, 'tzname'));
  }

  fromutc(dt: unknown): PyDateTime {
    if (!(dt instanceof PyDateTime)) throw typeError('fromutc: argument must be a datetime');
    if (dt.tzinfo !== this) throw valueError('fromutc: dt.tzinfo is not self');
    return this._fromUtc(dt);
  }

  __eq__(o: unknown): boolean {
    return o === this;
  }

  toString(): string {
    return this.__str__();
  }
}

function dtArg(dt: unknown, method: string): PyDateTime | null {
  if (dt === null || dt === undefined) return null;
  if (dt instanceof PyDateTime) return dt;
  throw typeError(`${method}(dt) argument must be a datetime instance or None, not ${typeName(dt)}`);
}

/** `datetime.timezone`: a fixed offset from UTC, with an optional name. */
export class PyFixedTimezone extends PyTzInfo {
  constructor(
    readonly _offset: PyTimedelta,
    readonly _label: string | null = null,
  ) {
    super();
    Object.freeze(this);
  }

  /** `timezone(offset, name=None)`; a zero offset without a name is `timezone.utc` itself. */
  static make(this: void, ...args: unknown[]): PyFixedTimezone {
    const a = bindArgs('timezone', args, ['offset', 'name'], 1);
    if (!(a.offset instanceof PyTimedelta))
      throw typeError(`timezone() argument 1 must be datetime.timedelta, not ${typeName(a.offset)}`);
    if (a.name !== undefined && typeof a.name !== 'string')
      throw typeError(`timezone() argument 2 must be str, not ${typeName(a.name)}`);
    const us = a.offset._us;
    if (us <= -BigInt(US_PER_DAY) || us >= BigInt(US_PER_DAY)) {
      throw valueError(
        `offset must be a timedelta strictly between -timedelta(hours=24) ` +
          `and timedelta(hours=24), not ${a.offset.__repr__()}.`,
      );
    }
    if (us === 0n && a.name === undefined) return UTC;
    return new PyFixedTimezone(a.offset, a.name ?? null);
  }

  get __class_name__(): string {
    return 'datetime.timezone';
  }

  __repr__(): string {
    if (this === UTC) return 'datetime.timezone.utc';
    const name = this._label === null ? '' : `, ${strRepr(this._label)}`;
    return `datetime.timezone(${this._offset.__repr__()}${name})`;
  }

  __str__(): string {
    return this._tzname();
  }

  override __eq__(o: unknown): boolean {
    return o instanceof PyFixedTimezone && o._offset._us === this._offset._us;
  }

  _offsetUs(): number {
    return micros(this._offset);
  }

  _dstUs(): null {
    return null;
  }

  _tzname(): string {
    if (this._label !== null) return this._label;
    const us = micros(this._offset);
    return us === 0 ? 'UTC' : 'UTC' + formatOffset(us, ':');
  }

  _fromUtc(utc: PyDateTime): PyDateTime {
    return utc.__add__(this._offset) as PyDateTime;
  }
}

const UTC = new PyFixedTimezone(new PyTimedelta(0n));
/** Python's local time zone for kiln: UTC, under the name the C library gives it. */
const LOCAL = new PyFixedTimezone(new PyTimedelta(0n), 'UTC');

/* -------------------------------------------------------------------- date */

/** The zone-dependent fields of a datetime (`at` itself) or a time (`at` null: no particular date). */
function zoneParts(
  tzinfo: PyTzInfo | null,
  at: PyDateTime | null,
): { offsetUs: number | null; tzname: string | null; dstUs: number | null } {
  if (!tzinfo) return { offsetUs: null, tzname: null, dstUs: null };
  return { offsetUs: tzinfo._offsetUs(at), tzname: tzinfo._tzname(at), dstUs: tzinfo._dstUs(at) };
}

const asTimedelta = (us: number | null): PyTimedelta | null => (us === null ? null : new PyTimedelta(BigInt(us)));

export class PyDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** Python's ordinal of the date (0001-01-01 is 1). */
  readonly _ord: number;

  constructor(year: number, month: number, day: number) {
    checkDate(year, month, day);
    this.year = year;
    this.month = month;
    this.day = day;
    this._ord = toOrdinal(year, month, day);
    if (new.target === PyDate) Object.freeze(this);
  }

  /** `date(year, month, day)` as templates call it, positional or by keyword. */
  static make(this: void, ...args: unknown[]): PyDate {
    const a = bindArgs('date', args, ['year', 'month', 'day'], 3);
    return new PyDate(toInt(a.year), toInt(a.month), toInt(a.day));
  }

  static fromOrdinal(ord: number): PyDate {
    if (ord < 1 || ord > MAX_ORDINAL) throw valueError(`ordinal must be >= 1`);
    return new PyDate(...fromOrdinal(ord));
  }

  get __class_name__(): string {
    return 'datetime.date';
  }

  /** The fields strftime reads. */
  _fields(): Fields {
    return {
      year: this.year,
      month: this.month,
      day: this.day,
      hour: 0,
      minute: 0,
      second: 0,
      microsecond: 0,
      offsetUs: null,
      tzname: null,
    };
  }

  toordinal(): number {
    return this._ord;
  }

  weekday(): number {
    return weekdayOf(this._ord);
  }

  isoweekday(): number {
    return weekdayOf(this._ord) + 1;
  }

  /** (ISO year, ISO week, ISO weekday) as a tuple. */
  isocalendar(): number[] {
    return makeTuple(isoCalendar(this._ord));
  }

  isoformat(): string {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }

  strftime(fmt: unknown): string {
    return strftime(requireStr(fmt, 'strftime() argument 1'), this._fields());
  }

  /** Like strftime('%a %b %e %H:%M:%S %Y'), but Python pads the year to four digits here. */
  ctime(): string {
    return strftime('%a %b %e %H:%M:%S ', this._fields()) + String(this.year).padStart(4, '0');
  }

  replace(...args: unknown[]): PyDate {
    const a = bindArgs('replace', args, ['year', 'month', 'day']);
    const f = (k: string, v: number) => (a[k] === undefined ? v : toInt(a[k]));
    return new PyDate(f('year', this.year), f('month', this.month), f('day', this.day));
  }

  __format__(spec: unknown): string {
    return formatWith(this, spec);
  }

  /** In JSON (an artifact), ISO text, as dbt's JSON encoder writes dates and times. */
  toJSON(): string {
    return this.isoformat();
  }

  __str__(): string {
    return this.isoformat();
  }

  __repr__(): string {
    return `datetime.date(${this.year}, ${this.month}, ${this.day})`;
  }

  /** Dates equal only dates (a datetime is never equal to a date). */
  __eq__(o: unknown): boolean {
    return o instanceof PyDate && !(o instanceof PyDateTime) && o._ord === this._ord;
  }

  __cmp__(o: unknown): number | undefined {
    if (!(o instanceof PyDate)) return undefined;
    if (o instanceof PyDateTime) throw typeError("can't compare datetime.datetime to datetime.date");
    return sign(this._ord - o._ord);
  }

  __lt__(o: unknown): boolean | undefined {
    return ordering(this.__cmp__(o), (c) => c < 0);
  }

  __le__(o: unknown): boolean | undefined {
    return ordering(this.__cmp__(o), (c) => c <= 0);
  }

  __gt__(o: unknown): boolean | undefined {
    return ordering(this.__cmp__(o), (c) => c > 0);
  }

  __ge__(o: unknown): boolean | undefined {
    return ordering(this.__cmp__(o), (c) => c >= 0);
  }

  /** date + timedelta moves by whole days; the timedelta's seconds are ignored, as in Python. */
  __add__(o: unknown): PyDate | undefined {
    if (!(o instanceof PyTimedelta)) return undefined;
    const ord = this._ord + o.days;
    if (ord < 1 || ord > MAX_ORDINAL) throw pyError('OverflowError', 'date value out of range');
    return PyDate.fromOrdinal(ord);
  }

  __radd__(o: unknown): PyDate | undefined {
    return this.__add__(o);
  }

  /** date - timedelta, or date - date (a timedelta of whole days). */
  __sub__(o: unknown): PyDate | PyTimedelta | undefined {
    if (o instanceof PyTimedelta) return this.__add__(new PyTimedelta(BigInt(-o.days) * BigInt(US_PER_DAY)));
    if (o instanceof PyDate && !(o instanceof PyDateTime))
      return new PyTimedelta(BigInt(this._ord - o._ord) * BigInt(US_PER_DAY));
    return undefined;
  }

  toString(): string {
    return this.__str__();
  }

  valueOf(): number {
    return this._ord * US_PER_DAY;
  }
}

/* ---------------------------------------------------------------- datetime */

export class PyDateTime extends PyDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly tzinfo: PyTzInfo | null;
  readonly fold: number;

  constructor(
    year: number,
    month: number,
    day: number,
    hour = 0,
    minute = 0,
    second = 0,
    microsecond = 0,
    tzinfo: PyTzInfo | null = null,
    fold = 0,
  ) {
    super(year, month, day);
    checkTime(hour, minute, second, microsecond, fold);
    this.hour = hour;
    this.minute = minute;
    this.second = second;
    this.microsecond = microsecond;
    this.tzinfo = tzinfo;
    this.fold = fold;
    Object.freeze(this);
  }

  /** `datetime(year, month, day, hour=0, minute=0, second=0, microsecond=0, tzinfo=None, *, fold=0)`. */
  static override make(this: void, ...args: unknown[]): PyDateTime {
    const a = bindArgs(
      'datetime',
      args,
      ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond', 'tzinfo'],
      3,
      ['fold'],
    );
    const n = (k: string) => (a[k] === undefined ? 0 : toInt(a[k]));
    return new PyDateTime(
      n('year'),
      n('month'),
      n('day'),
      n('hour'),
      n('minute'),
      n('second'),
      n('microsecond'),
      tzArg(a.tzinfo),
      n('fold'),
    );
  }

  /** The datetime at a wall-clock instant counted in microseconds since 0001-01-01. */
  static _fromWall(t: bigint, tzinfo: PyTzInfo | null, fold = 0): PyDateTime {
    const [ord, us] = splitWallMicros(t);
    return new PyDateTime(...fromOrdinal(ord), ...splitDayMicros(us), tzinfo, fold);
  }

  /** The datetime of a JavaScript Date: naive UTC fields, or converted into `tz`. */
  static fromDate(d: Date, tz: PyTzInfo | null = UTC): PyDateTime {
    return PyDateTime._fromInstant(BigInt(d.getTime()) * 1000n, tz);
  }

  /** The datetime of microseconds since the Unix epoch, naive UTC or in `tz`. */
  static _fromInstant(epochUs: bigint, tz: PyTzInfo | null): PyDateTime {
    const utc = PyDateTime._fromWall(epochUs + EPOCH_WALL, tz);
    return tz ? tz._fromUtc(utc) : utc;
  }

  override get __class_name__(): string {
    return 'datetime.datetime';
  }

  /** Microseconds since 0001-01-01 of the wall-clock fields. */
  get _wall(): bigint {
    return wallMicros(this._ord, dayMicros(this.hour, this.minute, this.second, this.microsecond));
  }

  _offset(): number | null {
    return this.tzinfo ? this.tzinfo._offsetUs(this) : null;
  }

  /** The UTC instant, in microseconds since 0001-01-01; naive values count as UTC (kiln's local time). */
  _utc(): bigint {
    return this._wall - BigInt(this._offset() ?? 0);
  }

  override _fields(): Fields {
    return {
      year: this.year,
      month: this.month,
      day: this.day,
      hour: this.hour,
      minute: this.minute,
      second: this.second,
      microsecond: this.microsecond,
      ...zoneParts(this.tzinfo, this),
    };
  }

  utcoffset(): PyTimedelta | null {
    return asTimedelta(zoneParts(this.tzinfo, this).offsetUs);
  }

  dst(): PyTimedelta | null {
    return asTimedelta(zoneParts(this.tzinfo, this).dstUs);
  }

  tzname(): string | null {
    return zoneParts(this.tzinfo, this).tzname;
  }

  date(): PyDate {
    return new PyDate(this.year, this.month, this.day);
  }

  time(): PyTime {
    return new PyTime(this.hour, this.minute, this.second, this.microsecond, null, this.fold);
  }

  timetz(): PyTime {
    return new PyTime(this.hour, this.minute, this.second, this.microsecond, this.tzinfo, this.fold);
  }

  /** Seconds since the Unix epoch, as a float. */
  timestamp(): unknown {
    return floatResult(Number(this._utc() - EPOCH_WALL) / 1e6);
  }

  /** The same instant in `tz` (default: local time, which is UTC for kiln). */
  astimezone(...args: unknown[]): PyDateTime {
    const a = bindArgs('astimezone', args, ['tz']);
    const tz = a.tz === undefined || a.tz === null ? LOCAL : a.tz;
    if (!(tz instanceof PyTzInfo))
      throw typeError(`astimezone() argument 1 must be datetime.tzinfo, not ${typeName(tz)}`);
    if (tz === this.tzinfo) return this;
    return tz._fromUtc(PyDateTime._fromWall(this._utc(), tz));
  }

  override replace(...args: unknown[]): PyDateTime {
    const a = bindArgs(
      'replace',
      args,
      ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond', 'tzinfo'],
      0,
      ['fold'],
    );
    const f = (k: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'microsecond' | 'fold') =>
      a[k] === undefined ? this[k] : toInt(a[k]);
    const tz = a.tzinfo === undefined ? this.tzinfo : tzArg(a.tzinfo);
    return new PyDateTime(
      f('year'),
      f('month'),
      f('day'),
      f('hour'),
      f('minute'),
      f('second'),
      f('microsecond'),
      tz,
      f('fold'),
    );
  }

  override isoformat(...args: unknown[]): string {
    const a = bindArgs('isoformat', args, ['sep', 'timespec']);
    const sep = a.sep === undefined ? 'T' : a.sep;
    if (typeof sep !== 'string' || [...sep].length !== 1)
      throw typeError(`isoformat() argument 1 must be a unicode character, not ${typeName(sep)}`);
    const off = this._offset();
    return (
      super.isoformat() +
      sep +
      formatClock(this.hour, this.minute, this.second, this.microsecond, a.timespec) +
      (off === null ? '' : formatOffset(off, ':'))
    );
  }

  override __str__(): string {
    return this.isoformat(' ');
  }

  override __repr__(): string {
    const parts = [this.year, this.month, this.day, this.hour, this.minute];
    if (this.second || this.microsecond) parts.push(this.second);
    if (this.microsecond) parts.push(this.microsecond);
    let text = parts.join(', ');
    if (this.fold) text += ', fold=1';
    if (this.tzinfo) text += `, tzinfo=${this.tzinfo.__repr__()}`;
    return `datetime.datetime(${text})`;
  }

  /**
   * Python's comparison: wall clocks when both carry the same tzinfo (or neither has an
   * offset), UTC instants otherwise; a naive and an aware value are never equal and do not order.
   */
  private _compare(o: PyDateTime, ordering: boolean): number | undefined {
    if (this.tzinfo === o.tzinfo) return sign(this._wall - o._wall);
    const a = this._offset();
    const b = o._offset();
    if (a === b) return sign(this._wall - o._wall);
    if (a !== null && b !== null) return sign(this._wall - BigInt(a) - (o._wall - BigInt(b)));
    if (ordering) throw typeError("can't compare offset-naive and offset-aware datetimes");
    return undefined;
  }

  override __eq__(o: unknown): boolean {
    return o instanceof PyDateTime && this._compare(o, false) === 0;
  }

  override __cmp__(o: unknown): number | undefined {
    if (o instanceof PyDateTime) return this._compare(o, true);
    if (o instanceof PyDate) throw typeError("can't compare datetime.datetime to datetime.date");
    return undefined;
  }

  override __add__(o: unknown): PyDateTime | undefined {
    if (!(o instanceof PyTimedelta)) return undefined;
    return PyDateTime._fromWall(this._wall + o._us, this.tzinfo);
  }

  override __radd__(o: unknown): PyDateTime | undefined {
    return this.__add__(o);
  }

  /** datetime - timedelta, or datetime - datetime (a timedelta; see _compare for offsets). */
  override __sub__(o: unknown): PyDateTime | PyTimedelta | undefined {
    if (o instanceof PyTimedelta) return PyDateTime._fromWall(this._wall - o._us, this.tzinfo);
    if (!(o instanceof PyDateTime)) return undefined;
    if (this.tzinfo === o.tzinfo) return new PyTimedelta(this._wall - o._wall);
    const a = this._offset();
    const b = o._offset();
    if ((a === null) !== (b === null)) throw typeError("can't subtract offset-naive and offset-aware datetimes");
    return new PyTimedelta(this._wall - BigInt(a ?? 0) - (o._wall - BigInt(b ?? 0)));
  }

  override valueOf(): number {
    return Number(this._utc() - EPOCH_WALL) / 1000;
  }
}

/* -------------------------------------------------------------------- time */

export class PyTime {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly tzinfo: PyTzInfo | null;
  readonly fold: number;

  constructor(hour = 0, minute = 0, second = 0, microsecond = 0, tzinfo: PyTzInfo | null = null, fold = 0) {
    checkTime(hour, minute, second, microsecond, fold);
    this.hour = hour;
    this.minute = minute;
    this.second = second;
    this.microsecond = microsecond;
    this.tzinfo = tzinfo;
    this.fold = fold;
    Object.freeze(this);
  }

  /** `time(hour=0, minute=0, second=0, microsecond=0, tzinfo=None, *, fold=0)`. */
  static make(this: void, ...args: unknown[]): PyTime {
    const a = bindArgs('time', args, ['hour', 'minute', 'second', 'microsecond', 'tzinfo'], 0, ['fold']);
    const n = (k: string) => (a[k] === undefined ? 0 : toInt(a[k]));
    return new PyTime(n('hour'), n('minute'), n('second'), n('microsecond'), tzArg(a.tzinfo), n('fold'));
  }

  get __class_name__(): string {
    return 'datetime.time';
  }

  /** A time's offset is its tzinfo's for no particular date. */
  _offset(): number | null {
    return this.tzinfo ? this.tzinfo._offsetUs(null) : null;
  }

  _fields(): Fields {
    return {
      year: 1900,
      month: 1,
      day: 1,
      hour: this.hour,
      minute: this.minute,
      second: this.second,
      microsecond: this.microsecond,
      ...zoneParts(this.tzinfo, null),
    };
  }

  utcoffset(): PyTimedelta | null {
    return asTimedelta(zoneParts(this.tzinfo, null).offsetUs);
  }

  dst(): PyTimedelta | null {
    return asTimedelta(zoneParts(this.tzinfo, null).dstUs);
  }

  tzname(): string | null {
    return zoneParts(this.tzinfo, null).tzname;
  }

  isoformat(...args: unknown[]): string {
    const a = bindArgs('isoformat', args, ['timespec']);
    const off = this._offset();
    return (
      formatClock(this.hour, this.minute, this.second, this.microsecond, a.timespec) +
      (off === null ? '' : formatOffset(off, ':'))
    );
  }

  strftime(fmt: unknown): string {
    return strftime(requireStr(fmt, 'strftime() argument 1'), this._fields());
  }

  replace(...args: unknown[]): PyTime {
    const a = bindArgs('replace', args, ['hour', 'minute', 'second', 'microsecond', 'tzinfo'], 0, ['fold']);
    const f = (k: 'hour' | 'minute' | 'second' | 'microsecond' | 'fold') =>
      a[k] === undefined ? this[k] : toInt(a[k]);
    const tz = a.tzinfo === undefined ? this.tzinfo : tzArg(a.tzinfo);
    return new PyTime(f('hour'), f('minute'), f('second'), f('microsecond'), tz, f('fold'));
  }

  __format__(spec: unknown): string {
    return formatWith(this, spec);
  }

  /** In JSON (an artifact), ISO text, as dbt's JSON encoder writes dates and times. */
  toJSON(): string {
    return this.isoformat();
  }

  __str__(): string {
    return this.isoformat();
  }

  __repr__(): string {
    const parts = [this.hour, this.minute];
    if (this.second || this.microsecond) parts.push(this.second);
    if (this.microsecond) parts.push(this.microsecond);
    let text = parts.join(', ');
    if (this.fold) text += ', fold=1';
    if (this.tzinfo) text += `, tzinfo=${this.tzinfo.__repr__()}`;
    return `datetime.time(${text})`;
  }

  private get _dayUs(): number {
    return dayMicros(this.hour, this.minute, this.second, this.microsecond);
  }

  /** As datetimes compare: same tzinfo or same offset by the clock, else by UTC; naive and aware do not mix. */
  private _compare(o: PyTime, ordering: boolean): number | undefined {
    const a = this.tzinfo === o.tzinfo ? null : this._offset();
    const b = this.tzinfo === o.tzinfo ? null : o._offset();
    if (a === b) return sign(this._dayUs - o._dayUs);
    if (a !== null && b !== null) return sign(this._dayUs - a - (o._dayUs - b));
    if (ordering) throw typeError("can't compare offset-naive and offset-aware times");
    return undefined;
  }

  __eq__(o: unknown): boolean {
    return o instanceof PyTime && this._compare(o, false) === 0;
  }

  __cmp__(o: unknown): number | undefined {
    return o instanceof PyTime ? this._compare(o, true) : undefined;
  }

  __lt__(o: unknown): boolean | undefined {
    return ordering(this.__cmp__(o), (c) => c < 0);
  }

  __le__(o: unknown): boolean | undefined {
    return ordering(this.__cmp__(o), (c) => c <= 0);
  }

  __gt__(o: unknown): boolean | undefined {
    return ordering(this.__cmp__(o), (c) => c > 0);
  }

  __ge__(o: unknown): boolean | undefined {
    return ordering(this.__cmp__(o), (c) => c >= 0);
  }

  toString(): string {
    return this.__str__();
  }

  valueOf(): number {
    return this._dayUs;
  }
}

/* ---------------------------------------------------------- constructors */

/** A POSIX timestamp (seconds, int or float) as microseconds, rounded as Python rounds it. */
function timestampMicros(ts: unknown): bigint {
  const n = asNumber(ts);
  if (n === undefined || typeof ts === 'boolean')
    throw typeError(`'${typeName(ts)}' object cannot be interpreted as an integer`);
  if (!Number.isFinite(n)) throw valueError('Invalid value NaN (not a number)');
  if (!isFloat(ts)) return BigInt(n) * 1_000_000n;
  const whole = Math.trunc(n);
  return BigInt(whole) * 1_000_000n + BigInt(roundHalfEven((n - whole) * 1e6));
}

function fromIsoArg(s: unknown): string {
  if (typeof s !== 'string') throw typeError('fromisoformat: argument must be str');
  return s;
}

/**
 * A fixed-offset tzinfo for a parsed offset, checked as `timezone()` checks it (zero without a name is timezone.utc).
 */
const offsetZone = (us: number, name: string | null = null) =>
  PyFixedTimezone.make(new PyTimedelta(BigInt(us)), ...(name === null ? [] : [name]));

function datetimeFromFields(f: Fields): PyDateTime {
  const tz = f.offsetUs === null ? null : offsetZone(f.offsetUs, f.tzname);
  return new PyDateTime(f.year, f.month, f.day, f.hour, f.minute, f.second, f.microsecond, tz);
}

/** Makes a callable Python class: calling constructs, own properties are its class attributes. */
const pyClass = <R, S extends object>(construct: (this: void, ...args: unknown[]) => R, statics: S) =>
  Object.assign((...args: unknown[]) => construct(...args), statics);

const datetimeClass = pyClass(PyDateTime.make, {
  now: (...args: unknown[]) => PyDateTime._fromInstant(nowMicros(), tzArg(bindArgs('now', args, ['tz']).tz)),
  utcnow: () => PyDateTime._fromInstant(nowMicros(), null),
  today: () => PyDateTime._fromInstant(nowMicros(), null),
  fromtimestamp: (...args: unknown[]) => {
    const a = bindArgs('fromtimestamp', args, ['timestamp', 'tz'], 1);
    return PyDateTime._fromInstant(timestampMicros(a.timestamp), tzArg(a.tz));
  },
  utcfromtimestamp: (ts: unknown) => PyDateTime._fromInstant(timestampMicros(ts), null),
  fromordinal: (n: unknown) => PyDateTime._fromWall(wallMicros(PyDate.fromOrdinal(toInt(n))._ord, 0), null),
  fromisoformat: (s: unknown) => datetimeFromFields(parseIsoDateTime(fromIsoArg(s))),
  fromisocalendar: (y: unknown, w: unknown, d: unknown) =>
    PyDateTime._fromWall(wallMicros(fromIsoCalendar(toInt(y), toInt(w), toInt(d)), 0), null),
  strptime: (text: unknown, fmt: unknown) =>
    datetimeFromFields(strptime(requireStr(text, 'strptime() argument 1'), requireStr(fmt, 'strptime() argument 2'))),
  /** `datetime.combine(date, time, tzinfo=time.tzinfo)`. */
  combine: (...args: unknown[]) => {
    const a = bindArgs('combine', args, ['date', 'time', 'tzinfo'], 2);
    if (!(a.date instanceof PyDate))
      throw typeError(`combine() argument 1 must be datetime.date, not ${typeName(a.date)}`);
    if (!(a.time instanceof PyTime))
      throw typeError(`combine() argument 2 must be datetime.time, not ${typeName(a.time)}`);
    const { date, time } = a as { date: PyDate; time: PyTime };
    const tz = a.tzinfo === undefined ? time.tzinfo : tzArg(a.tzinfo);
    return new PyDateTime(
      date.year,
      date.month,
      date.day,
      time.hour,
      time.minute,
      time.second,
      time.microsecond,
      tz,
      time.fold,
    );
  },
  min: new PyDateTime(MINYEAR, 1, 1),
  max: new PyDateTime(MAXYEAR, 12, 31, 23, 59, 59, 999999),
  resolution: new PyTimedelta(1n),
});

const dateClass = pyClass(PyDate.make, {
  today: () => PyDateTime._fromInstant(nowMicros(), null).date(),
  fromtimestamp: (ts: unknown) => PyDateTime._fromInstant(timestampMicros(ts), null).date(),
  fromordinal: (n: unknown) => PyDate.fromOrdinal(toInt(n)),
  fromisoformat: (s: unknown) => new PyDate(...parseIsoDate(fromIsoArg(s))),
  fromisocalendar: (y: unknown, w: unknown, d: unknown) =>
    PyDate.fromOrdinal(fromIsoCalendar(toInt(y), toInt(w), toInt(d))),
  min: new PyDate(MINYEAR, 1, 1),
  max: new PyDate(MAXYEAR, 12, 31),
  resolution: new PyTimedelta(BigInt(US_PER_DAY)),
});

const timeClass = pyClass(PyTime.make, {
  /** `time.fromisoformat`: a clock time with an optional offset, optionally after a `T`. */
  fromisoformat: (s: unknown) => {
    const text = fromIsoArg(s);
    const [[h, mi, sec, us], off] = parseIsoTime(text.startsWith('T') ? text.slice(1) : text, text);
    return new PyTime(h, mi, sec, us, off === null ? null : offsetZone(off));
  },
  min: new PyTime(0, 0, 0, 0),
  max: new PyTime(23, 59, 59, 999999),
  resolution: new PyTimedelta(1n),
});

const timedeltaClass = pyClass(PyTimedelta.make, {
  min: PyTimedelta.min,
  max: PyTimedelta.max,
  resolution: PyTimedelta.resolution,
});

const timezoneClass = pyClass(PyFixedTimezone.make, {
  utc: UTC,
  min: new PyFixedTimezone(new PyTimedelta(-BigInt(US_PER_DAY) + 60_000_000n)),
  max: new PyFixedTimezone(new PyTimedelta(BigInt(US_PER_DAY) - 60_000_000n)),
});

/** Everything kiln implements; dbt exposes only some of it to templates (see index.ts). */
export const datetimeModule = {
  date: dateClass,
  datetime: datetimeClass,
  time: timeClass,
  timedelta: timedeltaClass,
  tzinfo: new PyClassStub('datetime.tzinfo'),
  timezone: timezoneClass,
  UTC,
  MINYEAR,
  MAXYEAR,
};

export { UTC as utcTimezone };

/**
 * Python's `pytz` for dbt templates, on the tz database that JavaScript's Intl carries.
 *
 * pytz models a zone as a family of fixed-offset tzinfos, one per (offset, DST, abbreviation)
 * the zone has used. `pytz.timezone(name)` returns the family's first member, the zone's local
 * mean time (LMT), which is why `datetime(..., tzinfo=tz)` gives odd offsets such as -04:56;
 * `localize`, `astimezone` and `normalize` pick the member in force. Arithmetic keeps the
 * member, so `localize(dt) + timedelta(days=1)` keeps its offset until `normalize` fixes it.
 *
 * Intl gives offsets exactly but not pytz's abbreviations: they are read from the English
 * locales that name the zone, else written numerically as the tz database does (`+0545`).
 * pytz rounds offsets to whole minutes, and so does this module.
 */
import { PyDateTime, PyTzInfo } from './datetime.js';
import { PyTimedelta } from './timedelta.js';
import { EPOCH_WALL } from './calendar.js';
import { bindArgs, makeSet, pyError, PyClassStub, strRepr, toInt, truthy, typeName, valueError } from './py.js';

type Kind = 'utc' | 'static' | 'dst' | 'fixed';

/** One member of a zone family: what its tzinfo reports. */
interface ZoneState {
  offsetUs: number;
  dstUs: number;
  abbrev: string | null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string, locale: string, timeZoneName: 'longOffset' | 'short'): Intl.DateTimeFormat {
  const key = `${zone}|${locale}|${timeZoneName}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName })));
  return f;
}

const zoneNamePart = (zone: string, locale: string, style: 'longOffset' | 'short', ms: number) =>
  formatter(zone, locale, style)
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')!.value;

/** The zone's offset from UTC at an instant (ms since the epoch), in seconds, unrounded. */
function rawOffset(zone: string, ms: number): number {
  const m = /^GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(zoneNamePart(zone, 'en-US', 'longOffset', ms));
  if (!m || !m[1]) return 0;
  const s = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -s : s;
}

/** pytz's whole-minute rounding of an offset in seconds, to microseconds. */
const roundedOffsetUs = (seconds: number) => Math.floor((seconds + 30) / 60) * 60 * 1e6;

/** Epoch milliseconds of a UTC date; setUTCFullYear takes years below 100 literally. */
function utcMs(y: number, m: number, d: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getTime();
}

/** A time well inside every zone's local mean time (the first entry of its history). */
const LMT_ERA = utcMs(1800, 1, 1);

/**
 * pytz reads only the 32-bit part of the tz database files, which starts at 1901-12-13T20:45:52Z:
 * before that instant every zone is in its first state, local mean time.
 */
const PYTZ_START = -(2 ** 31) * 1000;

/** The zone's offset at an instant as pytz sees it, in seconds, unrounded. */
const pytzOffset = (zone: string, ms: number) => rawOffset(zone, ms < PYTZ_START ? LMT_ERA : ms);

/** English locales that name zones (EST, CET, AEDT, IST, SAST...) in the order that best matches pytz. */
const NAMING_LOCALES = [
  'en-US',
  'en-GB',
  'en-AU',
  'en-NZ',
  'en-IN',
  'en-ZA',
  'en-KE',
  'en-NG',
  'en-IE',
  'en-HK',
  'en-PK',
  'ja-JP',
  'ko-KR',
  'en-CA',
];

/** The tz database abbreviation of the zone at an instant, as well as Intl can tell it. */
function abbreviation(zone: string, ms: number): string {
  const seconds = pytzOffset(zone, ms);
  if (seconds === rawOffset(zone, LMT_ERA) && (seconds % 900 !== 0 || ms < PYTZ_START)) return 'LMT';
  if (seconds === 0 && /GMT|Greenwich/.test(zone)) return 'GMT';
  for (const locale of NAMING_LOCALES) {
    const name = zoneNamePart(zone, locale, 'short', ms);
    if (/^[A-Z]{2,5}$/.test(name)) return name;
  }
  // Zones without a name use their offset: -03, +0545.
  const abs = Math.abs(seconds);
  const hhmm =
    String(Math.floor(abs / 3600)).padStart(2, '0') +
    (abs % 3600 ? String(Math.floor(abs / 60) % 60).padStart(2, '0') : '');
  return (seconds < 0 ? '-' : '+') + hhmm;
}

/** The family member in force at an instant: DST is the offset above the year's lower (standard) offset. */
function stateAt(zone: string, ms: number): ZoneState {
  const offsetUs = roundedOffsetUs(pytzOffset(zone, ms));
  const year = new Date(ms).getUTCFullYear();
  const standard = Math.min(
    roundedOffsetUs(pytzOffset(zone, utcMs(year, 1, 1))),
    roundedOffsetUs(pytzOffset(zone, utcMs(year, 7, 1))),
  );
  return { offsetUs, dstUs: Math.max(0, offsetUs - standard), abbrev: abbreviation(zone, ms) };
}

/** A zone that never changed its offset (Etc/GMT+5, GMT) is pytz's StaticTzInfo. */
function isStatic(zone: string): boolean {
  const offset = rawOffset(zone, LMT_ERA);
  return [utcMs(1900, 1, 1), utcMs(1950, 1, 1), utcMs(1980, 1, 1), utcMs(2024, 1, 1), utcMs(2024, 7, 1)].every(
    (ms) => rawOffset(zone, ms) === offset,
  );
}

const epochMs = (dt: PyDateTime) => Number((dt._wall - EPOCH_WALL) / 1000n);
/** pytz reads `dt.tzinfo` first, so a non-datetime fails as Python's attribute lookup does. */
const datetimeRequired = (dt: unknown): PyDateTime => {
  if (!(dt instanceof PyDateTime))
    throw pyError('AttributeError', `'${typeName(dt)}' object has no attribute 'tzinfo'`);
  return dt;
};
const naiveRequired = (dt: unknown): PyDateTime => {
  if (datetimeRequired(dt).tzinfo !== null) throw valueError('Not naive datetime (tzinfo is already set)');
  return dt as PyDateTime;
};
const awareRequired = (dt: unknown): PyDateTime => {
  if (datetimeRequired(dt).tzinfo === null) throw valueError('Naive time - no tzinfo set');
  return dt as PyDateTime;
};
/** pytz's `is_dst` argument: False by default, None to raise on ambiguous and missing times. */
const isDstArg = (v: unknown): boolean | null => (v === undefined ? false : v === null ? null : truthy(v));

const SIX_HOURS = new PyTimedelta(6n * 3600n * 1_000_000n);

/** Zone families by lower-cased name, each the instance `pytz.timezone(name)` returns. */
const families = new Map<string, PyTimezone>();

export class PyTimezone extends PyTzInfo {
  /** The zone's name (None for a FixedOffset), as pytz's `zone` attribute. */
  readonly zone!: string | null;
  readonly _kind!: Kind;
  readonly _state!: ZoneState;
  /** The family's first member; members of one family share it. */
  readonly _family!: PyTimezone;
  readonly _members = new Map<string, PyTimezone>();

  /**
   * `new PyTimezone(name)` is `pytz.timezone(name)` (the same object for the same name); the
   * second argument is internal, for building families and their members.
   */
  constructor(zone: string, internal?: { kind: Kind; state: ZoneState; family?: PyTimezone }) {
    super();
    if (!internal) return zoneNamed(zone);
    this.zone = internal.kind === 'fixed' ? null : zone;
    this._kind = internal.kind;
    this._state = internal.state;
    this._family = internal.family ?? this;
    Object.freeze(this);
  }

  /** pytz makes a class per zone, named after it. */
  get __class_name__(): string {
    return this._kind === 'utc' ? 'UTC' : this._kind === 'fixed' ? '_FixedOffset' : this.zone!;
  }

  __repr__(): string {
    const s = this._state;
    switch (this._kind) {
      case 'utc':
        return '<UTC>';
      case 'static':
        return `<StaticTzInfo ${strRepr(this.zone!)}>`;
      case 'fixed':
        return `pytz.FixedOffset(${s.offsetUs / 6e7})`;
      default: {
        const offset = (s.offsetUs > 0 ? '+' : '') + new PyTimedelta(BigInt(s.offsetUs)).__str__();
        return `<DstTzInfo ${strRepr(this.zone!)} ${s.abbrev}${offset} ${s.dstUs ? 'DST' : 'STD'}>`;
      }
    }
  }

  __str__(): string {
    return this.zone ?? this.__repr__();
  }

  /** For no datetime (a time's tzinfo), a DST zone has no offset and its name is the zone's. */
  _offsetUs(dt: PyDateTime | null): number | null {
    return dt === null && this._kind === 'dst' ? null : this._state.offsetUs;
  }

  _dstUs(dt: PyDateTime | null): number | null {
    return dt === null && this._kind === 'dst' ? null : this._state.dstUs;
  }

  _tzname(dt: PyDateTime | null): string | null {
    return dt === null && this._kind === 'dst' ? this.zone : this._state.abbrev;
  }

  /** The family member with a given state (pytz keeps one object per state). */
  private _member(state: ZoneState): PyTimezone {
    const key = `${state.offsetUs}|${state.dstUs}|${state.abbrev}`;
    const family = this._family;
    let member = family._members.get(key);
    if (!member) family._members.set(key, (member = new PyTimezone(family.zone!, { kind: 'dst', state, family })));
    return member;
  }

  _fromUtc(utc: PyDateTime): PyDateTime {
    const tz = this._kind === 'dst' ? this._member(stateAt(this.zone!, epochMs(utc))) : this;
    return PyDateTime._fromWall(utc._wall + BigInt(tz._state.offsetUs), tz);
  }

  /** Another family member for a naive wall time (pytz's `localize`), see localize(). */
  private _localized(dt: PyDateTime, isDst: boolean | null): PyTimezone {
    const zone = this.zone!;
    const wall = epochMs(dt);
    // The offsets in force a day either side; each is valid if the wall time maps back onto it.
    const offsets = [...new Set([pytzOffset(zone, wall - 864e5), pytzOffset(zone, wall + 864e5)])];
    const instants = offsets.filter((o) => pytzOffset(zone, wall - o * 1000) === o).map((o) => wall - o * 1000);
    if (instants.length === 1) return this._member(stateAt(zone, instants[0]!));
    if (instants.length === 0) {
      // A time skipped by a transition: the offset from before it, or after it if is_dst.
      if (isDst === null) throw pyError('NonExistentTimeError', dt.__str__());
      const shifted = (isDst ? dt.__add__(SIX_HOURS) : dt.__sub__(SIX_HOURS)) as PyDateTime;
      return this._localized(shifted, isDst);
    }
    if (isDst === null) throw pyError('AmbiguousTimeError', dt.__str__());
    const states = instants.map((ms) => ({ ms, state: stateAt(zone, ms) }));
    const matching = states.filter((s) => (s.state.dstUs !== 0) === isDst);
    if (matching.length === 1) return this._member(matching[0]!.state);
    // Neither or both fit is_dst: the earlier instant for is_dst, the later otherwise.
    const pool = matching.length ? matching : states;
    pool.sort((a, b) => a.ms - b.ms);
    return this._member(pool[isDst ? 0 : pool.length - 1]!.state);
  }

  /** `tz.localize(dt, is_dst=False)`: the naive wall time `dt` in this zone. */
  localize(...args: unknown[]): PyDateTime {
    const a = bindArgs('localize', args, ['dt', 'is_dst'], 1);
    const dt = naiveRequired(a.dt);
    return dt.replace({
      tzinfo: this._kind === 'dst' ? this._localized(dt, isDstArg(a.is_dst)) : this,
      __keywords: true,
    });
  }

  /** `tz.normalize(dt)`: the same instant with the offset this zone has then. */
  normalize(...args: unknown[]): PyDateTime {
    const a = bindArgs('normalize', args, ['dt', 'is_dst'], 1);
    const dt = awareRequired(a.dt);
    if (dt.tzinfo === this && this._kind !== 'dst') return dt;
    // A DST zone reads the datetime's pytz-private offset, which other tzinfos lack.
    const tz = dt.tzinfo;
    if (this._kind === 'dst' && !(tz instanceof PyTimezone && tz._kind !== 'fixed')) {
      throw pyError('AttributeError', `'${typeName(tz)}' object has no attribute '_utcoffset'`);
    }
    return this._fromUtc(PyDateTime._fromWall(dt._utc(), this));
  }

  override fromutc(arg: unknown): PyDateTime {
    const dt = datetimeRequired(arg);
    const tz = dt.tzinfo;
    if (this._kind === 'utc' && tz === null) return this.localize(dt);
    const sameFamily =
      this._kind === 'dst'
        ? tz === null || (tz instanceof PyTimezone && tz._family === this._family)
        : this._kind === 'static'
          ? tz === null || tz === this
          : tz === this;
    if (!sameFamily) throw valueError('fromutc: dt.tzinfo is not self');
    return this._fromUtc(dt);
  }

  /** pytz's utcoffset/dst/tzname: for another datetime than its own, localize it first. */
  private _stateFor(args: unknown[], method: string): ZoneState | null {
    const a = bindArgs(method, args, ['dt', 'is_dst']);
    if (this._kind !== 'dst') return this._state;
    if (a.dt === undefined || a.dt === null) return null;
    if (a.dt instanceof PyDateTime && a.dt.tzinfo === this) return this._state;
    return this._localized(naiveRequired(a.dt), isDstArg(a.is_dst))._state;
  }

  override utcoffset(...args: unknown[]): PyTimedelta | null {
    const s = this._stateFor(args, 'utcoffset');
    return s && new PyTimedelta(BigInt(s.offsetUs));
  }

  override dst(...args: unknown[]): PyTimedelta | null {
    const s = this._stateFor(args, 'dst');
    return s && new PyTimedelta(BigInt(s.dstUs));
  }

  /** For no datetime, a DST zone's name is the zone's. */
  override tzname(...args: unknown[]): string | null {
    const s = this._stateFor(args, 'tzname');
    return s ? s.abbrev : this.zone;
  }
}

const unknownZone = (name: unknown) =>
  pyError('UnknownTimeZoneError', typeof name === 'string' ? strRepr(name) : 'None');

export const pytzUtc = new PyTimezone('UTC', { kind: 'utc', state: { offsetUs: 0, dstUs: 0, abbrev: 'UTC' } });

/** `pytz.timezone(name)`: names match case-insensitively, as in pytz. */
function zoneNamed(name: unknown): PyTimezone {
  if (name !== null && name !== undefined && typeof name !== 'string')
    throw pyError('AttributeError', `'${typeName(name)}' object has no attribute 'upper'`);
  if (typeof name !== 'string' || !/^[A-Za-z]/.test(name)) throw unknownZone(name);
  if (name.toUpperCase() === 'UTC') return pytzUtc;
  const hit = families.get(name.toLowerCase());
  if (hit) return hit;
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw unknownZone(name);
  }
  // Intl resolves aliases (US/Eastern is America/New_York); pytz keeps the name asked for.
  const zone = canonical.toLowerCase() === name.toLowerCase() ? canonical : name;
  let family: PyTimezone;
  if (isStatic(zone))
    family = new PyTimezone(zone, {
      kind: 'static',
      state: {
        offsetUs: roundedOffsetUs(rawOffset(zone, LMT_ERA)),
        dstUs: 0,
        abbrev: abbreviation(zone, utcMs(2024, 1, 1)),
      },
    });
  else
    family = new PyTimezone(zone, {
      kind: 'dst',
      state: { offsetUs: roundedOffsetUs(rawOffset(zone, LMT_ERA)), dstUs: 0, abbrev: abbreviation(zone, LMT_ERA) },
    });
  families.set(name.toLowerCase(), family);
  return family;
}

const fixedOffsets = new Map<number, PyTimezone>();

/** `pytz.FixedOffset(minutes)`: a zone without a name; zero minutes is pytz.utc. */
function fixedOffset(minutes: unknown): PyTimezone {
  const m = toInt(minutes);
  if (m === 0) return pytzUtc;
  if (Math.abs(m) >= 1440) throw valueError(`('absolute offset is too large', ${m})`);
  let tz = fixedOffsets.get(m);
  if (!tz)
    fixedOffsets.set(
      m,
      (tz = new PyTimezone('', { kind: 'fixed', state: { offsetUs: m * 6e7, dstUs: 0, abbrev: null } })),
    );
  return tz;
}

/**
 * pytz's zone lists, from the names Intl knows: its canonical zones (CLDR's spelling, such as
 * Asia/Calcutta rather than Asia/Kolkata) and UTC. pytz also lists aliases (US/Eastern), which
 * Intl accepts but cannot enumerate, so these lists are shorter than pytz's.
 */
let knownZones: string[] | undefined;
/** A list of its own for each of pytz's four (ICU's enumeration, asked once, took ~0.7 ms each time at startup). */
const zoneNames = () => [
  ...(knownZones ??= [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'GMT'])].sort()),
];

/** One value, made on first call: enumerating and sorting ICU's zones at load cost every start ~1.5 ms. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
const allTimezones = once(zoneNames);
const allTimezonesSet = once(() => makeSet(zoneNames()));
const commonTimezones = once(zoneNames);
const commonTimezonesSet = once(() => makeSet(zoneNames()));

/** Everything kiln implements; dbt exposes pytz.__all__ to templates (see index.ts). */
export const pytzModule = {
  timezone: (name: unknown) => zoneNamed(name),
  utc: pytzUtc,
  AmbiguousTimeError: new PyClassStub('pytz.exceptions.AmbiguousTimeError'),
  InvalidTimeError: new PyClassStub('pytz.exceptions.InvalidTimeError'),
  NonExistentTimeError: new PyClassStub('pytz.exceptions.NonExistentTimeError'),
  UnknownTimeZoneError: new PyClassStub('pytz.exceptions.UnknownTimeZoneError'),
  // Made when first read (the dict templates see makes them plain values then: modules/index.ts).
  get all_timezones() {
    return allTimezones();
  },
  get all_timezones_set() {
    return allTimezonesSet();
  },
  get common_timezones() {
    return commonTimezones();
  },
  get common_timezones_set() {
    return commonTimezonesSet();
  },
  BaseTzInfo: new PyClassStub('pytz.tzinfo.BaseTzInfo'),
  FixedOffset: fixedOffset,
  UTC: pytzUtc,
};

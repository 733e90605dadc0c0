/**
 * Python's `datetime.timedelta`. The duration is kept as one exact count of microseconds
 * (a bigint); days, seconds and microseconds are derived as Python normalises them: only
 * `days` is ever negative, so -1 second is `-1 day, 23:59:59`.
 */
import { asNumber, bindArgs, floatResult, isFloat, overflowError, pyError, typeError, typeName } from './py.js';
import { roundHalfEven, US_PER_DAY } from './calendar.js';

const DAY = BigInt(US_PER_DAY);
const MAX_DAYS = 999999999;

/** Microseconds per unit of each constructor argument, in Python's parameter order. */
const UNITS: Array<[string, number]> = [
  ['days', US_PER_DAY],
  ['seconds', 1e6],
  ['microseconds', 1],
  ['milliseconds', 1e3],
  ['minutes', 6e7],
  ['hours', 3.6e9],
  ['weeks', 7 * US_PER_DAY],
];

/** Python's exact float-to-fraction (`float.as_integer_ratio`): a double is m * 2^e exactly. */
function floatRatio(x: number): [bigint, bigint] {
  let den = 1n;
  while (!Number.isInteger(x)) {
    x *= 2;
    den *= 2n;
  }
  return [BigInt(x), den];
}

/** num / den rounded half to even, on exact integers (Python's `_divide_and_round`). */
function divideRound(num: bigint, den: bigint): bigint {
  if (den < 0n) [num, den] = [-num, -den];
  let q = num / den;
  let r = num % den;
  if (r < 0n) {
    q -= 1n;
    r += den;
  }
  const twice = 2n * r;
  if (twice > den || (twice === den && q % 2n !== 0n)) q += 1n;
  return q;
}

const floorDiv = (a: bigint, b: bigint) => {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
};

export class PyTimedelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
  /** The whole duration in microseconds. */
  readonly _us: bigint;

  constructor(us: bigint) {
    const days = floorDiv(us, DAY);
    if (days > BigInt(MAX_DAYS) || days < BigInt(-MAX_DAYS))
      throw overflowError(`days=${days}; must have magnitude <= ${MAX_DAYS}`);
    const rest = Number(us - days * DAY);
    this._us = us;
    this.days = Number(days);
    this.seconds = Math.floor(rest / 1e6);
    this.microseconds = rest % 1e6;
    Object.freeze(this);
  }

  /** `timedelta(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0, hours=0, weeks=0)`. */
  static make(this: void, ...args: unknown[]): PyTimedelta {
    const a = bindArgs(
      'timedelta',
      args,
      UNITS.map(([n]) => n),
    );
    let exact = 0n;
    let fraction = 0;
    for (const [name, unit] of UNITS) {
      const v = a[name];
      if (v === undefined) continue;
      const n = asNumber(v);
      if (n === undefined) throw typeError(`unsupported type for timedelta ${name} component: ${typeName(v)}`);
      if (!isFloat(v)) exact += BigInt(n) * BigInt(unit);
      else {
        // Whole units stay exact; only the fractional part goes through floating point.
        const whole = Math.trunc(n);
        exact += BigInt(whole) * BigInt(unit);
        fraction += (n - whole) * unit;
      }
    }
    return new PyTimedelta(exact + BigInt(roundHalfEven(fraction)));
  }

  static readonly min = new PyTimedelta(-BigInt(MAX_DAYS) * DAY);
  static readonly max = new PyTimedelta(BigInt(MAX_DAYS) * DAY + DAY - 1n);
  static readonly resolution = new PyTimedelta(1n);

  get __class_name__(): string {
    return 'datetime.timedelta';
  }

  total_seconds(): unknown {
    return floatResult(Number(this._us) / 1e6);
  }

  __str__(): string {
    const s = this.seconds;
    const twoDigits = (n: number) => String(n).padStart(2, '0');
    let text = `${Math.floor(s / 3600)}:${twoDigits(Math.floor(s / 60) % 60)}:${twoDigits(s % 60)}`;
    if (this.microseconds) text += '.' + String(this.microseconds).padStart(6, '0');
    return this.days ? `${this.days} day${Math.abs(this.days) === 1 ? '' : 's'}, ${text}` : text;
  }

  __repr__(): string {
    const parts = [
      ['days', this.days],
      ['seconds', this.seconds],
      ['microseconds', this.microseconds],
    ]
      .filter(([, v]) => v !== 0)
      .map(([k, v]) => `${k}=${v}`);
    return `datetime.timedelta(${parts.length ? parts.join(', ') : '0'})`;
  }

  __bool__(): boolean {
    return this._us !== 0n;
  }

  __eq__(o: unknown): boolean {
    return o instanceof PyTimedelta && o._us === this._us;
  }

  /** Ordering for <, <=, >, >=: negative, zero or positive; undefined for another type. */
  __cmp__(o: unknown): number | undefined {
    if (!(o instanceof PyTimedelta)) return undefined;
    return this._us < o._us ? -1 : this._us > o._us ? 1 : 0;
  }

  __lt__(o: unknown): boolean | undefined {
    const c = this.__cmp__(o);
    return c === undefined ? undefined : c < 0;
  }

  __le__(o: unknown): boolean | undefined {
    const c = this.__cmp__(o);
    return c === undefined ? undefined : c <= 0;
  }

  __gt__(o: unknown): boolean | undefined {
    const c = this.__cmp__(o);
    return c === undefined ? undefined : c > 0;
  }

  __ge__(o: unknown): boolean | undefined {
    const c = this.__cmp__(o);
    return c === undefined ? undefined : c >= 0;
  }

  /** timedelta + timedelta. (timedelta + date is the date's __radd__.) */
  __add__(o: unknown): PyTimedelta | undefined {
    return o instanceof PyTimedelta ? new PyTimedelta(this._us + o._us) : undefined;
  }

  __radd__(o: unknown): PyTimedelta | undefined {
    return this.__add__(o);
  }

  __sub__(o: unknown): unknown {
    return o instanceof PyTimedelta ? new PyTimedelta(this._us - o._us) : undefined;
  }

  __neg__(): PyTimedelta {
    return new PyTimedelta(-this._us);
  }

  __pos__(): PyTimedelta {
    return this;
  }

  __abs__(): PyTimedelta {
    return this._us < 0n ? this.__neg__() : this;
  }

  /** timedelta * int or float (rounded half to even, as Python does). */
  __mul__(o: unknown): PyTimedelta | undefined {
    const n = asNumber(o);
    if (n === undefined || o instanceof PyTimedelta) return undefined;
    if (!isFloat(o)) return new PyTimedelta(this._us * BigInt(n));
    if (Number.isNaN(n)) throw pyError('ValueError', 'cannot convert NaN to integer ratio');
    if (!Number.isFinite(n)) throw pyError('OverflowError', 'cannot convert Infinity to integer ratio');
    const [num, den] = floatRatio(n);
    return new PyTimedelta(divideRound(this._us * num, den));
  }

  __rmul__(o: unknown): PyTimedelta | undefined {
    return this.__mul__(o);
  }

  /** timedelta / timedelta is a float; timedelta / number a timedelta. */
  __truediv__(o: unknown): unknown {
    if (o instanceof PyTimedelta) {
      if (o._us === 0n) throw pyError('ZeroDivisionError', 'division by zero');
      return floatResult(Number(this._us) / Number(o._us));
    }
    const n = asNumber(o);
    if (n === undefined) return undefined;
    if (n === 0)
      throw pyError('ZeroDivisionError', isFloat(o) ? 'float division by zero' : 'integer division or modulo by zero');
    if (!isFloat(o)) return new PyTimedelta(divideRound(this._us, BigInt(n)));
    const [num, den] = floatRatio(n);
    return new PyTimedelta(divideRound(this._us * den, num));
  }

  /** timedelta // timedelta is an int; timedelta // int a timedelta (floored). */
  __floordiv__(o: unknown): PyTimedelta | number | undefined {
    if (o instanceof PyTimedelta) {
      if (o._us === 0n) throw pyError('ZeroDivisionError', 'integer division or modulo by zero');
      return Number(floorDiv(this._us, o._us));
    }
    if (isFloat(o) || asNumber(o) === undefined) return undefined;
    const n = BigInt(asNumber(o)!);
    if (n === 0n) throw pyError('ZeroDivisionError', 'integer division or modulo by zero');
    return new PyTimedelta(floorDiv(this._us, n));
  }

  __mod__(o: unknown): PyTimedelta | undefined {
    if (!(o instanceof PyTimedelta)) return undefined;
    if (o._us === 0n) throw pyError('ZeroDivisionError', 'integer modulo by zero');
    return new PyTimedelta(this._us - floorDiv(this._us, o._us) * o._us);
  }

  /** Printing and ordering for code that still uses JavaScript's String() and <. */
  toString(): string {
    return this.__str__();
  }

  valueOf(): number {
    return Number(this._us);
  }
}

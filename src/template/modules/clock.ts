/**
 * The clock `datetime.now()` and friends read. A render that is replayed for warehouse answers
 * (src/template/warehouse.ts) swaps in a clock that hands out the same times on every replay,
 * so a temporary table named after the time is the same table each time the render asks.
 */
import { noteVolatile } from '../render-reads.js';

let clock: (() => bigint) | undefined;

/** The current time in microseconds since the Unix epoch. */
export function nowMicros(): bigint {
  noteVolatile('the clock');
  return clock ? clock() : BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

/** Runs `fn` with `replay` as the clock (undefined: the real clock). */
export function withClock<T>(replay: (() => bigint) | undefined, fn: () => T): T {
  const outer = clock;
  clock = replay;
  try {
    return fn();
  } finally {
    clock = outer;
  }
}

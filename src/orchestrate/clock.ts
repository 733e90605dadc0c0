/**
 * Time as the orchestrator sees it: the current time and timers at absolute times. The
 * system clock for the service; a manual clock that moves only when told, so schedules,
 * deadlines and catch-up can be tested without waiting for them.
 */
export interface Clock {
  now(): number;
  /** Calls `fire` at (or soon after) the time `at`; returns a function that cancels it. */
  at(at: number, fire: () => unknown): () => void;
}

/** setTimeout cannot wait longer than about 24.8 days: longer waits are chained. */
const MAX_DELAY = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  at(at, fire) {
    let timer: NodeJS.Timeout;
    const arm = () => {
      const delay = at - Date.now();
      timer = setTimeout(() => (delay > MAX_DELAY ? arm() : fire()), Math.max(0, Math.min(delay, MAX_DELAY)));
    };
    arm();
    return () => clearTimeout(timer);
  },
};

/** A clock for tests: `advance` moves time and runs every timer that came due, in time order. */
export class ManualClock implements Clock {
  private timers: Array<{ at: number; fire: () => unknown; id: number }> = [];
  private nextId = 0;
  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  at(at: number, fire: () => unknown): () => void {
    const id = this.nextId++;
    this.timers.push({ at, fire, id });
    return () => (this.timers = this.timers.filter((t) => t.id !== id));
  }

  /** Moves to `ms` later, awaiting each due timer before looking for the next. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      await due.fire();
    }
    this.time = until;
  }

  async set(iso: string): Promise<void> {
    await this.advance(Date.parse(iso) - this.time);
  }
}

/**
 * The faults a stand-in injects on demand: each one affects the first statement matching it
 * (after letting `skip` matching statements through) and then is used up.
 */
export interface QueuedFault {
  /** A statement matching this is affected; once. */
  match: RegExp;
  /** Matching statements to let through first: `skip: 1` affects the second one. */
  skip?: number;
}

export class FaultQueue<F extends QueuedFault> {
  private readonly faults: F[] = [];

  add(fault: F): void {
    this.faults.push({ ...fault });
  }

  /** The fault for this statement, if one is due (and no longer queued). */
  take(sql: string): F | undefined {
    const i = this.faults.findIndex((f) => f.match.test(sql));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (f.skip) {
      f.skip--;
      return undefined;
    }
    return this.faults.splice(i, 1)[0];
  }
}

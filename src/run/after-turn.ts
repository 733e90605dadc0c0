/**
 * Items handled once the current turn of the event loop is done, in the order they came.
 *
 * A node's events happen in the turn that finishes its statement, and that turn goes on to
 * start the next node and send its statement: what the events print or log is then done
 * after it, while the warehouse runs that statement, instead of keeping it waiting. flush()
 * does it at once (before something else is written where order matters), and the process's
 * exit does what is left (an uncaught error ends the process before the next turn).
 */

/** Queues with items not yet handled, in the order they got their first: one setImmediate handles them all. */
const unhandled = new Set<AfterTurn<unknown>>();
let scheduled = false;
let exitHook = false;

export class AfterTurn<T> {
  private items: T[] = [];

  /**
   * @param handle does the items, in order; what it throws in a later turn goes to
   *   `onLateError` (a flush() called directly throws it to its caller).
   */
  constructor(
    private readonly handle: (items: T[]) => void,
    private readonly onLateError: (error: unknown) => void = (error) => {
      throw error;
    },
  ) {}

  push(item: T): void {
    if (!this.items.length) {
      unhandled.add(this as AfterTurn<unknown>);
      if (!scheduled) {
        scheduled = true;
        setImmediate(AfterTurn.handleAll);
      }
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => unhandled.forEach((queue) => queue.flushLate(() => undefined)));
      }
    }
    this.items.push(item);
  }

  /** Handles the items queued so far, now (nothing when none are). */
  flush(): void {
    if (!this.items.length) return;
    const items = this.items;
    this.items = [];
    unhandled.delete(this as AfterTurn<unknown>);
    this.handle(items);
  }

  private static handleAll(this: void): void {
    scheduled = false;
    for (const queue of unhandled) queue.flushLate();
  }

  /** flush() in a later turn, where nobody would see what it throws. */
  private flushLate(onError = this.onLateError): void {
    try {
      this.flush();
    } catch (error) {
      onError(error);
    }
  }
}

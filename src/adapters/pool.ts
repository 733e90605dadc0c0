/** A fixed set of connections handed out one caller at a time, in arrival order. */
export class Pool<C> {
  private readonly idle: C[] = [];
  private readonly waiting: Array<(c: C) => void> = [];

  constructor(connections: C[]) {
    this.idle.push(...connections);
  }

  async use<T>(fn: (c: C) => Promise<T>): Promise<T> {
    const c = this.idle.pop() ?? (await new Promise<C>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn(c);
    } finally {
      const next = this.waiting.shift();
      if (next) next(c);
      else this.idle.push(c);
    }
  }
}

import pLimit from 'p-limit';

/**
 * The runner's one concurrency control: `size` slots (one p-limit) shared by everything a round does at once, the
 * read-backs of the settle phase and the units of the send pass alike. A task that starts while the pool is stopped
 * (the run was aborted, or a task threw) does nothing; the first error thrown by a task stops the pool and is kept
 * for the runner to rethrow once every task in flight has finished and recorded its outcome.
 *
 * Slots are granted first come, first served: read-backs queued when the settle delay ends go before the send units
 * that come back for a slot after them.
 */
export class Pool {
  private readonly limit: ReturnType<typeof pLimit>;
  /** The first error a task threw; null while none did. */
  error: unknown = null;

  constructor(
    readonly size: number,
    private readonly signal?: AbortSignal,
  ) {
    this.limit = pLimit(size);
  }

  stopped(): boolean {
    return (this.signal?.aborted ?? false) || this.error !== null;
  }

  /** Runs `fn` on every item, each in a slot. */
  async each<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
    await Promise.all(items.map((item) => this.limit(() => this.guard(() => fn(item)))));
  }

  /**
   * Runs items taken from `next` until it has none left, each in a slot. An item is taken only when its slot starts,
   * so the source is read no faster than the pool works (it is refilled from the ledger a chunk at a time). `fn`
   * returns follow-ups, run before anything new is taken. A slot that finished an item queues again for the next, behind
   * whatever waits for a slot meanwhile. Resolves with the number of items run, once every slot has found nothing.
   */
  drain<T>(next: () => T | undefined, fn: (item: T) => Promise<T[]>): Promise<number> {
    const followUps: T[] = [];
    let taken = 0;
    let open = 0;
    return new Promise((resolve) => {
      const lane = (): void => {
        open++;
        let again = false;
        void this.limit(() =>
          this.guard(async () => {
            const item = followUps.pop() ?? next();
            if (item === undefined) return;
            taken++;
            followUps.push(...(await fn(item)));
            again = true;
          }),
        ).finally(() => {
          if (again) lane();
          if (--open === 0) resolve(taken);
        });
      };
      for (let i = 0; i < this.size; i++) lane();
    });
  }

  private async guard(fn: () => Promise<void>): Promise<void> {
    if (this.stopped()) return;
    try {
      await fn();
    } catch (err) {
      this.error ??= err;
    }
  }
}

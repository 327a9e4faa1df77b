/**
 * The retry budget: failed rounds (uncertain or failed writes, failed read-backs) a customer may have in one run.
 * A customer Rivo keeps failing is left pending with its last error once the budget is spent, instead of looping
 * forever; the next run starts with a fresh budget.
 */
export class RetryBudget {
  private readonly failures = new Map<string, number>();
  private readonly lastErrors = new Map<string, string>();
  private readonly spent = new Set<string>();
  /** Failures charged in this run, to every customer: a round that raised it had failures. */
  charged = 0;

  constructor(private readonly maxAttempts: number) {}

  /** Counts one failure; returns the customer's failures so far when this one spent the budget, else null. */
  charge(customerKey: string, error: string): number | null {
    this.charged++;
    this.lastErrors.set(customerKey, error);
    const n = (this.failures.get(customerKey) ?? 0) + 1;
    this.failures.set(customerKey, n);
    if (n >= this.maxAttempts && !this.spent.has(customerKey)) {
      this.spent.add(customerKey);
      return n;
    }
    return null;
  }

  exhausted(customerKey: string): boolean {
    return this.spent.has(customerKey);
  }

  /** The customers whose budget ran out, in the order it happened, with their last error. */
  exhaustedList(): { customerKey: string; lastError: string }[] {
    return [...this.spent].map((k) => ({ customerKey: k, lastError: this.lastErrors.get(k) ?? 'unknown' }));
  }
}

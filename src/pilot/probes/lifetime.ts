import type { Config } from '../../config/schema.js';
import { confirmed, differs, unknown, type AssumptionResult } from '../types.js';

/**
 * `lifetime_model`: how a +x / −x pair moves `lifetime_earnings_tally`. The modelled rule (`positive_only`): a credit
 * adds to lifetime, a debit leaves it alone, so the pilot's compensated pair raises the customer's lifetime by x.
 * `net`: a debit lowers lifetime too. Compared with `mapping.negativeEventsLowerLifetime`, the setting the mapper uses.
 */
export interface LifetimeObservation {
  credit: number;
  lifetimeChangeOnCredit: number;
  debit: number;
  lifetimeChangeOnDebit: number;
}

export function judgeLifetime(o: LifetimeObservation, config: Config): AssumptionResult {
  const setting = config.mapping.negativeEventsLowerLifetime;
  const observed = { ...o, model: 'unknown' as 'positive_only' | 'net' | 'unknown' };
  if (o.lifetimeChangeOnCredit !== o.credit) return unknown(observed, `mapping.negativeEventsLowerLifetime: ${setting}; verify reports lifetime differences`, 'attention');
  if (o.lifetimeChangeOnDebit === 0) {
    observed.model = 'positive_only';
    return setting
      ? differs(observed, 'set mapping.negativeEventsLowerLifetime to false: on this store a debit leaves lifetime alone', 'attention')
      : confirmed(observed, 'mapping.negativeEventsLowerLifetime: false');
  }
  if (o.lifetimeChangeOnDebit === -o.debit) {
    observed.model = 'net';
    return setting
      ? differs(observed, 'mapping.negativeEventsLowerLifetime: true (already set)', 'adapted')
      : differs(observed, 'set mapping.negativeEventsLowerLifetime to true: on this store a debit lowers lifetime', 'attention');
  }
  return unknown(observed, `mapping.negativeEventsLowerLifetime: ${setting}; verify reports lifetime differences`, 'attention');
}

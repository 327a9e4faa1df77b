import { afterEach, describe, expect, it } from 'vitest';
import { load } from '../../src/load/loader.js';
import { verify, type VerifyConfig } from '../../src/verify/verifier.js';
import { harness, population, type Harness } from '../load/harness.js';
import { asCliAsync } from '../support/exit-codes.js';

/**
 * Issue 11, item 3: `verify` reads back through the same complete listing as the loader, so a key that is in Rivo
 * twice is reported even when the copy sits pages deep in a listing capped at 7 events a page.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CONFIG: VerifyConfig = { mapping: { negativeEventsLowerLifetime: false }, rivo: { concurrency: 2, lookup: 'get' } };

describe('verify finds a duplicate beyond the first page', () => {
  for (const order of ['newest_first', 'oldest_first'] as const)
    it(`${order}, 7 a page`, async () => {
      h = await harness(population(4), { refuseNegativeBelowZero: false });
      const loaded = await asCliAsync(load({ db: h.db, config: h.config, rivo: h.rivo, migrationId: h.migrationId, roundPause: { baseDelayMs: 5, maxDelayMs: 50 } }));
      expect(loaded.exitCode).toBe(0);
      const c = h.customers[1]!;
      const original = h.sb.rivo.eventsFor(c.rivoId).find((e) => e.internal_note?.includes(':earned:'))!;
      const noise = () => {
        for (let i = 0; i < 6; i++) {
          h!.sb.rivo.createEvent({ customer_identifier: c.rivoId, source: 'manual', points_amount: 3, internal_note: 'order', skip_email: true }, new Date());
          h!.sb.rivo.createEvent({ customer_identifier: c.rivoId, source: 'manual', points_amount: -3, internal_note: 'refund', skip_email: true }, new Date());
        }
      };
      // The copy is buried under other events whichever end the listing starts from.
      noise();
      h.sb.rivo.createEvent(
        { customer_identifier: c.rivoId, source: 'manual', points_amount: original.points_diff, internal_note: original.internal_note, skip_email: true },
        new Date(),
      );
      noise();
      h.sb.rivo.behaviour.perPageCap = 7;
      h.sb.rivo.behaviour.order = order;
      const s = await asCliAsync(verify({ db: h.db, rivo: h.rivo, config: CONFIG }));
      expect(s.duplicates).toBe(1);
      expect(s.exitCode).toBe(3);
      const detail = h.db.prepare('SELECT detail FROM verify_results WHERE customer_key = ?').pluck().get(c.key) as string;
      expect(detail).toMatch(/is in Rivo 2 times: a duplicate/);
      const problems = h.db.prepare("SELECT customer_key FROM problems WHERE kind = 'duplicate_event'").pluck().all();
      expect(problems).toEqual([c.key]);
    });
});

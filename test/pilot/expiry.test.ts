import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { duplicateKeys, expectedFor, tallyDifferences } from '../e2e/expect.js';
import type { YotpoRecord } from '../../src/sandbox/index.js';
import { pilotWorld, STAFF, type PilotWorld } from './helpers.js';

/**
 * Yotpo's `points_expire_at` as `expires_at` on the migrated earn event: sent after a pilot saw Rivo keep it
 * (`mapping.expiry auto`), never on a store that refuses it (the migration stays exact), and an unreadable date is a
 * note naming the field in the plan. Dates are written out literally; Rivo's stored events are read from the sandbox.
 */

let w: PilotWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const EXPIRES = '2030-06-30T00:00:00Z';
const EXPIRES_AS_SENT = '2030-06-30T00:00:00.000Z';
const UNREADABLE = 'next spring';

interface Chosen {
  /** An earned/spent pair (lifetime above the balance), expiring on EXPIRES. */
  pair: YotpoRecord;
  /** A customer whose date is not a date. */
  bad: YotpoRecord;
}

/** Only two customers carry an expiry: everyone else's is cleared, so any other expires_at in Rivo is a bug. */
function choose(world: PilotWorld): Chosen {
  const want = expectedFor(world.sb);
  const served = world.sb.yotpo.customers();
  for (const y of served) if (y.points_expire_at !== null && y.points_expire_at !== undefined) world.sb.yotpo.update(y.email as string, { points_expire_at: null });
  const matched = served.filter((y) => y.third_party_id && want.changed.has(Number(y.third_party_id)));
  const pair = matched.find((y) => Number(y.points_earned) > Number(y.points_balance) && Number(y.points_balance) > 0)!;
  const bad = matched.find((y) => y !== pair && Number(y.points_earned) > 0)!;
  return {
    pair: world.sb.yotpo.update(pair.email as string, { points_expire_at: EXPIRES }),
    bad: world.sb.yotpo.update(bad.email as string, { points_expire_at: UNREADABLE }),
  };
}

const eventsOf = (world: PilotWorld, y: YotpoRecord) => world.sb.rivo.allEvents().filter((e) => String(e.customer_id) === y.third_party_id);
const planCsv = (world: PilotWorld) =>
  parse(readFileSync(join(world.dir, 'out', 'plan.csv'), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];

function expectExact(world: PilotWorld): void {
  expect(tallyDifferences(world.sb, expectedFor(world.sb).rivo)).toEqual([]);
  expect(duplicateKeys(world.sb.rivo.allEvents())).toEqual([]);
}

describe('expiry on a store that keeps expires_at (as modelled)', () => {
  it('after the pilot, the earn event carries Yotpo\'s date; the plan shows it; an unreadable date is a named note', async () => {
    w = await pilotWorld();
    const { pair, bad } = choose(w);
    const p = await w.cli(['pilot', '--customer', STAFF, '--json']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.json.assumptions.expires_at).toMatchObject({ status: 'confirmed', observed: { outcome: 'accepted' } });
    expect(p.json.profile.expiresAt).toBe('accepted');

    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expectExact(w);

    const events = eventsOf(w, pair);
    const earned = events.find((e) => /:earned:0\]/.test(e.internal_note ?? ''))!;
    const spent = events.find((e) => /:spent:0\]/.test(e.internal_note ?? ''))!;
    expect(earned.points_diff).toBe(Number(pair.points_earned));
    expect(earned.expires_at).toBe(EXPIRES_AS_SENT);
    expect(spent.expires_at).toBeNull();
    // Nobody else's migrated event carries a date (the pilot's own probe aside).
    const dated = w.sb.rivo.allEvents().filter((e) => e.expires_at !== null && String(e.customer_id) !== w!.staffId);
    expect(dated.map((e) => e.internal_note)).toEqual([earned.internal_note]);
    expect(eventsOf(w, bad).every((e) => e.expires_at === null)).toBe(true);

    const rows = planCsv(w);
    const pairRow = rows.find((r) => r.third_party_id === pair.third_party_id)!;
    expect(pairRow.yotpo_points_expire_at).toBe(EXPIRES_AS_SENT);
    expect(pairRow.expires_at_sent).toBe(EXPIRES_AS_SENT);
    const badRow = rows.find((r) => r.third_party_id === bad.third_party_id)!;
    expect(badRow.yotpo_points_expire_at).toBe(UNREADABLE);
    expect(badRow.expires_at_sent).toBe('');
    expect(badRow.reason).toContain('points_expire_at "next spring" is not a date: no expiry carried for this customer');

    const html = readFileSync(join(w.dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain('<h2>Expiry dates</h2>');
    expect(html).toContain('1 migrated earn event(s) carry the date as <code>expires_at</code> (2030-06-30 to 2030-06-30); 1 confirmed in Rivo.');
    expect(html).toContain('1 customer(s) have a <code>points_expire_at</code> that is not a date');

    const shown = await w.cli(['show', pair.email as string]);
    expect(shown.stdout).toContain(`points expire ${EXPIRES_AS_SENT}`);
    expect(shown.stdout).toMatch(new RegExp(`points/earned gen 0 .*expires_at ${EXPIRES_AS_SENT.replace(/\./g, '\\.')}`));
  });

  it('without a pilot, auto sends no date (nothing confirmed), and the migration is exact', async () => {
    w = await pilotWorld();
    const { pair } = choose(w);
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expectExact(w);
    expect(w.sb.rivo.allEvents().filter((e) => e.expires_at !== null)).toEqual([]);
    expect(planCsv(w).find((r) => r.third_party_id === pair.third_party_id)!.yotpo_points_expire_at).toBe(EXPIRES_AS_SENT);
  });
});

describe('expiry on a store that refuses expires_at', () => {
  it('the pilot sees it refused; auto sends no date and the migration is exact', async () => {
    w = await pilotWorld({ expiresAtRefused: true } as never);
    const { pair } = choose(w);
    const p = await w.cli(['pilot', '--customer', STAFF, '--json']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.json.assumptions.expires_at).toMatchObject({ status: 'differs', consequence: 'adapted', observed: { outcome: 'refused' } });
    expect(p.json.profile.expiresAt).toBe('refused');

    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expectExact(w);
    expect(w.sb.rivo.allEvents().filter((e) => e.expires_at !== null)).toEqual([]);
    expect(eventsOf(w, pair).find((e) => /:earned:0\]/.test(e.internal_note ?? ''))!.points_diff).toBe(Number(pair.points_earned));
    expect(planCsv(w).find((r) => r.third_party_id === pair.third_party_id)!.expires_at_sent).toBe('');
  });

  it('mapping.expiry send is the merchant\'s to fix: the pilot asks, and a forced date is refused, never half-applied', async () => {
    w = await pilotWorld({ expiresAtRefused: true } as never, { mapping: { expiry: 'send' } });
    const { pair } = choose(w);
    const target = expectedFor(w.sb).rivo.get(Number(pair.third_party_id))!;
    const before = w.sb.rivo.customer(Number(pair.third_party_id))!.points_tally;
    const p = await w.cli(['pilot', '--customer', STAFF, '--json']);
    expect(p.code, p.stderr).toBe(3);
    expect(p.json.assumptions.expires_at).toMatchObject({ status: 'differs', consequence: 'attention', observed: { outcome: 'refused' } });
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(3);
    // Its earn event was refused: the customer is held, never above the target.
    const after = w.sb.rivo.customer(Number(pair.third_party_id))!.points_tally;
    expect(after).toBeLessThanOrEqual(target.points);
    expect([before, target.points]).toContain(after);
    expect(duplicateKeys(w.sb.rivo.allEvents())).toEqual([]);
  });
});

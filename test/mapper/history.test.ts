import { describe, expect, it } from 'vitest';
import type { HistoryItem } from '../../src/history/items.js';
import type { HistoryInput } from '../../src/mapper/history.js';
import { parseKey, parseKeysFromNote } from '../../src/mapper/keys.js';
import { planCustomer } from '../../src/mapper/rules.js';
import { aCustomer, aMapping, aPlanInput, aRivoCustomer, applyToRivo, migratedSoFar, NOW, TIERS } from './builders.js';

/** History replay in the mapper: which events, which dates and notes, and totals equal to the balance-only plan. */

let n = 0;
function item(points: number, status: string, at: string, action = points > 0 ? 'Made a purchase' : 'Redeemed a reward'): HistoryItem {
  return { idx: n++, createdAt: at, date: at.slice(0, 10), action, actionName: null, points, status, completedAt: null, rawJson: '{}' };
}
function found(...items: HistoryItem[]): HistoryInput {
  return { status: 'found', reason: null, items };
}
function reset(): void {
  n = 0;
}

const withHistory = aMapping({ history: true });
const john = (over = {}) => aCustomer({ key: 'john@example.com', pointsBalance: 455, pointsEarned: 850, ...over });

describe('history replay: the plan', () => {
  it('replays approved items as backdated events with Yotpo\'s words and its own keys, in date order, with no balancing when the history explains all', () => {
    reset();
    const history = found(
      item(200, 'Approved', '2016-06-28T18:41:13.000Z', 'Create an Account'),
      item(-250, 'FIVEOFF-XYZ', '2016-08-28T18:41:13.000Z', '$5 Coupon'),
      item(650, 'Approved', '2016-07-01T10:00:00.000Z'),
      item(-145, 'Expired', '2017-01-01T00:00:00.000Z', 'Points expired'),
      item(30, 'Pending', '2017-02-01T00:00:00.000Z'),
    );
    const plan = planCustomer(aPlanInput({ customer: john(), mapping: withHistory, history }));
    const points = plan.events.filter((e) => e.kind === 'points');
    expect(points.map((e) => [e.role, e.pointsAmount, e.appliedAt, e.externalNote])).toEqual([
      ['history', 200, '2016-06-28T18:41:13.000Z', 'Create an Account'],
      ['history', 650, '2016-07-01T10:00:00.000Z', 'Made a purchase'],
      ['history', -250, '2016-08-28T18:41:13.000Z', '$5 Coupon'],
      ['history', -145, '2017-01-01T00:00:00.000Z', 'Points expired'],
    ]);
    // Each item's key carries its index in Yotpo's list, and parses back as a history key.
    expect(points.map((e) => parseKey(e.key)!.generation)).toEqual([0, 2, 1, 3]);
    expect(points.every((e) => parseKey(e.key)!.role === 'history' && e.generation === 0 && e.internalNote === `Migrated from Yotpo [${e.key}]`)).toBe(true);
    expect(new Set(plan.events.map((e) => e.key)).size).toBe(plan.events.length);
    expect(plan.history).toBe('replayed (4 events)');
    expect(plan.notes).toContain('history: not replayed, as Yotpo does not count them yet: item 4 +30 "Pending"');
    // Rivo had 100 points, 40 lifetime: it ends at 100 + 455 and 40 + 850, as without history.
    const after = applyToRivo(aRivoCustomer({ pointsTally: 100, lifetimeTally: 40 }), plan.events, TIERS);
    expect([after.pointsTally, after.lifetimeTally]).toEqual([555, 890]);
    expect(plan.predicted).toMatchObject({ pointsTally: 455, lifetimeTally: 850 });
  });

  it('adds a balancing earn for earnings the history lacks and a balancing spend for the rest, dated like the balance-only events', () => {
    reset();
    // Yotpo: B 455, L 850. History: +300 earned, -100 spent. Earn 550 more (lifetime 850), spend 295 more (points 455).
    const history = found(item(300, 'Approved', '2023-03-01T00:00:00.000Z'), item(-100, 'CODE-1', '2023-04-01T00:00:00.000Z'));
    const plan = planCustomer(aPlanInput({ customer: john({ creditCents: 1250 }), mapping: withHistory, history }));
    expect(plan.events.filter((e) => e.kind === 'points').map((e) => [e.role, e.pointsAmount, e.creditsCents, e.appliedAt])).toEqual([
      ['history', 300, 0, '2023-03-01T00:00:00.000Z'],
      ['history', -100, 0, '2023-04-01T00:00:00.000Z'],
      ['earned', 550, 0, NOW],
      ['spent', -295, 0, NOW],
      ['credit', 0, 1250, NOW],
    ]);
    expect(plan.history).toBe('replayed (2 events + 2 balancing)');
    const after = applyToRivo(aRivoCustomer({ pointsTally: 7, lifetimeTally: null, creditsCents: 100 }), plan.events, TIERS);
    expect([after.pointsTally, after.lifetimeTally, after.creditsCents]).toEqual([462, 850, 1350]);
  });

  it.each([
    ['earnings above the lifetime Yotpo reports', [item(900, 'Approved', '2023-01-01T00:00:00Z')], /^fallback: its earnings \(900\) exceed the lifetime to carry \(850\)/],
    [
      'a history that spends more than it leaves',
      [item(850, 'Approved', '2023-01-01T00:00:00Z'), item(-500, 'CODE', '2023-02-01T00:00:00Z')],
      /^fallback: the history does not add up: its earnings and the lifetime to carry \(850\) less what it spent \(500\) is below the 455 points to carry$/,
    ],
    [
      'a pending item that matters',
      [item(850, 'Approved', '2023-01-01T00:00:00Z'), item(-435, 'CODE', '2023-02-01T00:00:00Z'), item(40, 'Pending', '2023-03-01T00:00:00Z')],
      /^fallback: items not approved \(item \d+ \+40 "Pending"\) and the approved ones add up to 415, not the balance 455/,
    ],
    ['no approved item', [item(100, 'Pending', '2023-01-01T00:00:00Z')], /^fallback: the history has no approved items to replay$/],
  ] as const)('falls back to the balance-only events, with the reason: %s', (_name, items, reason) => {
    const plan = planCustomer(aPlanInput({ customer: john(), mapping: withHistory, history: found(...items) }));
    expect(plan.history).toMatch(reason);
    expect(plan.events.filter((e) => e.kind === 'points').map((e) => [e.role, e.pointsAmount])).toEqual([
      ['earned', 850],
      ['spent', -395],
    ]);
    expect(plan.notes.some((x) => x.startsWith('history not replayed (balance-only events instead): '))).toBe(true);
  });

  it.each([
    [{ status: 'not_found', reason: 'Yotpo answered 404 (no loyalty profile) for the history lookup', items: [] }, 'fallback: no history: Yotpo answered 404 (no loyalty profile) for the history lookup'],
    [{ status: 'failed', reason: 'the history lookup failed: HTTP 503', items: [] }, 'fallback: the history lookup failed: HTTP 503'],
    [
      { status: 'unreadable', reason: 'customer j: history item 1: points "ten" is not a whole number\ncustomer j: history item 2: status is missing', items: [] },
      'fallback: history unreadable: customer j: history item 1: points "ten" is not a whole number (and 1 more problems)',
    ],
  ] as const)('falls back when the lookup gave no usable history (%#)', (history, status) => {
    const plan = planCustomer(aPlanInput({ customer: john(), mapping: withHistory, history: { ...history, items: [] } }));
    expect(plan.history).toBe(status);
    expect(plan.events.map((e) => [e.role, e.pointsAmount])).toEqual([
      ['earned', 850],
      ['spent', -395],
    ]);
  });

  it('never replays once something was posted: a delta is the difference only, and says nothing about history', () => {
    reset();
    const history = found(item(850, 'Approved', '2023-01-01T00:00:00Z'), item(-395, 'CODE', '2023-02-01T00:00:00Z'));
    // Posted before: the replay (net 455, lifetime 850, generation 0). Yotpo now: B 500, L 895.
    const plan = planCustomer(
      aPlanInput({ customer: john({ pointsBalance: 500, pointsEarned: 895 }), mapping: withHistory, history, migrated: migratedSoFar({ net: 455, earned: 850, generations: 0 }) }),
    );
    expect(plan.events.map((e) => [e.role, e.pointsAmount, e.generation])).toEqual([['earned', 45, 1]]);
    expect(plan.history).toBeUndefined();
  });

  it('under negativeEventsLowerLifetime, one balancing event keeps points and lifetime where the balance-only plan puts them', () => {
    reset();
    const history = found(item(300, 'Approved', '2023-01-01T00:00:00Z'), item(-100, 'CODE', '2023-02-01T00:00:00Z'));
    const plan = planCustomer(aPlanInput({ customer: john(), mapping: aMapping({ history: true, negativeEventsLowerLifetime: true }), history }));
    expect(plan.events.map((e) => [e.role, e.pointsAmount])).toEqual([
      ['history', 300],
      ['history', -100],
      ['balance', 255],
    ]);
    const after = applyToRivo(aRivoCustomer({ pointsTally: 0, lifetimeTally: 0 }), plan.events, TIERS, true);
    expect([after.pointsTally, after.lifetimeTally]).toEqual([455, 455]);
  });

  it('in set mode replays and balances down to B', () => {
    reset();
    const history = found(item(850, 'Approved', '2023-01-01T00:00:00Z'), item(-395, 'CODE', '2023-02-01T00:00:00Z'));
    const plan = planCustomer(aPlanInput({ customer: john(), rivo: aRivoCustomer({ pointsTally: 100, lifetimeTally: 100 }), mapping: aMapping({ history: true, mode: 'set' }), history }));
    expect(plan.events.map((e) => [e.role, e.pointsAmount])).toEqual([
      ['history', 850],
      ['history', -395],
      ['spent', -100],
    ]);
    const after = applyToRivo(aRivoCustomer({ pointsTally: 100, lifetimeTally: 100 }), plan.events, TIERS);
    expect([after.pointsTally, after.lifetimeTally]).toEqual([455, 950]);
  });

  it('with history off, nothing changes and no status is given', () => {
    const plan = planCustomer(aPlanInput({ customer: john() }));
    expect(plan.events.map((e) => [e.role, e.pointsAmount])).toEqual([
      ['earned', 850],
      ['spent', -395],
    ]);
    expect(plan.history).toBeUndefined();
  });
});

describe('history keys in Rivo notes', () => {
  it('are found in a note (admin prefix and all) and parse back as history keys, which read-back, scan and adopt rely on', () => {
    reset();
    const plan = planCustomer(aPlanInput({ customer: john(), mapping: withHistory, history: found(item(850, 'Approved', '2023-01-01T00:00:00Z'), item(-395, 'CODE', '2023-02-01T00:00:00Z')) }));
    const [first, second] = plan.events;
    const note = `ops@shop.example: ${first!.internalNote}`;
    expect(parseKeysFromNote(note)).toEqual([first!.key]);
    expect(parseKey(first!.key)).toMatchObject({ migrationId: 'm1', role: 'history', generation: 0 });
    expect(parseKey(second!.key)).toMatchObject({ role: 'history', generation: 1 });
    // `…:history:1` never matches inside `…:history:10`'s bracket.
    expect(parseKeysFromNote(`x [${second!.key}0]`)).toEqual([`${second!.key}0`]);
  });
});

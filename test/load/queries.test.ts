import { afterEach, describe, expect, it } from 'vitest';
import { markDone } from '../../src/ledger/events.js';
import type { EventRow } from '../../src/ledger/types.js';
import { updatesOf } from '../../src/load/policy/pack.js';
import { isSendable, onlyPlanned, plannedEvents, pointsSettledDone, scopeCounts, type Scope } from '../../src/load/queries.js';
import { etaSeconds, ProgressMeter, type LoadProgress } from '../../src/load/progress.js';
import { harness, plannedEvent, population, type Harness } from './harness.js';
import { replacePlan } from '../../src/ledger/events.js';

const scope: Scope = { maxSeq: 1_000_000, roles: 'all', customerStates: ['pending'] };
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const setStatus = (db: Harness['db'], key: string, status: string) => db.prepare('UPDATE events SET status = ? WHERE key = ?').run(status, key);

/** What the runner decided before `onlyPlanned`: the three queries, and the updates they give to send. */
function threeQueries(db: Harness['db'], s: Scope, customerKey: string, keys: string[]): boolean {
  if (!isSendable(db, s, customerKey) || !pointsSettledDone(db, customerKey, s)) return false;
  const updates = updatesOf(plannedEvents(db, s, customerKey)).map((e) => e.key);
  return updates.length === keys.length && updates.every((k, i) => k === keys[i]);
}

describe('onlyPlanned: the one query that stands for isSendable + pointsSettledDone + plannedEvents after points land', () => {
  it('agrees with the three queries in every state a customer can be in when its points answer arrives', async () => {
    h = await harness([{ points: 0, balance: 100, lifetimeEarned: 150, setTier: '9002', setDob: '1990-01-02' }]);
    const { db } = h;
    const c = h.customers[0]!;
    const [earned, spent, tier, dob] = c.events.map((e) => e.key) as [string, string, string, string];
    // In sending order, as the unit carries them.
    const updates = updatesOf(plannedEvents(db, scope, c.key)).map((e) => e.key);
    expect([...updates].sort()).toEqual([tier, dob].sort());
    const cases: [string, () => void, string[], Scope, boolean][] = [
      ['points planned: not yet', () => undefined, updates, scope, false],
      ['one points event landed, the other still planned', () => setStatus(db, earned, 'done'), updates, scope, false],
      ['every points event landed: the updates follow', () => setStatus(db, spent, 'done'), updates, scope, true],
      ['a carried update missing from the keys', () => undefined, [tier], scope, false],
      ['the customer turned invalid meanwhile (a changed Yotpo record)', () => db.prepare("UPDATE customers SET state = 'invalid' WHERE key = ?").run(c.key), updates, scope, false],
      ['back to pending', () => db.prepare("UPDATE customers SET state = 'pending' WHERE key = ?").run(c.key), updates, scope, true],
      ['outside the pilot window', () => undefined, updates, { ...scope, maxSeq: 0 }, false],
      ['any state allowed (rollback scope states)', () => undefined, updates, { ...scope, customerStates: 'any' }, true],
      ['one update uncertain', () => setStatus(db, dob, 'uncertain'), updates, scope, false],
      ['one update refused', () => setStatus(db, dob, 'rejected'), updates, scope, false],
      ['one update in flight', () => setStatus(db, dob, 'in_flight'), updates, scope, false],
      ['one update done: only the other is open', () => setStatus(db, dob, 'done'), [tier], scope, true],
      ['a points event planned again (read-back proved it absent)', () => setStatus(db, spent, 'planned'), [tier], scope, false],
    ];
    for (const [name, arrange, keys, s, expected] of cases) {
      arrange();
      expect({ name, onlyPlanned: onlyPlanned(db, s, c.key, keys) }).toEqual({ name, onlyPlanned: expected });
      expect({ name, threeQueries: threeQueries(db, s, c.key, keys) }).toEqual({ name, threeQueries: expected });
    }
  });
});

describe('plannedEvents', () => {
  it('gives the order of the old ORDER BY: additions before subtractions, then generation, then key (SQLite BINARY)', async () => {
    h = await harness([{ points: 0, balance: 1 }]);
    const { db, migrationId } = h;
    const c = h.customers[0]!;
    const events = [
      plannedEvent(migrationId, c.key, 'spent', 0, { pointsAmount: -5 }),
      plannedEvent(migrationId, c.key, 'earned', 1, { pointsAmount: 7 }),
      plannedEvent(migrationId, c.key, 'credit', 0, { creditsCents: -300 }),
      plannedEvent(migrationId, c.key, 'credit', 1, { creditsCents: 250 }),
      plannedEvent(migrationId, c.key, 'earned', 0, { pointsAmount: 9 }),
      plannedEvent(migrationId, c.key, 'tier', 0, { kind: 'tier', value: '9001' }),
      plannedEvent(migrationId, c.key, 'birthday', 1, { kind: 'birthday', value: '1990-01-02' }),
    ];
    replacePlan(db, c.key, c.rivoId, events, 'hash-x', []);
    const bySql = db
      .prepare("SELECT key FROM events e WHERE e.customer_key = ? AND e.status = 'planned' ORDER BY (e.points_amount < 0 OR e.credits_cents < 0), e.generation, e.key")
      .pluck()
      .all(c.key);
    expect(plannedEvents(db, scope, c.key).map((e: EventRow) => e.key)).toEqual(bySql);
    expect(bySql).toHaveLength(7);
  });
});

describe('markDone with the customer named by the caller', () => {
  it('marks the event done and refreshes that customer as when the ledger names it', async () => {
    h = await harness([{ points: 0, balance: 100 }]);
    const { db } = h;
    const c = h.customers[0]!;
    const key = c.events[0]!.key;
    setStatus(db, key, 'in_flight');
    markDone(db, [{ key, rivoEventId: 'rv-1', customerKey: c.key }]);
    expect(db.prepare('SELECT status, rivo_event_id FROM events WHERE key = ?').get(key)).toEqual({ status: 'done', rivo_event_id: 'rv-1' });
    expect(db.prepare('SELECT state FROM customers WHERE key = ?').pluck().get(c.key)).toBe('migrated');
  });
});

describe('progress between forced reports: open events against the totals of the last exact count', () => {
  it('gives the numbers scopeCounts gives, in every mix of statuses a load pass goes through', async () => {
    h = await harness(population(12));
    const { db } = h;
    const unbounded: Scope = { maxSeq: Number.MAX_SAFE_INTEGER, roles: 'all', customerStates: ['pending'] };
    const reports: LoadProgress[] = [];
    const meter = new ProgressMeter({ db, rivo: h.rivo, scope: unbounded, perRequest: 10, rps: 100, everyMs: 0, onProgress: (p) => reports.push(p) });
    meter.report('start', 1, true);
    const keys = h.customers.flatMap((c) => c.events.map((e) => e.key));
    expect(keys.length).toBeGreaterThan(20);
    const steps: [string, string[]][] = [
      ['in_flight', keys.slice(0, 6)],
      ['done', keys.slice(0, 4)],
      ['uncertain', keys.slice(4, 6)],
      ['rejected', keys.slice(6, 8)],
      ['done', keys.slice(8, 15)],
      ['done', keys.slice(15)],
    ];
    for (const [status, ks] of steps) {
      for (const k of ks) setStatus(db, k, status);
      meter.report('send', 1);
      const exact = scopeCounts(db, unbounded);
      const got = reports.at(-1)!;
      expect({ status, ...pick(got) }).toEqual({ status, ...pick(exact) });
      expect(got.etaSeconds).toBe(etaSeconds(exact, 10, 100));
    }
  });
});

function pick(c: Pick<LoadProgress, 'eventsDone' | 'eventsTotal' | 'eventsUncertain' | 'eventsRejected' | 'customersDone' | 'customersTotal'>) {
  return {
    eventsDone: c.eventsDone,
    eventsTotal: c.eventsTotal,
    eventsUncertain: c.eventsUncertain,
    eventsRejected: c.eventsRejected,
    customersDone: c.customersDone,
    customersTotal: c.customersTotal,
  };
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/open.js';
import { awardKey, awardsAwaitingReplan, markAwarded, markAwardInFlight, markAwardUncertain } from '../../src/ledger/awards.js';
import { getCustomer, recordExtractedPage } from '../../src/ledger/customers.js';
import { postedEvents, replacePlan } from '../../src/ledger/events.js';
import { hasUnsettledEvents } from '../../src/ledger/plan.js';
import { foldEvents } from '../../src/mapper/migrated.js';
import { eventKey, noteWithKey } from '../../src/mapper/keys.js';
import { anExtractedRecord } from '../support/records.js';

/**
 * The awards ledger on a real SQLite file: an award counted cancels the customer's unsent plan in the same
 * transaction (a crash before the re-plan cannot send the full earn next to the award), the counted points fold into
 * "migrated so far" without moving the generation, and an uncertain award holds the customer's re-plan.
 */

let db: Db;
beforeEach(() => {
  db = openDb(join(mkdtempSync(join(tmpdir(), 'y2r-awards-')), 'm.sqlite'));
  recordExtractedPage(db, [anExtractedRecord('ann', { pointsBalance: 500, pointsEarned: 800 })], { source: 'api:all', next: null, done: true });
  const earned = eventKey({ migrationName: 'm', migrationId: 'mid', customerKey: 'ann', role: 'earned', generation: 0 });
  replacePlan(db, 'ann', '42', [{ key: earned, kind: 'points', role: 'earned', generation: 0, pointsAmount: 800, creditsCents: 0, value: null, appliedAt: null, internalNote: noteWithKey('x', earned), externalNote: null }], 'h', []);
});
afterEach(() => db.close());

const ids = { key: awardKey('m', 'mid', 'ann', 'rule_signup'), customerKey: 'ann', rivoId: '42', action: 'Create an Account', ruleId: 'rule_signup' };

describe('awards ledger', () => {
  it('an award counted: the stale plan is cancelled with it, the points fold in at generation -1, the customer awaits a re-plan', () => {
    markAwardInFlight(db, ids);
    expect(hasUnsettledEvents(db, 'ann')).toBe(true);
    markAwarded(db, ids.key, 150, 'ev1', 'award');
    expect(hasUnsettledEvents(db, 'ann')).toBe(false);
    const statuses = db.prepare('SELECT role, status, points_amount, generation FROM events ORDER BY role').all();
    expect(statuses).toEqual([
      { role: 'award', status: 'done', points_amount: 150, generation: -1 },
      { role: 'earned', status: 'cancelled', points_amount: 800, generation: 0 },
    ]);
    expect(getCustomer(db, 'ann')).toMatchObject({ state: 'pending', planned_hash: null });
    expect(awardsAwaitingReplan(db, 10)).toBe(1);
    expect(foldEvents(postedEvents(db, 'ann'), { negativeEventsLowerLifetime: false })).toEqual({
      earned: 150,
      net: 150,
      creditsCents: 0,
      tierSet: null,
      dobSet: null,
      generations: -1,
      awardPoints: 150,
    });
  });

  it('an award is never sent twice from the ledger: only an uncertain (or skipped) one may go again', () => {
    markAwardInFlight(db, ids);
    expect(() => markAwardInFlight(db, ids)).toThrow(/in_flight; refusing to send it again/);
    markAwardUncertain(db, ids.key, 'timeout');
    markAwardInFlight(db, ids);
    markAwarded(db, ids.key, 150, null, 'award');
    expect(() => markAwardInFlight(db, ids)).toThrow(/awarded; refusing/);
    expect(() => markAwarded(db, ids.key, 150, null, 'award')).toThrow(/cannot be awarded again/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRole, PlannedEvent, RivoCustomerSnapshot } from '../../src/domain.js';
import { migrationId, openDb, type Db } from '../../src/db/open.js';
import { recordExtractedPage, recordPlanTargets, recordProblem, recordRivoMatch, setCustomerState, type PlanTargets } from '../../src/ledger/customers.js';
import { markDone, markInFlight, markRejected, markUncertain, replacePlan } from '../../src/ledger/events.js';
import type { ExtractedRecord } from '../../src/ledger/types.js';
import { anExtractedRecord } from '../support/records.js';

const made: string[] = [];
/** A fresh temp directory, removed by `removeTmp` (the large-ledger tests write hundreds of MB). */
export const tmp = (prefix = 'y2r-rep-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
export function removeTmp(): void {
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
}

export function record(key: string, v: Partial<ExtractedRecord> = {}): ExtractedRecord {
  return anExtractedRecord(key, { firstName: 'First', lastName: 'Last', rawJson: JSON.stringify({ key }), ...v });
}

export function rivo(id: string, v: Partial<RivoCustomerSnapshot> = {}): RivoCustomerSnapshot {
  return { id, email: null, pointsTally: 0, lifetimeTally: 0, creditsCents: 0, tierId: null, tierName: null, dob: null, loyaltyStatus: 'member', ...v };
}

export function event(customerKey: string, role: EventRole, points: number, credits = 0, generation = 0): PlannedEvent {
  const key = `y2r:test:${customerKey}:${role}:${generation}`;
  const kind = role === 'tier' ? 'tier' : role === 'birthday' ? 'birthday' : 'points';
  return {
    key,
    kind,
    role,
    generation,
    pointsAmount: points,
    creditsCents: credits,
    value: kind === 'tier' ? 'tier-gold' : null,
    appliedAt: null,
    internalNote: `Migrated from Yotpo [${key}]`,
    externalNote: null,
  };
}

export function targets(t: Partial<PlanTargets> & { targetPoints: number }): PlanTargets {
  return {
    targetLifetime: 0,
    targetCredits: 0,
    predictedPoints: t.targetPoints,
    predictedLifetime: null,
    predictedCredits: 0,
    predictedTier: null,
    predictedDob: null,
    ...t,
  };
}

export const HYPERLINK = '=HYPERLINK("http://evil.example/x","click me")';
export const SCRIPT_NAME = '<script>alert(1)</script>';
export const UNICODE_FIRST = 'Zoë Ångström';
export const UNICODE_LAST = '山田太郎 👩‍💻';
export const UNMAPPED_NOTE = 'tier "Silver" not set: Rivo has no tier of that name; add it to mapping.tierMap';

/**
 * One customer in every state, and the edge cases a report must survive. Hand-computed expectations are in EXPECTED.
 */
export function buildFixture(dir = tmp()): { db: Db; dir: string; migrationId: string; path: string } {
  const path = join(dir, 'migration.sqlite');
  const db = openDb(path);
  const recs = [
    record('c-mig', { email: 'alice@example.com', firstName: 'Alice', lastName: 'Smith', pointsBalance: 300, pointsEarned: 500, creditCents: 1250, tierName: 'Gold', birthdayMonth: 2, birthDay: 29, thirdPartyId: '1001' }),
    record('c-pend', { email: 'bob@example.com', firstName: 'Bob', lastName: 'Jones', pointsBalance: 1000, pointsEarned: 1000, tierName: 'Silver' }),
    record('c-flight', { pointsBalance: 50, pointsEarned: 50, creditCents: 500 }),
    record('c-none', { pointsBalance: 0, pointsEarned: 0 }),
    record('c-unm', { email: 'zoe@example.org', firstName: UNICODE_FIRST, lastName: UNICODE_LAST, pointsBalance: 700, pointsEarned: 900, creditCents: 200, tierName: 'Gold' }),
    record('c-conf-a', { email: 'dup@example.com', pointsBalance: 120, pointsEarned: 120 }),
    record('c-conf-b', { email: 'DUP@example.com ', pointsBalance: 80, pointsEarned: 80 }),
    record('c-rej', { pointsBalance: 400, pointsEarned: 400 }),
    record('c-inv', { pointsBalance: null, pointsEarned: null, creditCents: null, invalidReason: 'points_balance "abc" is not a number' }),
    record('c-hyper', { email: 'hyper@example.com', firstName: HYPERLINK, lastName: '@SUM(A1:A9)', pointsBalance: 25, pointsEarned: 25 }),
    record('c-script', { email: 'mallory@example.com', firstName: SCRIPT_NAME, lastName: 'Evil "quoted" & <b>bold</b>', pointsBalance: 10, pointsEarned: 10 }),
    record('c-set', { pointsBalance: 200, pointsEarned: 200 }),
    record('c-rb', { pointsBalance: 100, pointsEarned: 100 }),
    record('c-held', { pointsBalance: 60, pointsEarned: 60 }),
  ];
  recordExtractedPage(db, recs, { source: 'api:recent', next: null, done: true });

  // migrated: lifetime strategy, earned +500, spent -200, credit +12.50, tier; all done.
  recordRivoMatch(db, 'c-mig', rivo('r-mig', { pointsTally: 100, lifetimeTally: 100 }));
  replacePlan(db, 'c-mig', 'r-mig', [event('c-mig', 'earned', 500), event('c-mig', 'spent', -200), event('c-mig', 'credit', 0, 1250), event('c-mig', 'tier', 0)], 'h-c-mig-300', []);
  recordPlanTargets(db, 'c-mig', targets({ targetPoints: 300, targetLifetime: 500, targetCredits: 1250, predictedPoints: 400, predictedLifetime: 600, predictedCredits: 1250, predictedTier: 'Gold', predictedDob: '2000-02-29' }));
  sendAll(db, 'c-mig', 'b1');

  // pending, nothing sent; the tier has no Rivo tier.
  recordRivoMatch(db, 'c-pend', rivo('r-pend'));
  replacePlan(db, 'c-pend', 'r-pend', [event('c-pend', 'earned', 1000)], 'h-c-pend-1000', [UNMAPPED_NOTE]);
  recordPlanTargets(db, 'c-pend', targets({ targetPoints: 1000, targetLifetime: 1000, predictedLifetime: 1000 }));

  // pending: points in flight, credit uncertain.
  recordRivoMatch(db, 'c-flight', rivo('r-flight'));
  replacePlan(db, 'c-flight', 'r-flight', [event('c-flight', 'earned', 50), event('c-flight', 'credit', 0, 500)], 'h', []);
  recordPlanTargets(db, 'c-flight', targets({ targetPoints: 50, targetLifetime: 50, targetCredits: 500, predictedCredits: 500 }));
  markInFlight(db, ['y2r:test:c-flight:earned:0', 'y2r:test:c-flight:credit:0'], 'b2');
  markUncertain(db, ['y2r:test:c-flight:credit:0'], 'timeout');

  // nothing to migrate.
  recordRivoMatch(db, 'c-none', rivo('r-none'));
  replacePlan(db, 'c-none', 'r-none', [], 'h', []);
  recordPlanTargets(db, 'c-none', targets({ targetPoints: 0 }));

  // unmatched (the reason quotes an email: redaction must reach it), conflict pair.
  setCustomerState(db, 'c-unm', 'unmatched', 'no Rivo customer with email zoe@example.org');
  setCustomerState(db, 'c-script', 'unmatched', 'no Rivo customer with email mallory@example.com');
  setCustomerState(db, 'c-conf-a', 'conflict', 'same Rivo customer r-dup as c-conf-b');
  setCustomerState(db, 'c-conf-b', 'conflict', 'same Rivo customer r-dup as c-conf-a');

  // rejected by Rivo.
  recordRivoMatch(db, 'c-rej', rivo('r-rej'));
  replacePlan(db, 'c-rej', 'r-rej', [event('c-rej', 'earned', 400)], 'h', []);
  recordPlanTargets(db, 'c-rej', targets({ targetPoints: 400, targetLifetime: 400 }));
  markInFlight(db, ['y2r:test:c-rej:earned:0'], 'b3');
  markRejected(db, ['y2r:test:c-rej:earned:0'], '422 customer is blocked');

  // set mode: Rivo had 500, Yotpo 200: one -300 event, done.
  recordRivoMatch(db, 'c-set', rivo('r-set', { pointsTally: 500, lifetimeTally: 800 }));
  replacePlan(db, 'c-set', 'r-set', [event('c-set', 'balance', -300)], 'h', ['mode set: Rivo balance 500 lowered to 200']);
  recordPlanTargets(db, 'c-set', targets({ targetPoints: -300, predictedPoints: 200, predictedLifetime: 800 }));
  sendAll(db, 'c-set', 'b4');

  // migrated, then rolled back (compensation done).
  recordRivoMatch(db, 'c-rb', rivo('r-rb'));
  replacePlan(db, 'c-rb', 'r-rb', [event('c-rb', 'earned', 100)], 'h', []);
  recordPlanTargets(db, 'c-rb', targets({ targetPoints: 100, targetLifetime: 100, predictedLifetime: 100 }));
  sendAll(db, 'c-rb', 'b5');
  replacePlan(db, 'c-rb', 'r-rb', [event('c-rb', 'rollback', -100)], 'h', []);
  sendAll(db, 'c-rb', 'b6');

  // planned, then held as a conflict before anything was sent: its events are cancelled, its target is stale.
  recordRivoMatch(db, 'c-held', rivo('r-dup2'));
  replacePlan(db, 'c-held', 'r-dup2', [event('c-held', 'earned', 60)], 'h', []);
  recordPlanTargets(db, 'c-held', targets({ targetPoints: 60, targetLifetime: 60 }));
  replacePlan(db, 'c-held', 'r-dup2', [], 'h', []);
  setCustomerState(db, 'c-held', 'conflict', 'same Rivo customer r-dup2 as another record');

  recordProblem(db, { customerKey: 'c-mig', eventKey: 'y2r:test:c-mig:earned:0', kind: 'duplicate', detail: 'key found twice in Rivo for alice@example.com' });
  recordProblem(db, { customerKey: null, kind: 'tier_not_restorable', detail: 'tier <b>Gold</b> could not be restored' });

  return { db, dir, migrationId: migrationId(db), path };
}

/** Sends every planned event of a customer and confirms it. */
export function sendAll(db: Db, customerKey: string, batch: string): void {
  const keys = db.prepare("SELECT key FROM events WHERE customer_key = ? AND status = 'planned'").pluck().all(customerKey) as string[];
  markInFlight(db, keys, batch);
  markDone(db, keys.map((key) => ({ key })));
}

/** What the fixture implies, computed by hand from the values above. */
export const EXPECTED = {
  customers: 14,
  states: { pending: 3, migrated: 3, nothing_to_migrate: 1, unmatched: 2, conflict: 3, rejected: 1, invalid: 1 },
  points: {
    // targets: mig 300, pend 1000, flight 50, none 0, rej 400, set -300, rb 100;
    // Yotpo balance: unm 700, script 10, conf 120 + 80, held 60 (held: balance, not its stale target), hyper 25; invalid 0.
    planned: 300 + 1000 + 50 + 0 + 400 - 300 + 100 + 700 + 10 + 120 + 80 + 60 + 25 + 0,
    migrated: 500 - 200 + -300 + 100, // done, rollback excluded
    pending: 1000 + 50,
    other: 400 + (700 + 10 + 120 + 80 + 60 + 25),
    rolledBackDone: -100,
    byState: { pending: 1000 + 50 + 25, migrated: 300 - 300 + 100, nothing_to_migrate: 0, unmatched: 710, conflict: 260, rejected: 400, invalid: 0 },
  },
  credits: { planned: 1250 + 500 + 200, migrated: 1250, pending: 500, other: 200 },
  attention: 2 + 3 + 1 + 1,
  problems: 2,
};

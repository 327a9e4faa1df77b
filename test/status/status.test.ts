import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as statusCommand } from '../../src/cli/commands/status.js';
import type { EventKind, EventRole, PlannedEvent } from '../../src/domain.js';
import { migrationId, openDb, type Db } from '../../src/db/open.js';
import { recordExtractedPage, recordProblem, recordRivoMatch, setCustomerState } from '../../src/ledger/customers.js';
import { markDone, markInFlight, markUncertain, replacePlan } from '../../src/ledger/events.js';
import { finishRun, startRun } from '../../src/ledger/runs.js';
import type { ExtractedRecord } from '../../src/ledger/types.js';
import { eventKey, noteWithKey } from '../../src/mapper/keys.js';
import { readStatus } from '../../src/status/status.js';
import { anExtractedRecord } from '../support/records.js';

let path: string;
let db: Db;
let mid: string;

beforeEach(() => {
  path = join(mkdtempSync(join(tmpdir(), 'y2r-status-')), 'migration.sqlite');
  db = openDb(path);
  mid = migrationId(db);
});
afterEach(() => {
  if (db.open) db.close();
  vi.restoreAllMocks();
});

const record = (key: string, invalidReason: string | null = null): ExtractedRecord =>
  anExtractedRecord(key, { pointsBalance: invalidReason ? null : 0, optedIn: null, valuesHash: `h-${key}`, invalidReason });

function extract(keys: string[], done: boolean, invalid: Record<string, string> = {}) {
  recordExtractedPage(db, keys.map((k) => record(k, invalid[k] ?? null)), { source: 'api:all', next: done ? null : 'next', done });
}

interface Ev {
  role: EventRole;
  points?: number;
  credits?: number;
  kind?: EventKind;
}

function plan(key: string, events: Ev[]): string[] {
  recordRivoMatch(db, key, { id: `r-${key}`, email: null, pointsTally: 0, lifetimeTally: 0, creditsCents: 0, tierId: null, tierName: null, dob: null, loyaltyStatus: 'member' });
  const planned: PlannedEvent[] = events.map((e) => {
    const k = eventKey({ migrationName: 't', migrationId: mid, customerKey: key, role: e.role, generation: 0 });
    return { key: k, kind: e.kind ?? 'points', role: e.role, generation: 0, pointsAmount: e.points ?? 0, creditsCents: e.credits ?? 0, value: null, appliedAt: null, internalNote: noteWithKey('m', k), externalNote: null };
  });
  replacePlan(db, key, `r-${key}`, planned, `h-${key}`, []);
  return planned.map((p) => p.key);
}

function send(keys: string[]) {
  markInFlight(db, keys, 'b');
  markDone(db, keys.map((key) => ({ key })));
}

/** A migration in the middle of things: done, rolled back, planned, uncertain, unmatched, invalid. */
function seedMidway() {
  extract(['a', 'g', 'b', 'c'], false);
  extract(['d1', 'd2', 'e'], false, { e: 'points_balance "12.5" is not a whole number' });
  send(plan('a', [{ role: 'earned', points: 1000 }, { role: 'spent', points: -300 }, { role: 'credit', credits: 2500 }]));
  send(plan('g', [{ role: 'earned', points: 400 }]));
  send(plan('g', [{ role: 'rollback', points: -400 }]));
  plan('b', [{ role: 'balance', points: 150 }]);
  plan('b', [{ role: 'earned', points: 200 }]); // supersedes the balance event: cancelled
  const [c] = plan('c', [{ role: 'earned', points: 50, credits: 100 }]);
  markInFlight(db, [c!], 'b2');
  markUncertain(db, [c!], 'timeout');
  setCustomerState(db, 'd1', 'unmatched', 'no Rivo customer');
  setCustomerState(db, 'd2', 'unmatched', 'no Rivo customer');
  recordProblem(db, { customerKey: 'a', kind: 'lifetime_inexact', detail: 'x' });
  recordProblem(db, { customerKey: 'g', kind: 'tier_not_restored', detail: 'y' });
  const r1 = startRun(db, 'migrate');
  finishRun(db, r1, 'failed', 'Rivo POST /points_events/batch failed with HTTP 503', { yotpo: 12, rivo: 30 });
  const r2 = startRun(db, 'migrate');
  finishRun(db, r2, 'attention', null, { yotpo: 3, rivo: 7 });
}

describe('readStatus', () => {
  it('counts customers, points, credit, events, problems, requests and runs exactly, and says what to do next', () => {
    seedMidway();
    const s = readStatus(db);
    expect(s.migrationId).toBe(mid);
    expect(s.customers).toEqual({
      total: 7,
      byState: { pending: 2, migrated: 2, nothing_to_migrate: 0, unmatched: 2, conflict: 0, rejected: 0, invalid: 1 },
      attention: 3,
    });
    expect(s.points).toEqual({ done: 1100, pending: 250, rolledBack: -400, rollbackPending: 0 });
    expect(s.credits).toEqual({ done: 2500, pending: 100, rolledBack: 0, rollbackPending: 0 });
    expect(s.events).toEqual({ total: 8, byStatus: { planned: 1, in_flight: 0, uncertain: 1, done: 5, rejected: 0, cancelled: 1 } });
    expect(s.uncertain).toBe(1);
    expect(s.problems).toEqual({ total: 2, byKind: { lifetime_inexact: 1, tier_not_restored: 1 } });
    expect(s.extraction).toMatchObject({ done: false, recordsRead: 7, pagesRead: 2, sources: [{ source: 'api:all', recordsRead: 7, pagesRead: 2, done: false }] });
    expect(s.requests).toEqual({ yotpo: 15, rivo: 37 });
    expect(s.lastRun).toMatchObject({ command: 'migrate', outcome: 'attention', error: null });
    expect(s.lastError).toMatchObject({ command: 'migrate', outcome: 'failed', error: 'Rivo POST /points_events/batch failed with HTTP 503' });
    expect(s.lock).toBeNull();
    expect(s.verify).toBeNull();
    expect(s.nextSteps).toEqual([
      'extraction unfinished (7 records read so far): run `yotpo-to-rivo migrate` to resume',
      '1 event with an unknown outcome (uncertain or interrupted in flight): run `yotpo-to-rivo migrate` to settle them by reading Rivo back (nothing is resent blindly)',
      'run `yotpo-to-rivo migrate` to resume: 1 event pending',
      '2 customers unmatched: they are retried on the next run, or see plan.csv',
      '1 customer invalid in Yotpo: see the reasons in plan.csv',
    ]);
    expect(s.next).toBe(s.nextSteps.join('; '));
  });

  it('an empty DB: extract first', () => {
    const s = readStatus(db);
    expect(s.customers.total).toBe(0);
    expect(s.next).toBe('nothing extracted yet: run `yotpo-to-rivo migrate` (or `yotpo-to-rivo extract`)');
  });

  it('customers read but not planned: resume', () => {
    extract(['a', 'b', 'c'], true);
    expect(readStatus(db).next).toBe('run `yotpo-to-rivo migrate` to resume: 3 customers not planned yet');
  });

  it('all migrated: verify; verified: done; events sent after verify make it stale', () => {
    extract(['a', 'b'], true);
    send(plan('a', [{ role: 'earned', points: 10 }]));
    plan('b', []);
    expect(readStatus(db).next).toBe('all migrated: run `yotpo-to-rivo verify`');

    const insert = db.prepare("INSERT OR REPLACE INTO verify_results (customer_key, checked_at, outcome, keys_duplicated) VALUES (?, ?, ?, 0)");
    const later = new Date(Date.now() + 60_000).toISOString();
    insert.run('a', later, 'match');
    insert.run('b', later, 'match');
    let s = readStatus(db);
    expect(s.verify).toEqual({ checkedAt: later, outcomes: { match: 2, mismatch: 0, missing: 0, not_checked: 0 }, duplicates: 0, stale: false });
    expect(s.next).toBe('done and verified: nothing left to do');

    db.prepare("INSERT OR REPLACE INTO verify_results (customer_key, checked_at, outcome, keys_duplicated) VALUES ('a', ?, 'mismatch', 1)").run(later);
    s = readStatus(db);
    expect(s.next).toBe('verify found 1 customer differs from the expected values, 1 duplicate event: see verify.csv');

    const earlier = new Date(Date.now() - 3_600_000).toISOString();
    db.prepare('UPDATE verify_results SET checked_at = ?').run(earlier);
    expect(readStatus(db).verify!.stale).toBe(true);
    expect(readStatus(db).next).toBe('all migrated: run `yotpo-to-rivo verify`');
  });

  it('names a running command holding the DB', () => {
    extract(['a'], true);
    db.prepare("INSERT INTO lock (id, pid, hostname, command, acquired_at) VALUES (1, 4242, 'box', 'migrate', '2030-01-01T00:00:00Z')").run();
    expect(readStatus(db).nextSteps[0]).toBe('`migrate` is running (process 4242 on box, since 2030-01-01T00:00:00Z): wait for it to finish');
  });
});

describe('status command', () => {
  it('prints a table on stdout (status > file holds it) and exits 3 when customers need attention', async () => {
    seedMidway();
    db.close();
    const err = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const result = await statusCommand({ db: path, json: false });
    expect(result.exitCode).toBe(3);
    const printed = err.mock.calls.map((c) => String(c[0])).join('');
    expect(printed).toMatch(/Customers: 7/);
    expect(printed).toMatch(/unmatched\s+2/);
    expect(printed).toMatch(/points done\s+1,100/);
    expect(printed).toMatch(/credit pending\s+1\.00/);
    expect(printed).toMatch(/Last error: `migrate` at .*HTTP 503/);
    expect(printed).toMatch(/Next:\n {2}- extraction unfinished/);
    expect(result.summary).toMatchObject({ db: path, customers: { total: 7 }, points: { done: 1100 } });
  });

  it('with --json prints nothing on stderr and no table on stdout, exits 0 when nobody needs attention', async () => {
    extract(['a'], true);
    send(plan('a', [{ role: 'earned', points: 10 }]));
    db.close();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const result = await statusCommand({ db: path, json: true });
    expect(err).not.toHaveBeenCalled();
    expect(out).not.toHaveBeenCalled(); // the boundary (main.ts) prints the one JSON object
    expect(result).toMatchObject({ exitCode: 0, summary: { next: 'all migrated: run `yotpo-to-rivo verify`' } });
  });

  it('refuses a DB that does not exist', async () => {
    await expect(statusCommand({ db: join(tmpdir(), 'nope-y2r', 'none.sqlite'), json: true })).rejects.toThrow(/No migration DB/);
  });
});

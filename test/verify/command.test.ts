import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as verifyCommand } from '../../src/cli/commands/verify.js';
import type { PlannedEvent } from '../../src/domain.js';
import { migrationId, openDb } from '../../src/db/open.js';
import { recordExtractedPage, recordRivoMatch } from '../../src/ledger/customers.js';
import { markDone, markInFlight, replacePlan } from '../../src/ledger/events.js';
import { eventKey, noteWithKey } from '../../src/mapper/keys.js';

/**
 * The `verify` command end to end over HTTP: config and credentials from the environment, the real RivoClient
 * against a minimal Rivo stand-in, the lock, the run record and the report files.
 */

let server: Server;
let baseUrl: string;
let dir: string;
let rivoPoints = 600;
let rivoNote = '';
const seenAuth: string[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'y2r-verify-cmd-'));
  rivoPoints = 600;
  seenAuth.length = 0;
  server = createServer((req, res) => {
    seenAuth.push(String(req.headers.authorization));
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && url.pathname === '/customers/77') {
      res.end(JSON.stringify({ data: { type: 'customer', id: '77', attributes: { points_tally: rivoPoints, lifetime_earnings_tally: 1000, credits_tally: '0.0', vip_tier: null, dob: null } } }));
    } else if (req.method === 'GET' && url.pathname === '/points_events') {
      // The customer's whole ledger on one page (links.next null): the opening 100 points, then the migration's 500.
      const data = [
        { type: 'points_event', id: 'e1', attributes: { points_diff: 500, internal_note: rivoNote, created_at: '2030-01-01T00:00:00Z' } },
        { type: 'points_event', id: 'e0', attributes: { points_diff: 100, internal_note: 'Opening balance', created_at: '2020-01-01T00:00:00Z' } },
      ];
      res.end(JSON.stringify({ data, links: { next: null } }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv('YOTPO_GUID', 'guid');
  vi.stubEnv('YOTPO_API_KEY', 'ykey');
  vi.stubEnv('RIVO_API_KEY', 'rkey');
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await new Promise((ok) => server.close(ok));
});

function seedDb(): string {
  const path = join(dir, 'migration.sqlite');
  const db = openDb(path);
  recordExtractedPage(
    db,
    [
      {
        key: 'c1', source: 'api', email: 'a@b.c', emailNorm: 'a@b.c', thirdPartyId: '77', firstName: null, lastName: null, pointsBalance: 500,
        pointsEarned: 500, creditCents: 0, tierName: null, birthdayMonth: null, birthDay: null, birthdayYear: null, optedIn: true,
        lastActivityAt: null, rawJson: '{}', valuesHash: 'h', invalidReason: null,
      },
    ],
    { source: 'api:all', next: null, done: true },
  );
  recordRivoMatch(db, 'c1', { id: '77', email: 'a@b.c', pointsTally: 100, lifetimeTally: 500, creditsCents: 0, tierId: null, tierName: null, dob: null, loyaltyStatus: 'member' });
  const key = eventKey({ migrationName: 'yotpo-to-rivo', migrationId: migrationId(db), customerKey: 'c1', role: 'balance', generation: 0 });
  rivoNote = noteWithKey('Migrated from Yotpo', key);
  const ev: PlannedEvent = { key, kind: 'points', role: 'balance', generation: 0, pointsAmount: 500, creditsCents: 0, value: null, appliedAt: null, internalNote: rivoNote, externalNote: null };
  replacePlan(db, 'c1', '77', [ev], 'h', []);
  markInFlight(db, [key], 'b1');
  markDone(db, [{ key }]);
  db.close();
  return path;
}

const args = (db: string) => ({ db, out: join(dir, 'reports'), rivoBaseUrl: baseUrl, json: true });

describe('verify command', () => {
  it('verifies over HTTP, writes the report, records the run, releases the lock: exit 0', async () => {
    const db = seedDb();
    const result = await verifyCommand(args(db));
    expect(result.exitCode).toBe(0);
    expect(result.summary).toMatchObject({ outcomes: { match: 1, mismatch: 0, missing: 0, not_checked: 0 }, keysFound: 1, lookup: 'get' });
    expect(seenAuth.every((a) => a === 'rkey')).toBe(true);
    expect(existsSync(join(dir, 'reports', 'verify.csv'))).toBe(true);
    expect(existsSync(join(dir, 'reports', 'verify.json'))).toBe(true);
    const check = openDb(db, { mustExist: true });
    expect(check.prepare('SELECT command, outcome, rivo_requests FROM runs').all()).toEqual([{ command: 'verify', outcome: 'ok', rivo_requests: 2 }]);
    expect(check.prepare('SELECT count(*) FROM lock').pluck().get()).toBe(0);
    check.close();
  });

  it('exits 3 when Rivo differs from the expectation', async () => {
    const db = seedDb();
    rivoPoints = 650;
    const result = await verifyCommand(args(db));
    expect(result.exitCode).toBe(3);
    expect(result.summary).toMatchObject({ outcomes: { mismatch: 1 } });
    const check = openDb(db, { mustExist: true });
    expect(check.prepare('SELECT detail FROM verify_results').pluck().get()).toMatch(/^points: expected 600, Rivo has 650 \(50 points more\)/);
    expect(check.prepare('SELECT outcome FROM runs').pluck().get()).toBe('attention');
    check.close();
  });

  it('needs the credentials before anything is read', async () => {
    const db = seedDb();
    vi.stubEnv('RIVO_API_KEY', '');
    await expect(verifyCommand(args(db))).rejects.toThrow(/RIVO_API_KEY/);
    expect(seenAuth.length).toBe(0);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { migrationId, openDb, setMeta, type Db } from '../../src/db/open.js';
import { ConfigError } from '../../src/errors.js';
import { validateRecord } from '../../src/extract/validate.js';
import { getCustomer, recordExtractedPage } from '../../src/ledger/customers.js';
import { eventsOf, markDone, markInFlight, markRejected } from '../../src/ledger/events.js';
import { plan } from '../../src/plan/planner.js';
import { rivoClientFromConfig, type RivoClient } from '../../src/rivo/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/**
 * The planner against the sandbox over real HTTP, on a real DB: identity across passes (a second record for one
 * person found in a later pass), deltas, settlement first, and the refusal after a rollback.
 */

let sb: Sandbox;
let db: Db;
let config: Config;
let rivo: RivoClient;
let page = 0;

beforeEach(async () => {
  sb = await startSandbox({ customers: 12, seed: 31, awkward: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'y2r-plan-'));
  const env = { RIVO_API_KEY: sb.credentials.rivoApiKey, RIVO_BASE_URL: sb.rivoUrl, RIVO_RPS: '500' };
  ({ config } = loadConfig({ env, cwd: dir, flags: { db: join(dir, 'm.sqlite') } }));
  db = openDb(config.db);
  rivo = rivoClientFromConfig(config, { yotpoGuid: null, yotpoApiKey: null, rivoApiKey: sb.credentials.rivoApiKey });
});

afterEach(async () => {
  await rivo.close();
  db.close();
  await sb.close();
});

/** Stores Yotpo records as the extractor would (one page). */
function extracted(records: Record<string, unknown>[]) {
  page++;
  const rows = records.map((raw, i) => validateRecord(raw, { source: 'api', position: () => `p${page}:${i}` }).record);
  recordExtractedPage(db, rows, { source: 'api:recent', next: `c${page}`, done: false });
}

const planPass = (scope: 'all' | 'changed' = 'changed') => plan({ db, config, rivo, migrationId: migrationId(db), scope });
const yotpo = (i: number) => sb.shop.yotpoCustomers[i]!;

describe('plan', () => {
  it('holds both records when a second record for one person arrives in a later pass, before anything was sent', async () => {
    const a = yotpo(0);
    extracted([a, yotpo(1)]);
    await planPass();
    expect(getCustomer(db, String(a.email))!.state).toBe('pending');
    expect(eventsOf(db, String(a.email)).some((e) => e.status === 'planned')).toBe(true);

    const twin = { ...a, email: `Old.${String(a.email)}` }; // same Shopify id, another email
    extracted([twin]);
    const summary = await planPass();
    expect(summary.conflicts).toBe(2);
    for (const key of [String(a.email), twin.email]) {
      expect(getCustomer(db, key)!.state, key).toBe('conflict');
      expect(eventsOf(db, key).every((e) => e.status === 'cancelled'), key).toBe(true);
    }
    expect(getCustomer(db, String(yotpo(1).email))!.state).toBe('pending');
  });

  it('keeps the first record when its points are already in Rivo, holds the late twin, and records the problem', async () => {
    const a = yotpo(2);
    extracted([a]);
    await planPass();
    const keys = eventsOf(db, String(a.email)).map((e) => e.key);
    markInFlight(db, keys, 'b1');
    markDone(db, keys.map((key) => ({ key })));

    const twin = { ...a, email: `twin.${String(a.email)}` };
    extracted([twin]);
    await planPass();
    expect(getCustomer(db, String(a.email))!.state).toBe('migrated');
    const held = getCustomer(db, twin.email)!;
    expect(held.state).toBe('conflict');
    expect(held.state_reason).toMatch(/already received the points of/);
    expect(db.prepare("SELECT count(*) FROM problems WHERE kind = 'late_conflict' AND customer_key = ?").pluck().get(twin.email)).toBe(1);
  });

  it('owes only the difference after Yotpo changed, under new keys; nothing when nothing changed', async () => {
    const a = { ...yotpo(3), points_balance: 500, points_earned: 800 };
    extracted([a]);
    await planPass();
    const first = eventsOf(db, a.email as string);
    expect(first.map((e) => [e.role, e.points_amount])).toEqual(expect.arrayContaining([['earned', 800], ['spent', -300]]));
    const points = first.filter((e) => e.kind === 'points');
    markInFlight(db, first.map((e) => e.key), 'b1');
    markDone(db, first.map((e) => ({ key: e.key })));

    await planPass('all');
    expect(eventsOf(db, a.email as string).filter((e) => e.status === 'planned')).toHaveLength(0);

    extracted([{ ...a, points_balance: 650, points_earned: 950 }]);
    await planPass();
    const delta = eventsOf(db, a.email as string).filter((e) => e.status === 'planned');
    expect(delta.map((e) => [e.role, e.points_amount, e.generation])).toEqual([['earned', 150, 1]]);
    expect(delta.every((e) => !points.some((p) => p.key === e.key))).toBe(true);
  });

  it('does not re-plan a customer whose writes are unsettled', async () => {
    const a = yotpo(4);
    extracted([a]);
    await planPass();
    const keys = eventsOf(db, String(a.email)).map((e) => e.key);
    markInFlight(db, keys, 'b1'); // sent, outcome unknown
    extracted([{ ...a, points_balance: Number(a.points_balance) + 10 }]);
    const summary = await planPass();
    expect(summary.awaitingSettlement).toBe(1);
    expect(eventsOf(db, String(a.email)).filter((e) => e.status === 'in_flight')).toHaveLength(keys.length);
  });

  it('looks a handful of customers up one by one, and lists Rivo for many', async () => {
    extracted([yotpo(5), yotpo(6)]);
    const before = rivo.requestCount;
    expect((await planPass()).rivoLookup).toBe('get');
    expect(rivo.requestCount - before).toBe(1 + 2); // tiers, then one GET per customer (both have a Shopify id)
  });

  it('plans a customer Rivo refused again when their Yotpo values change (a refused key is not in Rivo)', async () => {
    const a = { ...yotpo(8), points_balance: 300, points_earned: 300 };
    extracted([a]);
    await planPass();
    const keys = eventsOf(db, a.email as string).map((e) => e.key);
    markInFlight(db, keys, 'b1');
    markRejected(db, keys, '422 {"error":"customer blocked"}');
    expect(getCustomer(db, a.email as string)!.state).toBe('rejected');

    extracted([{ ...a, points_balance: 320, points_earned: 320 }]);
    const summary = await planPass();
    expect(summary.errors).toBe(0);
    const now = eventsOf(db, a.email as string);
    expect(now.filter((e) => e.status === 'planned' && e.kind === 'points').map((e) => [e.role, e.points_amount])).toEqual([['earned', 320]]);
    expect(getCustomer(db, a.email as string)!.state).toBe('pending');
  });

  it('refuses to plan a rolled-back migration', async () => {
    extracted([yotpo(7)]);
    setMeta(db, 'rolled_back_at', '2026-01-01T00:00:00Z');
    await expect(planPass()).rejects.toThrow(ConfigError);
  });
});

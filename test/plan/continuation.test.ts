import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { migrationId, openDb, setMeta, type Db } from '../../src/db/open.js';
import { validateRecord } from '../../src/extract/validate.js';
import { EXTRACT_PASS } from '../../src/ledger/continuation.js';
import { getCustomer, recordExtractedPage } from '../../src/ledger/customers.js';
import { eventsOf, markDone, markInFlight } from '../../src/ledger/events.js';
import { customerHash, parseKey } from '../../src/mapper/keys.js';
import { plan } from '../../src/plan/planner.js';
import { rivoClientFromConfig, type RivoClient } from '../../src/rivo/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/**
 * Issue 11, item 6, at the planner: a record with a new email continues a migrated customer (identityMap or Shopify
 * id) once the latest complete Yotpo pass no longer holds the old email; while the pass runs it waits, and when both
 * records are in Yotpo it is a conflict as before.
 */

let sb: Sandbox;
let db: Db;
let config: Config;
let rivo: RivoClient;
let page = 0;

async function setUp(identityMap: Record<string, string> = {}) {
  sb = await startSandbox({ customers: 12, seed: 31, awkward: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'y2r-cont-'));
  const env = { RIVO_API_KEY: sb.credentials.rivoApiKey, RIVO_BASE_URL: sb.rivoUrl, RIVO_RPS: '500' };
  ({ config } = loadConfig({ env, cwd: dir, flags: { db: join(dir, 'm.sqlite') } }));
  config = { ...config, mapping: { ...config.mapping, identityMap } };
  db = openDb(config.db);
  rivo = rivoClientFromConfig(config, { yotpoGuid: null, yotpoApiKey: null, rivoApiKey: sb.credentials.rivoApiKey });
}

beforeEach(() => {
  page = 0;
});
afterEach(async () => {
  await rivo.close();
  db.close();
  await sb.close();
});

/** One Yotpo pass, stamped as the extractor stamps it; `done` when it reached the end of the listing. */
function pass(id: string, records: Record<string, unknown>[], done: boolean) {
  setMeta(db, EXTRACT_PASS, id);
  page++;
  const rows = records.map((raw, i) => validateRecord(raw, { source: 'api', position: () => `p${page}:${i}` }).record);
  recordExtractedPage(db, rows, { source: 'api:recent', next: done ? null : `c${page}`, done, pass: id });
}

const planPass = () => plan({ db, config, rivo, migrationId: migrationId(db), scope: 'changed' });
const sendAll = (key: string) => {
  const keys = eventsOf(db, key).filter((e) => e.status === 'planned').map((e) => e.key);
  markInFlight(db, keys, 'b');
  markDone(db, keys.map((k) => ({ key: k })));
};

describe('a new email continues a migrated customer', () => {
  it('by identityMap (no Shopify id): waits while the pass runs, then owes only the delta under the old keys', async () => {
    await setUp();
    const a = { ...sb.shop.yotpoCustomers[0]!, third_party_id: undefined, thirty_party_id: undefined, points_balance: 300, points_earned: 300 };
    const oldKey = String(a.email).trim();
    pass('p1', [a, sb.shop.yotpoCustomers[1]!], true);
    await planPass();
    sendAll(oldKey);
    const rivoId = getCustomer(db, oldKey)!.rivo_id!;

    const renamed = { ...a, email: `new.${oldKey}`, points_balance: 350, points_earned: 350 };
    config = { ...config, mapping: { ...config.mapping, identityMap: { [renamed.email]: rivoId } } };
    pass('p2', [renamed], false); // the pass is still under way: the old email may yet appear
    const waiting = await planPass();
    expect(waiting.awaitingContinuation).toBe(1);
    expect(waiting.conflicts).toBe(0);
    expect(getCustomer(db, renamed.email)!.state).toBe('pending');
    expect(eventsOf(db, renamed.email)).toEqual([]);
    expect(db.prepare("SELECT count(*) FROM problems WHERE kind = 'late_conflict'").pluck().get()).toBe(0);

    pass('p2', [sb.shop.yotpoCustomers[1]!], true); // the pass ends without the old email
    const done = await planPass();
    expect(done.continued).toBe(1);
    expect(getCustomer(db, renamed.email)).toBeUndefined();
    const owed = eventsOf(db, oldKey).filter((e) => e.status === 'planned' && e.kind === 'points');
    expect(owed.reduce((n, e) => n + e.points_amount, 0)).toBe(50);
    for (const e of owed) expect(parseKey(e.key)).toMatchObject({ customerHash: customerHash(config.migrationName, oldKey), generation: 1 });
    expect(db.prepare('SELECT customer_key FROM customer_aliases WHERE record_key = ?').pluck().get(renamed.email)).toBe(oldKey);

    // The next pass reads the new email into the old row: nothing new is owed once the delta is sent.
    sendAll(oldKey);
    pass('p3', [renamed, sb.shop.yotpoCustomers[1]!], true);
    await planPass();
    expect(eventsOf(db, oldKey).filter((e) => e.status === 'planned')).toEqual([]);
    expect(getCustomer(db, oldKey)!.email).toBe(renamed.email);
  });

  it('both emails in the latest complete pass (same Shopify id): the new record is held as a conflict, never credited', async () => {
    await setUp();
    const a = sb.shop.yotpoCustomers[0]!;
    const oldKey = String(a.email).trim();
    pass('p1', [a], true);
    await planPass();
    sendAll(oldKey);
    const twin = { ...a, email: `twin.${oldKey}` };
    pass('p2', [a, twin], true);
    const summary = await planPass();
    expect(summary.continued).toBe(0);
    expect(getCustomer(db, twin.email)!.state).toBe('conflict');
    expect(eventsOf(db, twin.email).filter((e) => e.status === 'planned')).toEqual([]);
  });

  it('a record landing on a Rivo customer that received this migration under a record now invalid is held, never credited', async () => {
    await setUp();
    const a = { ...sb.shop.yotpoCustomers[0]!, third_party_id: undefined, thirty_party_id: undefined };
    const oldKey = String(a.email).trim();
    pass('p1', [a], true);
    await planPass();
    sendAll(oldKey);
    const rivoEmail = getCustomer(db, oldKey)!.rivo_email!;
    // The migrated record turns invalid in Yotpo, and another record (no Shopify id) carries the Rivo customer's email.
    const other = { ...sb.shop.yotpoCustomers[1]!, third_party_id: undefined, thirty_party_id: undefined, email: rivoEmail.toUpperCase() };
    pass('p2', [{ ...a, points_balance: 'abc' }, other], true);
    const summary = await planPass();
    expect(getCustomer(db, oldKey)!.state).toBe('invalid');
    expect(getCustomer(db, other.email)!.state).toBe('conflict');
    expect(getCustomer(db, other.email)!.state_reason).toMatch(/already received this migration's points under Yotpo record/);
    expect(eventsOf(db, other.email).filter((e) => e.status === 'planned')).toEqual([]);
    expect(summary.conflicts).toBe(1);
  });

  it('no Shopify id, a new email that finds another Rivo customer, the same name as a migrated record gone from Yotpo: held, never credited, until mapped', async () => {
    await setUp();
    const a = { ...sb.shop.yotpoCustomers[0]!, third_party_id: undefined, thirty_party_id: undefined, first_name: 'Ada', last_name: 'Byron', points_balance: 300, points_earned: 300 };
    const oldKey = String(a.email).trim();
    pass('p1', [a], true);
    await planPass();
    sendAll(oldKey);
    const rivoA = getCustomer(db, oldKey)!.rivo_id!;

    // The edit lands on the email of another person Rivo knows (never migrated here): nothing links it to Ada but her name.
    const someoneElse = sb.shop.yotpoCustomers[5]!;
    const renamed = { ...a, email: String(someoneElse.email).trim(), points_balance: 350, points_earned: 350 };
    pass('p2', [renamed], false);
    const waiting = await planPass();
    expect(waiting.awaitingContinuation).toBe(1);
    expect(eventsOf(db, renamed.email)).toEqual([]);

    pass('p2', [], true); // the pass ends without Ada's old email
    const held = await planPass();
    expect(held.conflicts).toBe(1);
    expect(getCustomer(db, renamed.email)!.state).toBe('conflict');
    expect(getCustomer(db, renamed.email)!.state_reason).toMatch(/may be that customer under an edited email/);
    expect(getCustomer(db, renamed.email)!.state_reason).toContain(`Rivo customer ${rivoA}`);
    expect(eventsOf(db, renamed.email).filter((e) => e.status === 'planned')).toEqual([]);

    // The merchant says it is Ada: her migration continues, and only the +50 is owed, under her keys.
    config = { ...config, mapping: { ...config.mapping, identityMap: { [renamed.email]: rivoA } } };
    const continued = await plan({ db, config, rivo, migrationId: migrationId(db), scope: 'held' });
    expect(continued.continued).toBe(1);
    const owed = eventsOf(db, oldKey).filter((e) => e.status === 'planned');
    expect(owed.map((e) => [e.role, e.points_amount])).toEqual([['earned', 50]]);
  });
});

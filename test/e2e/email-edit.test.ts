import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerHash, parseKey, parseKeysFromNote } from '../../src/mapper/keys.js';
import { startSandbox, type Sandbox, type YotpoRecord } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, tail, workspace, type Workspace } from './cli.js';
import { duplicateKeys, expectedFor, expectExactMigration, tallies, wholePoints } from './expect.js';

/**
 * Issue 11, item 6: a Yotpo email edit between runs. With the same Shopify id the customer keeps its migration and
 * the new values arrive as a delta (no late conflict held forever); with no Shopify id, a new email that lands on a
 * Rivo customer already migrated under another record is held, never credited.
 */

let sb: Sandbox;
let ws: Workspace;
beforeAll(async () => {
  ensureBuilt();
  sb = await startSandbox({ customers: 70, seed: 31, yotpo: { rpm: 6000 }, rivo: { rps: 200 } });
  ws = workspace(sb, { name: 'email-edit' });
}, 180_000);
afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

const exitFor = (e: ReturnType<typeof expectedFor>) => (e.counts.invalid + e.counts.conflict + e.counts.unmatched > 0 ? 3 : 0);
const tp = (r: YotpoRecord) => (typeof r.third_party_id === 'string' && r.third_party_id.trim() !== '' ? r.third_party_id.trim() : null);
const customerState = (key: string) => {
  const db = new Database(ws.db, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT state, state_reason FROM customers WHERE key = ?').get(key) as { state: string; state_reason: string | null } | undefined;
  } finally {
    db.close();
  }
};

describe('identity across runs: an email edited in Yotpo', () => {
  it('same Shopify id: the delta only, under the same customer keys; no Shopify id onto a migrated Rivo customer: held', async () => {
    const e0 = expectedFor(sb);
    const first = await runIn(ws, ['migrate'], ['--json']);
    expect(first.code, tail(first)).toBe(exitFor(e0));
    expectExactMigration(sb, e0, 'after the first migration');

    const plain = sb.yotpo
      .customers()
      .filter((r) => !sb.shop.cases[r.email] && e0.records.get(r.email.trim())?.kind === 'matched')
      .filter((r) => wholePoints(r.points_earned)! >= wholePoints(r.points_balance)! && wholePoints(r.points_balance)! >= 10);
    const edited = plain.find((r) => tp(r) !== null)!;
    expect(edited, 'a migrated customer with a Shopify id').toBeDefined();
    const oldKey = edited.email.trim();
    const newEmail = `renamed.${oldKey}`;
    sb.yotpo.update(edited.email, { email: newEmail, points_balance: wholePoints(edited.points_balance)! + 40, points_earned: wholePoints(edited.points_earned)! + 40 });
    const e1 = expectedFor(sb);
    expect(e1.records.get(newEmail)?.kind, 'the expectation matches the edited record by Shopify id').toBe('matched');

    const before = new Set(sb.rivo.allEvents().map((e) => e.id));
    const delta = await runIn(ws, ['migrate'], ['--json']);
    expect(delta.code, tail(delta)).toBe(exitFor(e1));
    expectExactMigration(sb, e1, 'after the email edit');
    expect(duplicateKeys(sb.rivo.allEvents())).toEqual([]);
    const rivoId = sb.rivo.customer(tp(edited)!)!.id;
    const fresh = sb.rivo.allEvents().filter((e) => !before.has(e.id));
    expect(new Set(fresh.map((e) => e.customer_id)), 'only the edited customer receives events').toEqual(new Set([rivoId]));
    expect(fresh.reduce((a, e) => a + e.points_diff, 0)).toBe(40);
    // The delta continues the customer's own keys (hash of the original record key), next generation.
    const hash = customerHash('yotpo-to-rivo', oldKey);
    for (const e of fresh) for (const k of parseKeysFromNote(e.internal_note)) expect(parseKey(k)).toMatchObject({ customerHash: hash, generation: 1 });
    expect(customerState(oldKey)?.state).toBe('migrated');
    expect(customerState(newEmail), 'the new key is an alias, not a second customer').toBeUndefined();

    // A third run reads the edited record again (under its alias): nothing more is owed.
    const events = sb.stats().rivo.eventsCreated;
    const again = await runIn(ws, ['migrate'], ['--json']);
    expect(again.code, tail(again)).toBe(exitFor(e1));
    expect(sb.stats().rivo.eventsCreated).toBe(events);

    // No Shopify id: a record whose new email is that of another Rivo customer already migrated (under another
    // record) lands on it by email. Held as a conflict; neither Rivo customer moves.
    const noTp = plain.find((r) => r !== edited && tp(r) !== null)!;
    const other = plain.find((r) => r !== edited && r !== noTp && tp(r) !== null)!;
    const otherRivo = sb.rivo.customer(tp(other)!)!;
    const snapshot = new Map(sb.rivo.customers().map((c) => [c.id, tallies(c)] as const));
    const takenEmail = otherRivo.email.toUpperCase(); // another record key, the same Rivo customer by email
    // The record loses its Shopify id as its email changes: nothing links it to its own migration any more.
    sb.yotpo.update(noTp.email, { email: takenEmail, third_party_id: undefined, thirty_party_id: undefined, points_balance: wholePoints(noTp.points_balance)! + 500 });
    const held = await runIn(ws, ['migrate'], ['--json']);
    expect(held.code, tail(held)).toBe(3);
    for (const c of sb.rivo.customers()) expect(tallies(c), `Rivo customer ${c.id}`).toEqual(snapshot.get(c.id));
    expect(customerState(takenEmail)?.state).toBe('conflict');
    expect(duplicateKeys(sb.rivo.allEvents())).toEqual([]);
  }, 240_000);
});

import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseKeysFromNote } from '../../src/mapper/keys.js';
import { pilotWorld, STAFF, type PilotWorld } from './helpers.js';

/**
 * `pilot` against the sandbox as modelled, and against a sandbox behaving the other way for each assumption: it
 * sees `confirmed` on the first and `differs` with the right `observed` on each other one, and the staff customer
 * ends with exactly the points (7) and store credit (1.50) they started with, every time.
 */

let w: PilotWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Every pilot key in the staff customer's Rivo events appears once (nothing sent twice). */
function expectNoKeyTwice(world: PilotWorld): void {
  const keys = world.sb.rivo.eventsFor(STAFF).flatMap((e) => parseKeysFromNote(e.internal_note));
  expect(keys.length).toBeGreaterThan(0);
  expect(new Set(keys).size).toBe(keys.length);
}

function expectRestored(world: PilotWorld): void {
  const c = world.sb.rivo.customer(STAFF)!;
  expect(c.points_tally).toBe(7);
  expect(c.credits_tally).toBe('1.5');
}

describe('pilot on the sandbox as modelled', () => {
  it('confirms every assumption, leaves the customer where they were, and stores the profile', async () => {
    w = await pilotWorld();
    const r = await w.cli(['pilot', '--customer', STAFF, '--json']);
    expect(r.code, r.stderr).toBe(0);
    // One JSON object on stdout, nothing else.
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.json.customer).toMatchObject({ given: STAFF, rivoId: w.staffId, email: STAFF });
    const a = r.json.assumptions;
    expect(Object.keys(a).sort()).toEqual(
      ['batch_atomicity', 'batch_item_results', 'batch_skip_email', 'events_listing', 'expires_at', 'lifetime_model', 'negative_below_zero', 'note_verbatim'].sort(),
    );
    expect(a.events_listing).toMatchObject({ status: 'confirmed', observed: { order: 'newest_first', perPageCap: 250 } });
    expect(a.note_verbatim.status).toBe('confirmed');
    expect(a.batch_atomicity).toMatchObject({ status: 'confirmed', observed: { mode: 'partial' } });
    expect(a.batch_item_results).toMatchObject({ status: 'confirmed', observed: { status: 422, namesFailedItem: true } });
    expect(a.negative_below_zero).toMatchObject({ status: 'confirmed', observed: { accepted: true, debit: -8 } });
    expect(a.lifetime_model).toMatchObject({ status: 'confirmed', observed: { model: 'positive_only', lifetimeChangeOnCredit: 1, lifetimeChangeOnDebit: 0 } });
    expect(a.batch_skip_email).toMatchObject({ status: 'unknown', observed: { batchEventSent: true, personAnswered: null } });
    expect(a.expires_at).toMatchObject({ status: 'confirmed', observed: { outcome: 'accepted' } });
    expect(a.expires_at.observed.listed).toBe(a.expires_at.observed.sent);
    // The probe's event, as the sandbox stored it: the date a year ahead, at midnight UTC.
    const probe = w.sb.rivo.eventsFor(STAFF).filter((e) => e.expires_at !== null);
    expect(probe).toHaveLength(1);
    expect(probe[0]!.expires_at).toBe(a.expires_at.observed.sent);
    expect(probe[0]!.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
    expect(Date.parse(probe[0]!.expires_at!) - Date.parse(probe[0]!.created_at)).toBeGreaterThan(364 * 86_400_000);
    for (const x of Object.values(a) as { setting: unknown }[]) expect(typeof x.setting).toBe('string');

    expectRestored(w);
    // +1 (listing), +1 (listing), +1 (batch), +1 (email batch), +1 (expires_at), +8 (restoring the −8 below-zero
    // debit): only lifetime moves.
    expect(w.sb.rivo.customer(STAFF)!.lifetime_earnings_tally).toBe(53);
    expect(r.json).toMatchObject({ restored: true, before: { points: 7, creditsCents: 150 }, after: { points: 7, creditsCents: 150 } });
    expect(w.sb.stats().rivo.emailsSent).toBe(0);
    expectNoKeyTwice(w);
    // The events other customers have are untouched: only the staff customer was written to.
    expect(new Set(w.sb.rivo.allEvents().map((e) => String(e.customer_id)))).toEqual(new Set([w.staffId]));

    const db = new Database(w.db, { readonly: true });
    try {
      const row = db.prepare('SELECT profile_json FROM rivo_profile').get() as { profile_json: string };
      expect(JSON.parse(row.profile_json)).toEqual({
        listing: { order: 'newest_first', perPageCap: 250 },
        noteVerbatim: true,
        batchAtomicity: 'partial',
        batchItemResults: true,
        negativeBelowZero: true,
        lifetimeModel: 'positive_only',
        batchSkipEmail: 'unknown',
        expiresAt: 'accepted',
      });
    } finally {
      db.close();
    }
    const html = readFileSync(join(w.dir, 'out', 'report.html'), 'utf8');
    expect(html).toContain("This store's Rivo (pilot)");
    expect(html).toContain('<code>batch_atomicity</code>');
    expect(html).toContain('<h3>Before the real run</h3>');
    expect(html).toContain('points_event/created');
  });

  it('prints a human report on stdout without --json', async () => {
    w = await pilotWorld();
    const r = await w.cli(['pilot', '--customer', w.staffId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/events_listing\s+confirmed/);
    expect(r.stdout).toMatch(/batch_skip_email\s+unknown/);
    expect(r.stdout).toContain('Restored: points 7 → 7, store credit 1.50 → 1.50; lifetime 40 → 53');
    expect(r.stdout).toContain('pilot --confirm-no-email');
    expect(r.stdout).toContain('Send mode: single');
    // The pre-flight checklist: webhooks fire for API events whatever skip_email says; tiers may email too.
    expect(r.stdout).toMatch(/Before the real run:\n  - Rivo fires the `points_event\/created` webhook/);
    expect(r.stdout).toContain('"tier unlocked" email');
    expectRestored(w);
  });

  it('with --probe-updates confirms the tier and birthday updates and puts both back', async () => {
    w = await pilotWorld();
    const r = await w.cli(['pilot', '--customer', STAFF, '--probe-updates', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.assumptions.tier_endpoint).toMatchObject({ status: 'confirmed', observed: { accepted: true, sent: '9001', tierAfter: '9001' } });
    expect(r.json.assumptions.dob_format).toMatchObject({ status: 'confirmed', observed: { sent: '2000-01-15', stored: '2000-01-15' } });
    const c = w.sb.rivo.customer(STAFF)!;
    expect(c.vip_tier).toEqual({ id: 9002, name: 'Silver' });
    expect(c.dob).toBe('1990-04-02');
    expectRestored(w);
  });
});

describe('pilot against a Rivo that behaves the other way', () => {
  const cases: { name: string; rivo: Record<string, unknown>; assumption: string; observed: Record<string, unknown>; exit: number; args?: string[] }[] = [
    { name: 'a page cap of 3', rivo: { perPageCap: 3 }, assumption: 'events_listing', observed: { order: 'newest_first', perPageCap: 3 }, exit: 0 },
    { name: 'oldest first', rivo: { order: 'oldest_first' }, assumption: 'events_listing', observed: { order: 'oldest_first', perPageCap: 250 }, exit: 0 },
    { name: 'oldest first with a cap of 2', rivo: { order: 'oldest_first', perPageCap: 2 }, assumption: 'events_listing', observed: { order: 'oldest_first', perPageCap: 2 }, exit: 0 },
    { name: 'a note prefix', rivo: { notePrefix: 'ops@shop.test: ' }, assumption: 'note_verbatim', observed: { keyKept: true }, exit: 0 },
    { name: 'atomic batches', rivo: { batchAtomicity: 'atomic' }, assumption: 'batch_atomicity', observed: { mode: 'atomic' }, exit: 0 },
    { name: 'item errors in a 2xx', rivo: { batchItemErrorsIn2xx: true }, assumption: 'batch_item_results', observed: { status: 200, namesFailedItem: true, failuresIn2xx: true }, exit: 0 },
    { name: 'debits below zero refused', rivo: { refuseNegativeBelowZero: true }, assumption: 'negative_below_zero', observed: { accepted: false, debit: -8 }, exit: 0 },
    { name: 'debits lowering lifetime', rivo: { lifetimeNet: true }, assumption: 'lifetime_model', observed: { model: 'net', lifetimeChangeOnCredit: 1, lifetimeChangeOnDebit: -4 }, exit: 3 },
    { name: 'expires_at dropped', rivo: { expiresAtIgnored: true }, assumption: 'expires_at', observed: { outcome: 'ignored', listed: null }, exit: 0 },
    { name: 'expires_at refused', rivo: { expiresAtRefused: true }, assumption: 'expires_at', observed: { outcome: 'refused' }, exit: 0 },
    { name: 'no tier endpoint', rivo: { tierEndpointMissing: true }, assumption: 'tier_endpoint', observed: { status: 404 }, exit: 3, args: ['--probe-updates'] },
    { name: 'a month-day birthday', rivo: { dobMonthDayOnly: true }, assumption: 'dob_format', observed: { sent: '2000-01-15', status: 422 }, exit: 3, args: ['--probe-updates'] },
  ];

  it.each(cases)('$name: $assumption differs, the customer is restored', async (c) => {
    w = await pilotWorld(c.rivo as never);
    const r = await w.cli(['pilot', '--customer', STAFF, '--json', ...(c.args ?? [])]);
    expect(r.code, r.stderr).toBe(c.exit);
    expect(r.json.assumptions[c.assumption]).toMatchObject({ status: 'differs', observed: c.observed });
    // Everything else is still as modelled.
    for (const [name, result] of Object.entries(r.json.assumptions) as [string, { status: string }][])
      if (name !== c.assumption && name !== 'batch_skip_email') expect(result.status, name).toBe('confirmed');
    expectRestored(w);
    expectNoKeyTwice(w);
    expect(w.sb.stats().rivo.emailsSent).toBe(0);
  });

  it('no tier endpoint on a store that does not migrate tiers: adapted, exit 0', async () => {
    w = await pilotWorld({ tierEndpointMissing: true } as never, { mapping: { tiers: false } });
    const r = await w.cli(['pilot', '--customer', STAFF, '--probe-updates', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.assumptions.tier_endpoint).toMatchObject({ status: 'differs', consequence: 'adapted', observed: { status: 404 } });
    expectRestored(w);
  });

  it('a note prefix: observed shows what came back', async () => {
    w = await pilotWorld({ notePrefix: 'ops@shop.test: ' } as never);
    const r = await w.cli(['pilot', '--customer', STAFF, '--json']);
    const o = r.json.assumptions.note_verbatim.observed;
    expect(o.received).toBe(`ops@shop.test: ${o.sent}`);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { pilotWorld, STAFF, type PilotWorld } from './helpers.js';

/**
 * No email by default: `rivo.sendMode auto` sends single events (documented `skip_email`) until a person confirmed
 * after `pilot` that this store's batch events are silent; then batches.
 */

let w: PilotWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Every Yotpo customer's points landed in Rivo: the run is exact whichever way it sent them. */
function expectMigrated(world: PilotWorld, before: Map<string, number>): void {
  for (const y of world.sb.shop.yotpoCustomers) {
    const id = String(y.third_party_id);
    expect(world.sb.rivo.customer(id)?.points_tally, id).toBe((before.get(id) ?? 0) + Number(y.points_balance));
  }
}

describe('emails', () => {
  it('a new user against a batch endpoint that ignores skip_email: the default migrate emails nobody', async () => {
    w = await pilotWorld({ batchIgnoresSkipEmail: true } as never);
    const before = new Map(w.sb.rivo.customers().map((c) => [String(c.id), c.points_tally]));
    const r = await w.cli(['migrate', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expectMigrated(w, before);
    const stats = w.sb.stats().rivo;
    expect(stats.emailsSent).toBe(0);
    expect(stats.batchesReceived).toBe(0);
    expect(stats.eventsCreated).toBeGreaterThan(0);
    // Said once, by the send mode's hint (the checklist is about emails the tool cannot stop).
    expect(r.stderr.split('Batches would be up to 10× faster')).toHaveLength(2);
    expect(r.stderr).toContain('Pre-flight checklist (before the first write to your store):');
  });

  it('the pilot emails only the staff customer on such a store, and `--email-arrived` keeps single events', async () => {
    w = await pilotWorld({ batchIgnoresSkipEmail: true } as never);
    const p = await w.cli(['pilot', '--customer', STAFF, '--json']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.json.assumptions.batch_skip_email.status).toBe('unknown');
    // The probe's one batch event is the email the person is asked to look for (the valid item of the atomicity
    // batch emails too: two at most, both to the staff customer).
    expect(Object.keys(w.sb.stats().rivo.emailsByCustomer)).toEqual([w.staffId]);

    const a = await w.cli(['pilot', '--email-arrived', '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.json.assumptions.batch_skip_email).toMatchObject({ status: 'differs', observed: { personAnswered: 'emails' } });
    expect(a.json.sendMode).toBe('single');

    w.sb.resetStats();
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(w.sb.stats().rivo.emailsSent).toBe(0);
    expect(w.sb.stats().rivo.batchesReceived).toBe(0);
  });

  it('after `pilot --confirm-no-email` on a store that honours skip_email, migrate sends batches, silently', async () => {
    w = await pilotWorld();
    const before = new Map(w.sb.rivo.customers().map((c) => [String(c.id), c.points_tally]));
    expect((await w.cli(['pilot', '--customer', STAFF, '--json'])).code).toBe(0);
    const c = await w.cli(['pilot', '--confirm-no-email', '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.json.assumptions.batch_skip_email).toMatchObject({ status: 'confirmed', observed: { personAnswered: 'silent' } });
    expect(c.json.sendMode).toBe('batch');

    w.sb.resetStats();
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expectMigrated(w, before);
    const stats = w.sb.stats().rivo;
    expect(stats.batchesReceived).toBeGreaterThan(0);
    expect(stats.emailsSent).toBe(0);
    expect(m.stderr).not.toContain('Batches would be');
    expect(m.stderr).toContain('points_event/created');
    expect(m.stderr).not.toContain('Batch events are not confirmed silent');
  });

  it('`--confirm-no-email` before any pilot is a usage error and records nothing', async () => {
    w = await pilotWorld();
    const dry = await w.cli(['migrate', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('Pre-flight checklist (before the first write to your store):'); // the dry run shows the checklist too
    const c = await w.cli(['pilot', '--confirm-no-email', '--json']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('No pilot has sent the batch event yet');
  });
});

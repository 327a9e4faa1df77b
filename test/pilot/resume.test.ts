import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { migrationId, openDb } from '../../src/db/open.js';
import { parseKeysFromNote } from '../../src/mapper/keys.js';
import { pilotRivo, type PilotRivo } from '../../src/pilot/port.js';
import { runPilot } from '../../src/pilot/runner.js';
import { RivoClient } from '../../src/rivo/client.js';
import { pilotWorld, STAFF, type PilotWorld } from './helpers.js';

/**
 * The pilot's own writes are exactly once: a lost answer is read back, never resent; a pilot that died part-way is
 * settled and compensated by the next one, and the customer still ends at 7 points and 1.50 credit.
 */

let w: PilotWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const keysOf = (world: PilotWorld) => world.sb.rivo.eventsFor(STAFF).flatMap((e) => parseKeysFromNote(e.internal_note));

describe('pilot: exactly once', () => {
  it('a write whose answer is lost is found by read-back and not sent again', async () => {
    w = await pilotWorld();
    w.sb.failNext('rivo', 1, 'lostAnswer'); // the first write lands, its answer never arrives
    const r = await w.cli(['pilot', '--customer', STAFF, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const keys = keysOf(w);
    expect(new Set(keys).size).toBe(keys.length);
    const c = w.sb.rivo.customer(STAFF)!;
    expect(c.points_tally).toBe(7);
    expect(c.credits_tally).toBe('1.5');
    expect(r.json.assumptions.events_listing.status).toBe('confirmed');
  });

  it('writes that never arrived (connection reset) are proven absent and sent again under a new key', async () => {
    w = await pilotWorld();
    w.sb.failNext('rivo', 1, 'reset');
    const r = await w.cli(['pilot', '--customer', STAFF, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const keys = keysOf(w);
    expect(new Set(keys).size).toBe(keys.length);
    expect(w.sb.rivo.customer(STAFF)!.points_tally).toBe(7);
  });

  it('a pilot that died after two writes is settled and compensated by the next run', async () => {
    w = await pilotWorld();
    const { config, secrets } = loadConfig({ flags: { rivoBaseUrl: w.sb.rivoUrl }, env: { RIVO_API_KEY: w.sb.credentials.rivoApiKey }, cwd: mkdtempSync(join(tmpdir(), 'y2r-pilot-lib-')) });
    const client = new RivoClient({ baseUrl: w.sb.rivoUrl, apiKey: secrets.rivoApiKey!, rps: 200, timeoutMs: 3000, maxRetries: 1 });
    const db = openDb(w.db);
    try {
      const real = pilotRivo(client);
      // The process "dies" as the batch leaves: its intents are recorded in flight, the request never sent.
      const dying: PilotRivo = { ...real, batch: async () => Promise.reject(new Error('killed')) };
      await expect(runPilot({ db, rivo: dying, config, migrationId: migrationId(db), customer: STAFF, probeUpdates: false })).rejects.toThrow('killed');
      expect(w.sb.rivo.customer(STAFF)!.points_tally).toBe(9); // the two listing events landed, not compensated
      expect(db.prepare("SELECT count(*) FROM pilot_events WHERE status = 'in_flight'").pluck().get()).toBe(2);
    } finally {
      db.close();
      await client.close();
    }

    const r = await w.cli(['pilot', '--customer', STAFF, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('restored 2 write(s) left by an earlier pilot');
    const c = w.sb.rivo.customer(STAFF)!;
    expect(c.points_tally).toBe(7);
    expect(c.credits_tally).toBe('1.5');
    expect(r.json.before).toMatchObject({ points: 7, creditsCents: 150 });
    const keys = keysOf(w);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('an unknown customer is a usage error and nothing is written', async () => {
    w = await pilotWorld();
    const r = await w.cli(['pilot', '--customer', 'nobody@shop.test', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Rivo has no customer "nobody@shop.test"');
    expect(w.sb.stats().rivo.writes).toBe(0);
  });

  it('no --customer is a usage error', async () => {
    w = await pilotWorld();
    const r = await w.cli(['pilot', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--customer');
  });
});

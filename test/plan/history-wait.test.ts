import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { migrationId, openDb, type Db } from '../../src/db/open.js';
import { validateRecord } from '../../src/extract/validate.js';
import { getCustomer, recordExtractedPage } from '../../src/ledger/customers.js';
import { eventsOf } from '../../src/ledger/events.js';
import { recordLookup } from '../../src/ledger/history.js';
import { plan } from '../../src/plan/planner.js';
import { formatPreview, previewWrites } from '../../src/cli/confirm.js';
import { rivoClientFromConfig, type RivoClient } from '../../src/rivo/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/**
 * The planner with mapping.history on and a customer whose history is not read yet (the lookup stage was stopped,
 * or the command has no Yotpo credentials): it is not planned, and a plan made earlier without history is withdrawn
 * so it cannot go out balance-only meanwhile. Real HTTP against the sandbox's Rivo, real SQLite.
 */

let sb: Sandbox;
let db: Db;
let config: Config;
let rivo: RivoClient;

beforeEach(async () => {
  sb = await startSandbox({ customers: 6, seed: 31, awkward: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'y2r-plan-history-'));
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

describe('plan with history on, before the lookup', () => {
  it('withdraws a plan made without history, waits for the lookup, then plans the replay', async () => {
    const rec = { ...sb.shop.yotpoCustomers[0]!, points_balance: 455, points_earned: 850 };
    recordExtractedPage(db, [validateRecord(rec, { source: 'api', position: () => 'p1:0' }).record], { source: 'api:recent', next: 'c1', done: true });
    const key = String(rec.email).trim();
    await plan({ db, config, rivo, migrationId: migrationId(db), scope: 'all' });
    expect(eventsOf(db, key).filter((e) => e.status === 'planned' && e.kind === 'points').map((e) => [e.role, e.points_amount])).toEqual([
      ['earned', 850],
      ['spent', -395],
    ]);

    const withHistory = { ...config, mapping: { ...config.mapping, history: true } };
    const waiting = await plan({ db, config: withHistory, rivo, migrationId: migrationId(db), scope: 'all' });
    expect(waiting.awaitingHistory).toBe(1);
    expect(eventsOf(db, key).filter((e) => e.status === 'planned')).toEqual([]);
    expect(getCustomer(db, key)!.planned_hash).toBeNull();

    recordLookup(db, key, getCustomer(db, key)!.values_hash, {
      status: 'found',
      reason: null,
      items: [
        { idx: 0, createdAt: '2020-01-01T00:00:00.000Z', date: null, action: 'Made a purchase', actionName: null, points: 850, status: 'Approved', completedAt: null, rawJson: '{}' },
        { idx: 1, createdAt: '2021-01-01T00:00:00.000Z', date: null, action: '$5 Coupon', actionName: null, points: -395, status: 'FIVEOFF', completedAt: null, rawJson: '{}' },
      ],
    });
    await plan({ db, config: withHistory, rivo, migrationId: migrationId(db), scope: 'changed' });
    expect(eventsOf(db, key).filter((e) => e.status === 'planned' && e.kind === 'points').map((e) => [e.role, e.points_amount, e.applied_at, e.external_note])).toEqual([
      ['history', 850, '2020-01-01T00:00:00.000Z', 'Made a purchase'],
      ['history', -395, '2021-01-01T00:00:00.000Z', '$5 Coupon'],
    ]);
    expect(getCustomer(db, key)!.history_status).toBe('replayed (2 events)');
    // The confirmation before the first write says how many of the events are history.
    const preview = previewWrites(db, withHistory, migrationId(db));
    expect(preview).toMatchObject({ customers: 1, pointsEvents: 2, historyEvents: 2 });
    expect(formatPreview(preview, 5)).toContain('to send        1 customers: 2 points events (2 of them replayed Yotpo history), ');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/**
 * Two Yotpo records for one person, read far apart: both are held and their Rivo customer is left untouched, even
 * though `migrate` plans while it reads. (Sending waits for the first complete read of Yotpo.)
 */

let sb: Sandbox | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await sb?.close();
});

describe('a second record for one person at the end of the listing', () => {
  it('holds both and leaves their Rivo customer untouched, although earlier pages were planned first', async () => {
    sb = await startSandbox({ customers: 450, seed: 41, awkward: 0 });
    const first = sb.shop.yotpoCustomers[0]!;
    sb.yotpo.add({ ...first, email: `second.${String(first.email)}` }); // same Shopify id, read last
    const rivoBefore = { ...sb.rivo.customer(String(first.third_party_id))! };

    const dir = mkdtempSync(join(tmpdir(), 'y2r-twins-'));
    writeFileSync(join(dir, 'fast.json'), JSON.stringify({ rivo: { settleDelayMs: 20 } }));
    vi.stubEnv('YOTPO_GUID', sb.credentials.yotpoGuid);
    vi.stubEnv('YOTPO_API_KEY', sb.credentials.yotpoApiKey);
    vi.stubEnv('RIVO_API_KEY', sb.credentials.rivoApiKey);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // 5 pages at 90 requests a minute: reading takes a few seconds, long enough for passes to plan earlier pages.
    const code = await run(['migrate', '--config', join(dir, 'fast.json'), '--db', join(dir, 'm.sqlite'), '--out', join(dir, 'out'),
      '--yotpo-base-url', sb.yotpoUrl, '--rivo-base-url', sb.rivoUrl, '--yotpo-rpm', '90', '--rivo-rps', '300']);
    expect(code).toBe(3);

    const db = new Database(join(dir, 'm.sqlite'), { readonly: true });
    const state = (key: string) => db.prepare('SELECT state FROM customers WHERE key = ?').pluck().get(key);
    expect(state(String(first.email))).toBe('conflict');
    expect(state(`second.${String(first.email)}`)).toBe('conflict');
    expect(db.prepare("SELECT count(*) FROM customers WHERE state = 'migrated'").pluck().get()).toBe(449);
    db.close();

    const after = sb.rivo.customer(String(first.third_party_id))!;
    expect(after.points_tally).toBe(rivoBefore.points_tally);
    expect(after.credits_tally).toBe(rivoBefore.credits_tally);
    expect(sb.rivo.eventsFor(String(first.third_party_id))).toHaveLength(0);
  });
});

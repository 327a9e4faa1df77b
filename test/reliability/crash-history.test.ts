import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKey, parseKeysFromNote } from '../../src/mapper/keys.js';
import { mulberry32 } from '../../src/sandbox/rng.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, tail, workspace, type CliResult, type Workspace } from '../e2e/cli.js';
import { killRepeatedly } from './kills.js';
import { duplicateKeys, expectedFor, expectExactMigration } from '../e2e/expect.js';

/**
 * Issue 15: `migrate` with history replay killed with SIGKILL at seeded random moments (lookups, planning, loading
 * many history events, read-back), against a Rivo that loses answers; then run until it finishes. Rivo must hold
 * exactly the balance-only tallies, no key twice, and every replayed customer exactly the items Yotpo served.
 */

const SEED = 15_015;
const KILLS = 8;

let sb: Sandbox;
let ws: Workspace;

beforeAll(async () => {
  ensureBuilt();
  sb = await startSandbox({
    customers: 100,
    seed: 9,
    rivo: { latencyMs: 5 },
    faults: { only: ['rivo'], error5xx: 0.03, reset: 0.02, lostAnswer: 0.06, slow: 0.02, slowMs: 300 },
  });
  ws = workspace(sb, { name: 'crash-history', config: { mapping: { history: true }, rivo: { concurrency: 4, sendMode: 'single' } }, rates: ['--yotpo-rpm', '3000', '--rivo-rps', '120'] });
}, 180_000);

afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

describe('crash with history replay: SIGKILL at random moments, then resume', () => {
  it('ends exact, no key twice, each history replayed once, lookups repeated only when a kill caught them in flight', async () => {
    const want = expectedFor(sb);
    const random = mulberry32(SEED);
    const killedIn: string[] = [];
    const landed = await killRepeatedly(ws, ['migrate'], {
      times: KILLS,
      // Wide enough to land in the lookups of the first run and in the loading of the later ones.
      delayMs: () => Math.round(500 + random() * 9000),
      after: ({ round, delay, killed }) => {
        if (killed) killedIn.push(`${delay}ms: ${snapshot(ws.db)}`);
        expect(duplicateKeys(sb.rivo.allEvents()), `after kill ${round} (${delay} ms)`).toEqual([]);
      },
    });
    expect(landed).toBeGreaterThanOrEqual(4);
    // At least one kill landed while history events were going out (some done, some still owed).
    expect(killedIn.some((k) => / history done=[1-9]\d* open=[1-9]/.test(k)), killedIn.join(' | ')).toBe(true);

    let last: CliResult | undefined;
    for (let attempt = 0; attempt < 6; attempt++) {
      last = await runIn(ws, ['migrate'], ['--json']);
      if (last.code === 0 || last.code === 3) break;
      expect(last.code, tail(last)).toBe(1);
    }
    expect(last!.code, tail(last!)).toBe(want.counts.invalid + want.counts.conflict + want.counts.unmatched > 0 ? 3 : 0);
    expectExactMigration(sb, want, `after ${landed} kills`);
    expect(last!.json.verify.outcomes, tail(last!)).toMatchObject({ mismatch: 0, missing: 0, not_checked: 0 });

    // Each valid customer looked up; a lookup repeated only when a kill caught it in flight (4 at a time at most).
    // (The sandbox counts per email in lower case: two records whose emails differ only in case share a count.)
    const valid = want.counts.customers - want.counts.invalid;
    const emails = new Set([...want.records.values()].filter((o) => o.kind !== 'invalid').map((o) => o.key.toLowerCase()));
    const lookups = [...sb.yotpo.historyLookups.values()];
    expect(lookups).toHaveLength(emails.size);
    const made = lookups.reduce((a, b) => a + b, 0);
    expect(made).toBeGreaterThanOrEqual(valid);
    expect(made - valid).toBeLessThanOrEqual(4 * landed);

    // Every replayed customer holds exactly the approved items Yotpo served, once each.
    const planCsv = parse(readFileSync(join(ws.out, 'plan.csv'), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
    const replayed = planCsv.filter((r) => r.history_status?.startsWith('replayed'));
    expect(replayed.length).toBeGreaterThan(50);
    const events = sb.rivo.allEvents().filter((e) => e.revoked_at === null);
    for (const row of replayed) {
      const served = sb.yotpo.historyServed(sb.yotpo.byEmail(row.yotpo_key!)!) as { points: number; created_at: string; action: string; status: string }[];
      const wantItems = served.filter((i) => i.status !== 'Pending' && i.points !== 0).map((i) => [i.points, new Date(i.created_at).toISOString(), i.action]);
      const have = events
        .filter((e) => e.customer_id === Number(row.rivo_id) && parseKeysFromNote(e.internal_note).some((k) => parseKey(k)?.role === 'history'))
        .map((e) => [e.points_diff, e.applied_at, e.external_note]);
      expect(have.sort(), row.yotpo_key).toEqual(wantItems.sort());
    }
  }, 300_000);
});

/** The ledger's history events at a kill: `lookups=N history done=D open=O`. */
function snapshot(path: string): string {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const lookups = db.prepare('SELECT count(*) FROM history_lookups').pluck().get() as number;
    const row = db
      .prepare("SELECT count(CASE WHEN status = 'done' THEN 1 END) AS done, count(CASE WHEN status IN ('planned','in_flight','uncertain') THEN 1 END) AS open FROM events WHERE role = 'history'")
      .get() as { done: number; open: number };
    return `lookups=${lookups} history done=${row.done} open=${row.open}`;
  } catch (err) {
    return `no ledger yet (${(err as Error).message.slice(0, 40)})`;
  } finally {
    db?.close();
  }
}

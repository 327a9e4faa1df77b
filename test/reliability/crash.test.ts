import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, tail, workspace, type CliResult, type Workspace } from '../e2e/cli.js';
import { killRepeatedly } from './kills.js';
import { duplicateKeys, expectedFor, expectExactMigration, expectRolledBack } from '../e2e/expect.js';
import { mulberry32 } from '../../src/sandbox/rng.js';

/**
 * Issue 5: `migrate` killed with SIGKILL at many seeded random moments (extraction, planning, loading, read-back,
 * verification), with the sandbox injecting faults that include lost answers (the write lands, the answer never
 * comes). The sandbox lives in the test process, so Rivo outlives every killed child. After the kills, `migrate` is
 * run until it finishes; Rivo must then hold exactly the expected tallies, no key twice, no email sent.
 */

const SEED = 20260;
const KILLS = 10;

/** The kill schedule is reproducible from SEED. */
const rng = mulberry32;


/** Both ways of sending (RIVO_SEND_MODE, as a user sets it) must survive the kills; the single run also pages its
 * read-backs through a listing capped at 7 events, oldest first, with notes that come back prefixed. */
describe.each(['batch', 'single'] as const)('RIVO_SEND_MODE=%s', (mode) => {
let sb: Sandbox;
let ws: Workspace;

beforeAll(async () => {
  ensureBuilt();
  sb = await startSandbox({
    customers: 160,
    seed: 4,
    rivo: { latencyMs: 5, ...(mode === 'single' ? { perPageCap: 7, order: 'oldest_first' as const, notePrefix: 'ops@shop.example: ' } : {}) },
    faults: { only: ['rivo'], error5xx: 0.03, reset: 0.02, lostAnswer: 0.06, rateLimitBurst: 0.01, slow: 0.02, slowMs: 300 },
  });
  // Small pages and a modest Rivo rate: a run takes a few seconds, so the kills land in every stage.
  ws = workspace(sb, { name: `crash-${mode}`, config: { yotpo: { perPage: 20 }, rivo: { concurrency: 4 } }, rates: ['--yotpo-rpm', '3000', '--rivo-rps', mode === 'single' ? '120' : '60'] });
  ws.env.RIVO_SEND_MODE = mode;
}, 180_000);

afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

describe('crash: SIGKILL at random moments, then resume', () => {
  it('ends with exact tallies, no duplicate keys and no emails after repeated kills', async () => {
    const want = expectedFor(sb);
    const random = rng(SEED);
    const killedIn: string[] = [];
    let finishedEarly = 0;
    await killRepeatedly(ws, ['migrate'], {
      times: KILLS,
      delayMs: () => Math.round(50 + random() * 3500),
      after: ({ round, delay, killed }) => {
        // A run that finished before its kill is fine: the next kills land in a re-run (re-extraction, verify).
        if (killed) killedIn.push(`${delay}ms: ${ledgerSnapshot(ws.db)}`);
        else finishedEarly++;
        // Between kills, nothing in Rivo may be duplicated and nobody emailed, whatever state the run was left in.
        expect(duplicateKeys(sb.rivo.allEvents()), `after kill ${round} (${delay} ms)`).toEqual([]);
        expect(sb.stats().rivo.emailsSent).toBe(0);
      },
    });
    // At least one kill landed in the middle of loading (some events done, some still owed).
    if (process.env.Y2R_TEST_DEBUG) console.info(killedIn, finishedEarly);
    expect(killedIn.some((k) => / done=[1-9]\d* .*open=[1-9]/.test(k)), killedIn.join(' | ')).toBe(true);
    expect(killedIn.length, `kills that landed: ${killedIn.join(' | ')}`).toBeGreaterThanOrEqual(6);

    // Resume until it finishes (exit 1 means "run again"; the faults may exhaust a run's retries).
    let last: CliResult | undefined;
    for (let attempt = 0; attempt < 6; attempt++) {
      last = await runIn(ws, ['migrate'], ['--json']);
      if (last.code === 0 || last.code === 3) break;
      expect(last.code, tail(last)).toBe(1);
    }
    expect([0, 3], tail(last!)).toContain(last!.code);
    expect(last!.code).toBe(want.counts.invalid + want.counts.conflict + want.counts.unmatched > 0 ? 3 : 0);
    expectExactMigration(sb, want, `after ${killedIn.length} kills (${killedIn.join(' | ')})`);
    expect(last!.json.verify.outcomes, tail(last!)).toMatchObject({ mismatch: 0, missing: 0, not_checked: 0 });
    expect(last!.json.verify.duplicates).toBe(0);

    // The ledger agrees: nothing left in flight or uncertain, no lock left behind.
    const db = new Database(ws.db, { readonly: true });
    try {
      const open = db.prepare("SELECT count(*) FROM events WHERE status IN ('planned','in_flight','uncertain')").pluck().get();
      expect(open).toBe(0);
      expect(db.prepare('SELECT count(*) FROM lock').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    // Sanity that the kills did something: the crashes left interrupted runs behind.
    expect(finishedEarly).toBeLessThan(KILLS);
    // RIVO_SEND_MODE reached every child: single mode never used the batch endpoint.
    if (mode === 'single') expect(sb.stats().rivo.batchesReceived).toBe(0);
    else expect(sb.stats().rivo.batchesReceived).toBeGreaterThan(0);
  }, 240_000);
});

describe('crash: SIGKILL during rollback, then resume', () => {
  it('puts points and credits back exactly once after repeated kills', async () => {
    // Runs after the migration above (same sandbox and DB).
    const random = rng(SEED + 1);
    const landed = await killRepeatedly(ws, ['rollback', '--yes'], {
      times: 5,
      delayMs: () => Math.round(300 + random() * 1200),
      after: ({ round }) => expect(duplicateKeys(sb.rivo.allEvents()), `after rollback kill ${round}`).toEqual([]),
    });
    expect(landed).toBeGreaterThanOrEqual(2);
    let last: CliResult | undefined;
    for (let attempt = 0; attempt < 6; attempt++) {
      last = await runIn(ws, ['rollback', '--yes'], ['--json']);
      if (last.code !== 1) break;
    }
    expect(last!.code, tail(last!)).toBe(0);
    expectRolledBack(sb);
    expect(sb.stats().rivo.emailsSent).toBe(0);
  }, 120_000);
});

});

/** Where the killed run left the ledger: events done and still open (planned, in flight, uncertain). */
function ledgerSnapshot(path: string): string {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const row = db
      .prepare("SELECT count(*) AS total, count(CASE WHEN status = 'done' THEN 1 END) AS done, count(CASE WHEN status IN ('planned','in_flight','uncertain') THEN 1 END) AS open, count(CASE WHEN status = 'in_flight' THEN 1 END) AS inFlight FROM events")
      .get() as { total: number; done: number; open: number; inFlight: number };
    return `events=${row.total} done=${row.done} open=${row.open} in_flight=${row.inFlight}`;
  } catch (err) {
    return `no ledger yet (${(err as Error).message.slice(0, 40)})`;
  } finally {
    db?.close();
  }
}

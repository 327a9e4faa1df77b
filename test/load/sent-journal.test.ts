import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventsOf, markInFlight } from '../../src/ledger/events.js';
import { HttpClient } from '../../src/http/client.js';
import { RateGate } from '../../src/http/limiter.js';
import { journalPath, journalReader, openSentJournal, removeSettledJournals } from '../../src/load/sent-journal.js';
import { expectMigratedExactly, harness, keysInRivo, population, runLoad, type Harness, withSettleDelay } from './harness.js';

/**
 * The sent journal (issue 13: resume after a kill): a write whose request id is not in its run's journal never left
 * that run, so the next run plans it again at once, with no read-back and no `settleDelayMs`. Anything the journal
 * cannot prove (another boot, no journal, a journal still being written) is settled by read-back, as before.
 */

const BOOT = 'boot-aaaa';
const dbIn = () => join(mkdtempSync(join(tmpdir(), 'y2r-journal-')), 'm.sqlite');

describe('sent journal file', () => {
  it('proves "never left" only for ids of a closed journal of this boot that it does not hold', () => {
    const db = dbIn();
    const j = openSentJournal(db, 'run1', BOOT);
    j.left('run1-b1');
    // Still being written: never proof, whatever it holds.
    expect(journalReader(db, BOOT).neverLeft('run1-b2')).toBe(false);
    j.close();
    const r = journalReader(db, BOOT);
    expect(r.neverLeft('run1-b1')).toBe(false);
    expect(r.neverLeft('run1-b2')).toBe(true);
    // Another boot (a power cut may have lost the page cache), another run, no run, no id: unknown.
    expect(journalReader(db, 'boot-bbbb').neverLeft('run1-b2')).toBe(false);
    expect(journalReader(db, null).neverLeft('run1-b2')).toBe(false);
    expect(r.neverLeft('run9-b2')).toBe(false);
    expect(r.neverLeft('crashed')).toBe(false);
    expect(r.neverLeft(null)).toBe(false);
  });

  it('a journal whose header names another run, or is not a header, proves nothing', () => {
    const db = dbIn();
    writeFileSync(journalPath(db, 'run2'), `${JSON.stringify({ runId: 'run3', bootId: BOOT })}\nrun2-b1\n`);
    expect(journalReader(db, BOOT).neverLeft('run2-b9')).toBe(false);
    writeFileSync(journalPath(db, 'run4'), 'run4-b1\n');
    expect(journalReader(db, BOOT).neverLeft('run4-b9')).toBe(false);
  });

  it('writes nothing without a boot id, and refuses a request after it is closed', () => {
    const db = dbIn();
    const none = openSentJournal(db, 'run5', null);
    none.left('run5-b1');
    none.close();
    expect(existsSync(journalPath(db, 'run5'))).toBe(false);
    const j = openSentJournal(db, 'run6', BOOT);
    j.close();
    expect(() => j.left('run6-b1')).toThrow(/closed/);
  });

  it('journals of runs with nothing unsettled are removed; the others stay', () => {
    const db = dbIn();
    for (const run of ['runA', 'runB']) openSentJournal(db, run, BOOT).close();
    removeSettledJournals(db, (runId) => runId === 'runB');
    expect(readdirSync(join(db, '..')).sort()).toEqual(['m.sqlite-sent-runB']);
  });
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DELAY = 4000;

describe('a run that resumes after a kill', () => {
  it('plans again at once the writes whose requests never left the killed run (not in its journal), and sends them once', async () => {
    h = await harness(population(4));
    const [a, b] = h.customers;
    const rows = [a!, b!].flatMap((c) => eventsOf(h!.db, c.key).filter((e) => e.kind === 'points'));
    // The killed run: its journal holds another request; these intents were flushed while they waited in the gate.
    const j = openSentJournal(h.dbPath, 'dead0001');
    j.left('dead0001-b1');
    j.close();
    markInFlight(h.db, rows.map((e) => e.key), 'dead0001-b2');

    const t0 = Date.now();
    const summary = await runLoad(h, withSettleDelay(h, DELAY));
    expect(Date.now() - t0).toBeLessThan(DELAY / 2);
    expect(summary.interruptedAtStart).toBe(rows.length);
    expect(summary.settled).toMatchObject({ found: 0, absent: rows.length, held: 0 });
    const inRivo = keysInRivo(h.sb);
    for (const r of rows) expect(inRivo.get(r.key), r.key).toBe(1);
    expectMigratedExactly(h);
    // Nothing unsettled is left of the killed run: its journal is gone, and so is this run's.
    expect(readdirSync(join(h.dbPath, '..')).filter((n) => n.includes('-sent-'))).toEqual([]);
  });

  it('reads back, and waits before concluding absent, a write whose request is in the journal (it may have left)', async () => {
    h = await harness(population(3));
    const c = h.customers[0]!;
    const rows = eventsOf(h.db, c.key).filter((e) => e.kind === 'points');
    const j = openSentJournal(h.dbPath, 'dead0002');
    j.left('dead0002-b1');
    j.close();
    markInFlight(h.db, rows.map((e) => e.key), 'dead0002-b1');

    const t0 = Date.now();
    const summary = await runLoad(h, withSettleDelay(h, 1500));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(summary.settled).toMatchObject({ found: 0, absent: rows.length });
    expectMigratedExactly(h);
  });

  it('a journal written on another boot (a power cut may have lost its tail) proves nothing: read back and wait', async () => {
    h = await harness(population(3));
    const c = h.customers[0]!;
    const rows = eventsOf(h.db, c.key).filter((e) => e.kind === 'points');
    openSentJournal(h.dbPath, 'dead0003', 'another-boot').close();
    markInFlight(h.db, rows.map((e) => e.key), 'dead0003-b7');

    const t0 = Date.now();
    const summary = await runLoad(h, withSettleDelay(h, 1500));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(summary.settled).toMatchObject({ absent: rows.length });
    expectMigratedExactly(h);
  });
});

describe('the hook the journal hangs on (HttpClient.onLeave)', () => {
  it('is called before the server receives anything, once per attempt; when it throws, nothing is sent', async () => {
    const arrivals: string[] = [];
    const server = createServer((req, res) => {
      arrivals.push(req.url ?? '');
      // The first attempt is refused with a 429 (not applied: retried), the second answered.
      const first = arrivals.length === 1;
      res.writeHead(first ? 429 : 200, { 'content-type': 'application/json', ...(first ? { 'retry-after': '0' } : {}) });
      res.end(first ? '{"error":"slow down"}' : '{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const client = new HttpClient({
      system: 'rivo',
      baseUrl: `http://127.0.0.1:${port}`,
      headers: () => ({}),
      gate: new RateGate(1000, 1000, 4),
      retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 },
      timeoutMs: 2000,
    });
    try {
      const seen: number[] = [];
      await client.request({ method: 'PUT', path: '/x', body: {}, onLeave: () => seen.push(arrivals.length) });
      // Journaled before each attempt reached the server: 0 arrivals before the first, 1 before the retry.
      expect(seen).toEqual([0, 1]);
      expect(arrivals).toHaveLength(2);
      await expect(
        client.request({ method: 'PUT', path: '/y', body: {}, onLeave: () => { throw new Error('journal: disk full'); } }),
      ).rejects.toThrow(/disk full/);
      expect(arrivals).toEqual(['/x', '/x']);
    } finally {
      server.close();
    }
  });
});

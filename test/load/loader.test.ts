import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticationError, ConnectionError } from '../../src/http/errors.js';
import { getCustomer } from '../../src/ledger/customers.js';
import { duplicateEvents, eventsOf, markInFlight } from '../../src/ledger/events.js';
import { load } from '../../src/load/loader.js';
import { toOutgoing } from '../../src/load/outgoing.js';
import { RivoClient } from '../../src/rivo/client.js';
import { MODELLED_PROFILE } from '../../src/rivo/profile.js';
import { expectMigratedExactly, expectNoKeyTwice, expectUntouched, harness, keysInRivo, population, statuses, runLoad, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const run = runLoad;

describe('load: the plain run', () => {
  it('puts every planned write into Rivo once, in batches, silently, and a re-run sends nothing', async () => {
    h = await harness(population(30));
    const summary = await run(h);
    expect(summary.exitCode).toBe(0);
    expect(summary.outcome).toBe('done');
    expect(summary.events.done).toBe(summary.events.total);
    expectMigratedExactly(h);
    const stats = h.sb.stats().rivo;
    expect(stats.emailsSent).toBe(0);
    expect(stats.batchesReceived).toBeGreaterThan(0);
    expect(h.sb.rivo.allEvents().every((e) => e.via_batch && e.skip_email === true && e.source === 'manual')).toBe(true);
    // Packed: far fewer requests than events.
    const pointsEvents = h.customers.flatMap((c) => c.events).filter((e) => e.kind === 'points').length;
    expect(stats.batchesReceived).toBeLessThanOrEqual(Math.ceil(pointsEvents / 10) + 10);
    for (const c of h.customers) expect(getCustomer(h.db, c.key)?.state).toBe('migrated');

    const writes = stats.writes;
    const again = await run(h);
    expect(again.exitCode).toBe(0);
    expect(again.requests).toBe(0);
    expect(h.sb.stats().rivo.writes).toBe(writes);
  });

  it('on a store known to accept debits below zero, never splits a customer across requests, and sends tier and birthday only after the points', async () => {
    h = await harness(population(12), { refuseNegativeBelowZero: false });
    const order: string[] = [];
    const rivo = h.rivo;
    const spy = Object.create(rivo) as typeof rivo;
    spy.createEventsBatch = async (events) => {
      order.push(`batch:${[...new Set(events.map((e) => e.customer_identifier))].join(',')}`);
      return rivo.createEventsBatch(events);
    };
    spy.setVipTier = async (id, tier) => {
      order.push(`tier:${id}`);
      return rivo.setVipTier(id, tier);
    };
    spy.setDob = async (id, dob) => {
      order.push(`dob:${id}`);
      return rivo.setDob(id, dob);
    };
    const summary = await run(h, { rivo: spy, profile: MODELLED_PROFILE });
    expect(summary.exitCode).toBe(0);
    for (const c of h.customers) {
      const batches = order.filter((o) => o.startsWith('batch:') && o.slice(6).split(',').includes(c.rivoId));
      expect(batches, c.key).toHaveLength(1);
      const firstUpdate = order.findIndex((o) => o === `tier:${c.rivoId}` || o === `dob:${c.rivoId}`);
      if (firstUpdate >= 0) expect(firstUpdate).toBeGreaterThan(order.indexOf(batches[0]!));
    }
    expectMigratedExactly(h);
  });

  it('unmeasured store: a customer\'s debits go in a later request than its additions, once those landed', async () => {
    h = await harness(population(12));
    const sent: { customer: string; points: number; at: number }[] = [];
    const rivo = h.rivo;
    const spy = Object.create(rivo) as typeof rivo;
    let request = 0;
    spy.createEventsBatch = async (events, profile) => {
      request++;
      for (const e of events) sent.push({ customer: e.customer_identifier, points: e.points_amount ?? 0, at: request });
      return rivo.createEventsBatch(events, profile);
    };
    const summary = await run(h, { rivo: spy });
    expect(summary.exitCode).toBe(0);
    let pairs = 0;
    for (const c of h.customers) {
      const mine = sent.filter((e) => e.customer === c.rivoId);
      const lastAddition = Math.max(...mine.filter((e) => e.points >= 0).map((e) => e.at));
      const firstDebit = Math.min(...mine.filter((e) => e.points < 0).map((e) => e.at));
      if (Number.isFinite(firstDebit) && Number.isFinite(lastAddition)) {
        pairs++;
        expect(firstDebit, c.key).toBeGreaterThan(lastAddition);
      }
    }
    expect(pairs).toBeGreaterThan(2);
    expectMigratedExactly(h);
  });

  it('sends one event per request, form-encoded, in single mode', async () => {
    h = await harness(population(8), { rivo: { sendMode: 'single' } });
    const summary = await run(h);
    expect(summary.exitCode).toBe(0);
    expectMigratedExactly(h);
    expect(h.sb.stats().rivo.batchesReceived).toBe(0);
    expect(h.sb.rivo.allEvents().every((e) => !e.via_batch && e.skip_email === 'true')).toBe(true);
    // The Rivo event id is kept in the ledger.
    expect(eventsOf(h.db, h.customers[0]!.key).filter((e) => e.kind === 'points').every((e) => e.rivo_event_id)).toBe(true);
  });

  it('keeps to limitSeq (a pilot run) and stays within the request budget', async () => {
    h = await harness(population(10), { client: { rps: 20 } });
    const summary = await run(h, { limitSeq: 4 });
    expect(summary.exitCode).toBe(0);
    expectMigratedExactly(h, (c) => Number(c.key.split('-')[1]) <= 4);
    for (const c of h.customers.slice(4)) expectUntouched(h, c);
    expect(h.sb.stats().rivo.maxInAnySecond).toBeLessThanOrEqual(21);
    const rest = await run(h);
    expect(rest.exitCode).toBe(0);
    expectMigratedExactly(h);
  });

  it('reports progress: done/total, customers, requests, rate and an ETA from the budget', async () => {
    h = await harness(population(10));
    const seen: { eventsDone: number; eventsTotal: number; etaSeconds: number | null; phase: string; requests: number }[] = [];
    await load({ db: h.db, config: h.config, rivo: h.rivo, migrationId: h.migrationId, onProgress: (p) => seen.push(p) });
    const first = seen[0]!;
    const last = seen.at(-1)!;
    expect(first.phase).toBe('start');
    expect(first.eventsDone).toBe(0);
    expect(first.etaSeconds).toBeGreaterThan(0);
    expect(last.phase).toBe('done');
    expect(last.eventsDone).toBe(last.eventsTotal);
    expect(last.etaSeconds).toBeNull();
    expect(last.requests).toBeGreaterThan(0);
  });
});

describe('load: uncertain outcomes are settled by read-back, never resent blindly', () => {
  it('lostAnswer: a batch applied but unanswered is found by read-back and not sent again', async () => {
    h = await harness(population(12));
    h.sb.failNext('rivo', 1, 'lostAnswer');
    const summary = await run(h);
    expect(summary.exitCode).toBe(0);
    expect(summary.settled.found).toBeGreaterThan(0);
    expect(summary.settled.absent).toBe(0);
    expectMigratedExactly(h);
    const pointsEvents = h.customers.flatMap((c) => c.events).filter((e) => e.kind === 'points').length;
    expect(h.sb.stats().rivo.eventsCreated).toBe(pointsEvents);
  });

  it.each(['5xx', '429', 'reset'] as const)('%s on a batch: uncertain, read back, found absent, sent again once', async (kind) => {
    h = await harness(population(12));
    h.sb.failNext('rivo', 2, kind);
    const summary = await run(h);
    expect(summary.exitCode).toBe(0);
    expect(summary.settled.absent).toBeGreaterThan(0);
    expectMigratedExactly(h);
  });

  it('a timeout on a slow server that applied the write: found by read-back', async () => {
    h = await harness(population(6), { client: { timeoutMs: 150 } });
    h.sb.setFaults({ slowMs: 400 });
    h.sb.failNext('rivo', 1, 'slow');
    const summary = await run(h, { config: { ...h.config, rivo: { ...h.config.rivo, settleDelayMs: 300 } } });
    expect(summary.exitCode).toBe(0);
    expect(summary.settled.found).toBeGreaterThan(0);
    expectMigratedExactly(h);
  });

  it('random 5xx, resets, 429 bursts and lost answers: every tally exact, no key twice', async () => {
    h = await harness(population(40), { faults: { error5xx: 0.1, reset: 0.08, rateLimitBurst: 0.03, lostAnswer: 0.12, only: ['rivo'] } });
    h.sb.failNext('rivo', 1, 'lostAnswer'); // at least one, whatever the draw
    const summary = await run(h, { maxAttempts: 12 });
    expect(summary.exitCode, JSON.stringify(summary.pending)).toBe(0);
    expect(summary.settled.found).toBeGreaterThan(0);
    expect(summary.settled.absent).toBeGreaterThan(0);
    expectMigratedExactly(h);
    expect(h.sb.stats().rivo.emailsSent).toBe(0);
  });

  it('the same faults in single mode', async () => {
    h = await harness(population(16), { rivo: { sendMode: 'single' }, faults: { error5xx: 0.1, reset: 0.08, lostAnswer: 0.15, only: ['rivo'] } });
    const summary = await run(h, { maxAttempts: 12 });
    expect(summary.exitCode, JSON.stringify(summary.pending)).toBe(0);
    expectMigratedExactly(h);
  });

  it('a crash between markInFlight and the answer: the next run settles by read-back and does not duplicate', async () => {
    h = await harness(population(6));
    const [landed, lost, ...rest] = h.customers;
    // The crashed run had committed its intent for two customers; only the first request reached Rivo.
    const landedRows = eventsOf(h.db, landed!.key).filter((e) => e.kind === 'points');
    const lostRows = eventsOf(h.db, lost!.key).filter((e) => e.kind === 'points');
    markInFlight(h.db, landedRows.map((e) => e.key), 'crashed-1');
    markInFlight(h.db, lostRows.map((e) => e.key), 'crashed-2');
    h.sb.rivo.createBatch(landedRows.map(toOutgoing), new Date());
    expect(statuses(h.db).in_flight).toBe(landedRows.length + lostRows.length);

    const summary = await run(h);
    expect(summary.interruptedAtStart).toBe(landedRows.length + lostRows.length);
    expect(summary.settled.found).toBe(landedRows.length);
    expect(summary.settled.absent).toBe(lostRows.length);
    expect(summary.exitCode).toBe(0);
    expectMigratedExactly(h);
    expect(rest.length).toBeGreaterThan(0);
  });

  it('an event found twice in Rivo is done, never resent, and reported loudly as a duplicate (exit 3)', async () => {
    h = await harness(population(3));
    const c = h.customers[0]!;
    const row = eventsOf(h.db, c.key).find((e) => e.kind === 'points')!;
    markInFlight(h.db, [row.key], 'crashed');
    h.sb.rivo.createEvent(toOutgoing(row), new Date());
    h.sb.rivo.createEvent(toOutgoing(row), new Date());
    const summary = await run(h);
    expect(summary.duplicates.total).toBe(1);
    expect(summary.duplicates.thisRun).toEqual([expect.objectContaining({ customerKey: c.key, key: row.key })]);
    expect(summary.duplicates.thisRun[0]!.rivoEventIds).toHaveLength(2);
    expect(summary.exitCode).toBe(3);
    expect(duplicateEvents(h.db)).toEqual([expect.objectContaining({ key: row.key, last_error: expect.stringMatching(/^DUPLICATE: found 2 times/) })]);
    expect(keysInRivo(h.sb).get(row.key)).toBe(2);
    // Status and the reports count it among the problems.
    expect(h.db.prepare('SELECT customer_key, event_key, kind FROM problems').all()).toEqual([{ customer_key: c.key, event_key: row.key, kind: 'duplicate_event' }]);
    expect(eventsOf(h.db, c.key).find((e) => e.key === row.key)?.status).toBe('done');
  });

  it('a tier update applied but unanswered is settled by reading the customer, not resent', async () => {
    h = await harness([{ points: 10, balance: 5, setTier: '9003', setDob: '1991-03-04' }]);
    const rivo = h.rivo;
    const calls = { tier: 0, dob: 0 };
    const flaky = Object.create(rivo) as typeof rivo;
    flaky.setVipTier = async (id, tier) => {
      calls.tier++;
      await rivo.setVipTier(id, tier);
      if (calls.tier === 1) throw lost('POST');
    };
    flaky.setDob = async (id, dob) => {
      calls.dob++;
      if (calls.dob === 1) throw lost('PUT'); // not applied
      await rivo.setDob(id, dob);
    };
    const summary = await run(h, { rivo: flaky });
    expect(summary.exitCode).toBe(0);
    expect(calls).toEqual({ tier: 1, dob: 2 });
    expect(summary.settled).toMatchObject({ found: 1, absent: 1 });
    expectMigratedExactly(h);
  });
});

/** What a dropped connection on a write looks like to the loader. */
function lost(method: string) {
  return new ConnectionError({ system: 'rivo', method, path: '/x', retryable: true, uncertain: true, detail: 'ECONNRESET' });
}

describe('load: refusals', () => {
  it.each(['atomic', 'partial'] as const)('a 422 inside a batch (%s) isolates the bad event; the others land', async (batchMode) => {
    const specs = population(9);
    // Customer 5 owes a subtraction Rivo refuses (it would take the balance below zero).
    specs[4] = { points: 10, balance: 0, lifetimeEarned: 0, credit: -5000 };
    h = await harness(specs, { batchMode });
    const bad = h.customers[4]!;
    const summary = await run(h);
    expect(summary.exitCode).toBe(3);
    expect(summary.outcome).toBe('attention');
    // Rivo's 422 names the refused item: no need to isolate the batch's customers one event at a time any more.
    expect(summary.isolatedBatches).toBe(0);
    expect(summary.rejected).toEqual([expect.objectContaining({ customerKey: bad.key, reason: expect.stringMatching(/422.*cannot be negative/) })]);
    const state = getCustomer(h.db, bad.key)!;
    expect(state.state).toBe('rejected');
    expect(state.state_reason).toMatch(/422/);
    expectUntouched(h, bad);
    expectMigratedExactly(h, (c) => c !== bad);
  });

  it('a customer Rivo does not know is rejected with the 404, without holding the others', async () => {
    const specs = population(5);
    specs[1] = { ...specs[1]!, rivoIdOverride: '99999999' };
    h = await harness(specs);
    const summary = await run(h);
    expect(summary.exitCode).toBe(3);
    expect(summary.rejected[0]).toMatchObject({ customerKey: h.customers[1]!.key, reason: expect.stringMatching(/404/) });
    expectMigratedExactly(h, (c) => c !== h!.customers[1]);
  });
});

describe('load: bounded, interruptible, resumable', () => {
  it('a customer Rivo keeps failing stays pending with the last error (exit 1); the next run finishes', async () => {
    h = await harness(population(4), { faults: { error5xx: 1, only: ['rivo'] }, client: { maxRetries: 1 } });
    const started = Date.now();
    const summary = await run(h, { maxAttempts: 3 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(summary.exitCode).toBe(1);
    expect(summary.outcome).toBe('pending');
    expect(summary.exhausted.length).toBe(4);
    expect(summary.exhausted[0]!.lastError).toMatch(/50\d/);
    expect(summary.pending.some((p) => /50\d/.test(p.lastError ?? ''))).toBe(true);
    expect(statuses(h.db).in_flight ?? 0).toBe(0);
    expect(h.sb.rivo.allEvents()).toEqual([]);
    h.sb.setFaults({});
    const again = await run(h);
    expect(again.exitCode).toBe(0);
    expectMigratedExactly(h);
  });

  it('stops on abort after the requests in flight, leaving nothing in flight; a re-run completes exactly', async () => {
    h = await harness(population(30), { rivo: { concurrency: 2 } });
    const controller = new AbortController();
    const rivo = h.rivo;
    let batches = 0;
    const stopping = Object.create(rivo) as typeof rivo;
    stopping.createEventsBatch = async (events) => {
      if (++batches === 3) controller.abort();
      return rivo.createEventsBatch(events);
    };
    const summary = await run(h, { rivo: stopping, signal: controller.signal });
    expect(summary.aborted).toBe(true);
    expect(summary.exitCode).toBe(1);
    expect(statuses(h.db).in_flight ?? 0).toBe(0);
    expect(statuses(h.db).uncertain ?? 0).toBe(0);
    expect(batches).toBeLessThanOrEqual(4);
    expect(summary.events.done).toBeGreaterThan(0);
    expect(summary.events.done).toBeLessThan(summary.events.total);
    expectNoKeyTwice(h.sb);
    const again = await run(h);
    expect(again.exitCode).toBe(0);
    expectMigratedExactly(h);
  });

  it('a wrong key stops the run at once (exit 2 error), leaving the writes planned', async () => {
    h = await harness(population(3));
    const wrong = new RivoClient({ baseUrl: h.sb.rivoUrl, apiKey: 'wrong-key', rps: 100, timeoutMs: 1000, maxRetries: 0 });
    await expect(run(h, { rivo: wrong })).rejects.toBeInstanceOf(AuthenticationError);
    await wrong.close();
    expect(statuses(h.db)).toEqual({ planned: h.customers.flatMap((c) => c.events).length });
    expect(h.sb.rivo.allEvents()).toEqual([]);
  });
});

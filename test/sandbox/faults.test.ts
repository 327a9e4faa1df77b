import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type FaultOptions, type Sandbox } from '../../src/sandbox/index.js';
import { event, rget, rsend, transportError, yget } from './helpers.js';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function start(opts: Parameters<typeof startSandbox>[0] = {}) {
  sb = await startSandbox({ customers: 10, seed: 13, awkward: 0, ...opts });
  return { s: sb, id: sb.shop.rivoCustomers[0]!.id };
}

describe('faults by count (failNext)', () => {
  it('5xx: answered 500-class, nothing applied', async () => {
    const { s, id } = await start();
    s.failNext('rivo', 1, '5xx');
    const res = await rsend(s, 'POST', '/points_events', event(id, 5));
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(s.rivo.eventsFor(id)).toHaveLength(0);
    expect((await rsend(s, 'POST', '/points_events', event(id, 5))).status).toBe(201);
    expect(s.rivo.eventsFor(id)).toHaveLength(1);
  });

  it('429 on Yotpo carries the rate-limit headers, then service resumes', async () => {
    const { s } = await start();
    s.failNext('yotpo', 2, '429');
    const a = await yget(s, '/vip_tiers');
    const b = await yget(s, '/vip_tiers');
    const c = await yget(s, '/vip_tiers');
    expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
    expect(a.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(a.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    expect(a.headers.get('x-ratelimit-remaining-minute')).toBe('0');
    expect(s.stats().yotpo.status429).toBe(2);
  });

  it('429 on Rivo says when to come back and applies nothing', async () => {
    const { s, id } = await start();
    s.failNext('rivo', 1, '429');
    const res = await rsend(s, 'POST', '/points_events', event(id, 5));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(s.rivo.eventsFor(id)).toHaveLength(0);
    expect(s.stats().rivo.status429).toBe(1);
  });

  it('reset: the socket is destroyed before anything is applied', async () => {
    const { s, id } = await start();
    s.failNext('rivo', 1, 'reset');
    const err = await transportError(rsend(s, 'POST', '/points_events', event(id, 5)));
    expect(err).toMatch(/fetch failed|socket|ECONNRESET|closed/i);
    expect(s.rivo.eventsFor(id)).toHaveLength(0);
    expect(s.stats().rivo.writes).toBe(0);
  });

  it('lostAnswer: the event exists in Rivo but the client only sees a socket error; reads are left alone', async () => {
    const { s, id } = await start();
    s.failNext('rivo', 1, 'lostAnswer');
    // A read does not consume a fault meant for a write.
    expect((await rget(s, `/customers/${id}`)).status).toBe(200);
    const before = s.rivo.customer(id)!.points_tally;
    const err = await transportError(rsend(s, 'POST', '/points_events', event(id, 5, { internal_note: 'lost-1' })));
    expect(err).toMatch(/fetch failed|socket|ECONNRESET|closed/i);
    const events = s.rivo.eventsFor(id);
    expect(events.map((e) => e.internal_note)).toEqual(['lost-1']);
    expect(s.rivo.customer(id)!.points_tally).toBe(before + 5);
    expect(s.stats().rivo.writes).toBe(1);
    // Reading back finds it: that is how a loader settles the uncertainty.
    const back = await rget(s, `/points_events?filters[customer_identifier]=${id}`);
    expect(back.json.data[0].attributes.internal_note).toBe('lost-1');
  });

  it('lostAnswer on a batch applies the whole batch', async () => {
    const { s, id } = await start();
    s.failNext('rivo', 1, 'lostAnswer');
    await transportError(rsend(s, 'POST', '/points_events/batch', { points_events: [event(id, 1), event(id, 2), event(id, 3)] }));
    expect(s.rivo.eventsFor(id).map((e) => e.points_diff)).toEqual([1, 2, 3]);
  });

  it('lateApply: the client sees the socket drop, the write lands lateApplyMs later; reads are left alone', async () => {
    const { s, id } = await start({ faults: { lateApplyMs: 400 } });
    s.failNext('rivo', 1, 'lateApply');
    expect((await rget(s, `/customers/${id}`)).status).toBe(200);
    const t0 = Date.now();
    const err = await transportError(rsend(s, 'POST', '/points_events', event(id, 5, { internal_note: 'late-1' })));
    expect(err).toMatch(/fetch failed|socket|ECONNRESET|closed/i);
    expect(Date.now() - t0).toBeLessThan(300);
    expect(s.rivo.eventsFor(id)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 600));
    expect(s.rivo.eventsFor(id).map((e) => e.internal_note)).toEqual(['late-1']);
  });

  it('lateApply by probability is drawn only when set: the other faults keep their seeded stream', async () => {
    const draws = async (faults: FaultOptions) => {
      const { s, id } = await start({ faults });
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await rsend(s, 'POST', '/points_events', event(id, 1)).catch(() => ({ status: 0 }))).status);
      await sb?.close();
      sb = undefined;
      return out;
    };
    const base = await draws({ error5xx: 0.3 });
    expect(await draws({ error5xx: 0.3, lateApply: 0 })).toEqual(base);
  });

  it('slow: the write is applied before the delayed answer arrives', async () => {
    const { s, id } = await start({ faults: { slowMs: 400 } });
    s.failNext('rivo', 1, 'slow');
    const t0 = Date.now();
    const pending = rsend(s, 'POST', '/points_events', event(id, 5));
    await new Promise((r) => setTimeout(r, 150));
    expect(s.rivo.eventsFor(id)).toHaveLength(1);
    const res = await pending;
    expect(res.status).toBe(201);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
  });

  it('faults queue in order on one side only', async () => {
    const { s } = await start();
    s.failNext('yotpo', 1, '5xx');
    s.failNext('yotpo', 1, '429');
    expect((await rget(s, '/vip_tiers')).status).toBe(200);
    expect((await yget(s, '/vip_tiers')).status).toBeGreaterThanOrEqual(500);
    expect((await yget(s, '/vip_tiers')).status).toBe(429);
    expect((await yget(s, '/vip_tiers')).status).toBe(200);
  });
});

describe('faults by probability (setFaults)', () => {
  it('error5xx=1 fails every request with 500, 502 or 503 and applies nothing', async () => {
    const { s, id } = await start({ faults: { error5xx: 1 } });
    const statuses = new Set<number>();
    for (let i = 0; i < 15; i++) statuses.add((await rsend(s, 'POST', '/points_events', event(id, 1))).status);
    expect([...statuses].every((x) => [500, 502, 503].includes(x))).toBe(true);
    expect(statuses.size).toBeGreaterThan(1);
    expect(s.rivo.allEvents()).toHaveLength(0);
    s.setFaults({});
    expect((await rsend(s, 'POST', '/points_events', event(id, 1))).status).toBe(201);
  });

  it('rateLimitBurst: a burst is a few consecutive 429s', async () => {
    const { s } = await start({ faults: { rateLimitBurst: 0.15 } });
    const statuses: number[] = [];
    for (let i = 0; i < 80; i++) statuses.push((await yget(s, '/vip_tiers')).status);
    const runs = statuses.join(',').split(/,?200,?/).filter(Boolean).map((r) => r.split(',').length);
    expect(runs.length).toBeGreaterThan(0);
    expect(Math.max(...runs)).toBeGreaterThanOrEqual(2);
    expect(statuses.filter((x) => x !== 200 && x !== 429)).toEqual([]);
  });

  it('htmlError: GETs get a 200 HTML page, writes are untouched', async () => {
    const { s, id } = await start({ faults: { htmlError: 1 } });
    const res = await rget(s, `/customers/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.json).toBeUndefined();
    expect((await yget(s, '/customers/recent')).text).toMatch(/<html/i);
    expect((await rsend(s, 'POST', '/points_events', event(id, 1))).status).toBe(201);
  });

  it('lostAnswer=1 loses every write but no read', async () => {
    const { s, id } = await start({ faults: { lostAnswer: 1 } });
    expect((await rget(s, `/customers/${id}`)).status).toBe(200);
    await transportError(rsend(s, 'PUT', `/customers/${id}`, { dob: '1999-09-09' }));
    expect(s.rivo.customer(id)!.dob).toBe('1999-09-09');
  });

  it('reset=1 drops every request unapplied', async () => {
    const { s, id } = await start({ faults: { reset: 1 } });
    await transportError(rget(s, `/customers/${id}`));
    await transportError(rsend(s, 'POST', '/points_events', event(id, 1)));
    expect(s.rivo.allEvents()).toHaveLength(0);
  });

  it('slow=1 delays answers by slowMs', async () => {
    const { s } = await start({ faults: { slow: 1, slowMs: 250 } });
    const t0 = Date.now();
    expect((await yget(s, '/vip_tiers')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
  });

  it('only: faults hit the named side alone', async () => {
    const { s, id } = await start({ faults: { error5xx: 1, only: ['rivo'] } });
    expect((await yget(s, '/vip_tiers')).status).toBe(200);
    expect((await rget(s, `/customers/${id}`)).status).toBeGreaterThanOrEqual(500);
  });

  it('the same seed injects the same faults', async () => {
    const run = async () => {
      const s = await startSandbox({ customers: 5, seed: 99, faults: { error5xx: 0.3, htmlError: 0.2 } });
      try {
        const out: string[] = [];
        for (let i = 0; i < 30; i++) {
          const r = await yget(s, '/vip_tiers');
          out.push(`${r.status}${r.text.startsWith('<') ? 'h' : ''}`);
        }
        return out;
      } finally {
        await s.close();
      }
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('close() does not wait for parked slow answers', async () => {
    const { s } = await start({ faults: { slow: 1, slowMs: 20_000 } });
    const pending = yget(s, '/vip_tiers').catch(() => 'dropped');
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await pending).toBe('dropped');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RivoCustomerAttributes, type Sandbox } from '../../src/sandbox/index.js';
import { event, rget, rivoAuth, rsend } from './helpers.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ customers: 520, seed: 8, awkward: 0.2 });
});
afterAll(() => sb.close());

/** A fresh small sandbox per test that writes, so tallies are known exactly. */
async function withSandbox(fn: (s: Sandbox, c: RivoCustomerAttributes) => Promise<void>, opts: Parameters<typeof startSandbox>[0] = {}) {
  const s = await startSandbox({ customers: 20, seed: 21, awkward: 0, ...opts });
  try {
    const c = s.rivo.addCustomer({ id: 9_000_000_000_001, email: 'Pat.Doe@Example.com', points_tally: 100, lifetime_earnings_tally: null, credits_tally: '5.0' });
    await fn(s, c);
  } finally {
    await s.close();
  }
}

describe('Rivo stand-in: auth', () => {
  it('takes the raw key; Bearer, wrong or missing key are 401', async () => {
    const id = sb.shop.rivoCustomers[0]!.id;
    expect((await rget(sb, `/customers/${id}`)).status).toBe(200);
    const bearer = await rget(sb, `/customers/${id}`, { authorization: `Bearer ${sb.credentials.rivoApiKey}` });
    expect(bearer.status).toBe(401);
    expect(bearer.json).toBeTypeOf('object');
    expect((await rget(sb, `/customers/${id}`, { authorization: 'wrong' })).status).toBe(401);
    expect((await rget(sb, `/customers/${id}`, {})).status).toBe(401);
    const post = await rsend(sb, 'POST', '/points_events', event(id, 1), 'json', { authorization: `Bearer ${sb.credentials.rivoApiKey}` });
    expect(post.status).toBe(401);
    expect(sb.rivo.eventsFor(id)).toHaveLength(0);
  });
});

describe('Rivo stand-in: customers', () => {
  it('GET /customers/{id} and by URL-encoded email, case-insensitive; 404 unknown', async () => {
    const c = sb.shop.rivoCustomers[3]!;
    const byId = await rget(sb, `/customers/${c.id}`);
    expect(byId.json.data.type).toBe('customer');
    expect(byId.json.data.id).toBe(String(c.id));
    expect(byId.json.data.attributes).toEqual(c);
    expect(typeof byId.json.data.attributes.credits_tally).toBe('string');
    const byEmail = await rget(sb, `/customers/${encodeURIComponent(c.email.toUpperCase())}`);
    expect(byEmail.json.data.id).toBe(String(c.id));
    expect((await rget(sb, '/customers/1')).status).toBe(404);
    expect((await rget(sb, `/customers/${encodeURIComponent('nobody@nowhere.test')}`)).status).toBe(404);
    // Rivo does not trim: the client must.
    expect((await rget(sb, `/customers/${encodeURIComponent(` ${c.email}`)}`)).status).toBe(404);
  });

  it('cursor pagination: since_id, ascending id, next_since_id null on the last page, limit capped at 250', async () => {
    const all = sb.shop.rivoCustomers;
    expect(all.length).toBeGreaterThan(500);
    const seen: string[] = [];
    let since: number | null = 0;
    const sizes: number[] = [];
    while (since !== null) {
      const res = await rget(sb, `/customers?pagination[since_id]=${since}&pagination[limit]=1000`);
      expect(res.status).toBe(200);
      sizes.push(res.json.data.length);
      seen.push(...res.json.data.map((d: { id: string }) => d.id));
      since = res.json.links.next_since_id;
    }
    expect(sizes[0]).toBe(250);
    expect(seen).toEqual(all.map((c) => String(c.id)));
  });

  it('offset pagination: page and per_page (≤250), page ≤500', async () => {
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const res = await rget(sb, `/customers?pagination[page]=${page}&pagination[per_page]=200`);
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((d: { id: string }) => d.id));
      if (res.json.links.next === null) break;
    }
    expect(seen).toEqual(sb.shop.rivoCustomers.map((c) => String(c.id)));
    expect((await rget(sb, '/customers?pagination[page]=1&pagination[per_page]=999')).json.data).toHaveLength(250);
    expect((await rget(sb, '/customers?pagination[page]=501&pagination[per_page]=10')).status).toBe(422);
    expect((await rget(sb, '/customers?pagination[page]=0')).status).toBe(422);
  });

  it('PUT /customers/{id} sets dob from JSON or form; a bad date is 422', async () => {
    await withSandbox(async (s, c) => {
      const json = await rsend(s, 'PUT', `/customers/${c.id}`, { dob: '1990-06-28' });
      expect(json.status).toBe(200);
      expect(json.json.data.attributes.dob).toBe('1990-06-28');
      const form = await rsend(s, 'PUT', `/customers/${encodeURIComponent(c.email)}`, 'customer[dob]=1988-02-29', 'form');
      expect(form.status).toBe(200);
      expect(s.rivo.customer(c.id)!.dob).toBe('1988-02-29');
      for (const bad of ['1900-02-29', '06-28', '1990-13-01', 'yesterday']) {
        expect((await rsend(s, 'PUT', `/customers/${c.id}`, { dob: bad })).status, bad).toBe(422);
      }
      expect(s.rivo.customer(c.id)!.dob).toBe('1988-02-29');
      expect((await rsend(s, 'PUT', '/customers/42', { dob: '1990-01-01' })).status).toBe(404);
    });
  });

  it('POST /customers/{id}/vip_tier sets the tier; unknown tier 422, unknown customer 404', async () => {
    await withSandbox(async (s, c) => {
      const gold = s.rivo.tiers().find((t) => t.name === 'GOLD')!;
      const res = await rsend(s, 'POST', `/customers/${c.id}/vip_tier`, { vip_tier_id: gold.id });
      expect(res.status).toBe(200);
      expect(res.json.data.attributes.vip_tier).toEqual({ id: gold.id, name: 'GOLD' });
      expect((await rsend(s, 'POST', `/customers/${c.id}/vip_tier`, `vip_tier_id=${gold.id}`, 'form')).status).toBe(200);
      expect((await rsend(s, 'POST', `/customers/${c.id}/vip_tier`, { vip_tier_id: 1 })).status).toBe(422);
      expect((await rsend(s, 'POST', `/customers/${c.id}/vip_tier`, {})).status).toBe(422);
      expect((await rsend(s, 'POST', '/customers/42/vip_tier', { vip_tier_id: gold.id })).status).toBe(404);
    });
  });

  it('addCustomer and removeCustomer change what is served', async () => {
    await withSandbox(async (s, c) => {
      expect((await rget(s, `/customers/${c.id}`)).json.data.attributes.credits_tally).toBe('5.0');
      expect(s.rivo.removeCustomer(c.id)).toBe(true);
      expect((await rget(s, `/customers/${c.id}`)).status).toBe(404);
      expect(s.rivo.customer('pat.doe@example.com')).toBeUndefined();
    });
  });
});

describe('Rivo stand-in: VIP tiers', () => {
  it('GET /vip_tiers and /vip_tiers/{id}', async () => {
    const list = await rget(sb, '/vip_tiers');
    expect(list.json.data.map((d: { attributes: { name: string } }) => d.attributes.name)).toEqual(['Bronze', 'Silver', 'GOLD']);
    const t = list.json.data[1];
    const one = await rget(sb, `/vip_tiers/${t.id}`);
    expect(one.json.data.attributes).toEqual(expect.objectContaining({ id: Number(t.id), name: 'Silver', threshold: 1000 }));
    expect(Array.isArray(one.json.data.attributes.perks)).toBe(true);
    expect(Array.isArray(one.json.data.attributes.rewards)).toBe(true);
    expect((await rget(sb, '/vip_tiers/12345')).status).toBe(404);
  });
});

describe('Rivo stand-in: points events', () => {
  it('form with bracket keys (points_event[...]) and without nesting, JSON flat and wrapped', async () => {
    await withSandbox(async (s, c) => {
      const bracket = await rsend(
        s,
        'POST',
        '/points_events',
        `points_event[customer_identifier]=${c.id}&points_event[source]=manual&points_event[points_amount]=10&points_event[internal_note]=k1&points_event[skip_email]=true`,
        'form',
      );
      expect(bracket.status).toBe(201);
      expect(bracket.json.data.type).toBe('points_event');
      expect(bracket.json.data.attributes).toEqual(expect.objectContaining({ points_diff: 10, points_amount: 10, internal_note: 'k1', source: 'manual' }));
      const flat = await rsend(s, 'POST', '/points_events', `customer_identifier=${encodeURIComponent(c.email)}&source=manual&points_amount=-3&internal_note=k2&skip_email=true`, 'form');
      expect(flat.status).toBe(201);
      expect(flat.json.data.attributes).toEqual(expect.objectContaining({ points_diff: -3, points_amount: 3 }));
      const jsonFlat = await rsend(s, 'POST', '/points_events', event(c.id, 5, { internal_note: 'k3' }));
      expect(jsonFlat.status).toBe(201);
      const jsonWrapped = await rsend(s, 'POST', '/points_events', { points_event: event(c.id, 7, { internal_note: 'k4' }) });
      expect(jsonWrapped.status).toBe(201);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(100 + 10 - 3 + 5 + 7);
      expect(s.rivo.eventsFor(c.id).map((e) => e.internal_note)).toEqual(['k1', 'k2', 'k3', 'k4']);
    });
  });

  it('lifetime model: a positive diff raises points and lifetime, a negative one lowers points only', async () => {
    await withSandbox(async (s, c) => {
      expect(c.lifetime_earnings_tally).toBeNull();
      await rsend(s, 'POST', '/points_events', event(c.id, 850));
      let now = s.rivo.customer(c.id)!;
      expect([now.points_tally, now.lifetime_earnings_tally]).toEqual([950, 850]);
      await rsend(s, 'POST', '/points_events', event(c.id, -395));
      now = s.rivo.customer(c.id)!;
      expect([now.points_tally, now.lifetime_earnings_tally]).toEqual([555, 850]);
      const served = (await rget(s, `/customers/${c.id}`)).json.data.attributes;
      expect([served.points_tally, served.lifetime_earnings_tally]).toEqual([555, 850]);
    });
  });

  it('credits move credits_tally, served as a decimal string', async () => {
    await withSandbox(async (s, c) => {
      expect((await rsend(s, 'POST', '/points_events', { customer_identifier: c.id, source: 'manual', credits_amount: '12.50' })).status).toBe(201);
      expect(s.rivo.customer(c.id)!.credits_tally).toBe('17.5');
      expect((await rsend(s, 'POST', '/points_events', 'customer_identifier=' + c.id + '&source=manual&credits_amount=-0.25', 'form')).status).toBe(201);
      expect((await rget(s, `/customers/${c.id}`)).json.data.attributes.credits_tally).toBe('17.25');
      const ev = s.rivo.eventsFor(c.id).at(-1)!;
      expect([ev.credits_diff, ev.credits_amount, ev.points_diff]).toEqual([-0.25, 0.25, 0]);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(100);
    });
  });

  it('validation: 422 for missing or bad fields and for going negative; 404 for an unknown customer', async () => {
    await withSandbox(async (s, c) => {
      const cases: [unknown, number][] = [
        [{ source: 'manual', points_amount: 1 }, 422],
        [{ customer_identifier: c.id, points_amount: 1 }, 422],
        [{ customer_identifier: c.id, source: 'bonus', points_amount: 1 }, 422],
        [{ customer_identifier: c.id, source: 'custom_action', points_amount: 1 }, 422],
        [{ customer_identifier: c.id, source: 'manual', points_amount: 1.5 }, 422],
        [{ customer_identifier: c.id, source: 'manual', points_amount: '12abc' }, 422],
        [{ customer_identifier: c.id, source: 'manual', points_amount: 3_000_000_000 }, 422],
        [{ customer_identifier: c.id, source: 'manual' }, 422],
        [{ customer_identifier: c.id, source: 'manual', credits_amount: '1.234' }, 422],
        [{ customer_identifier: c.id, source: 'manual', points_amount: 1, applied_at: 'last week' }, 422],
        [{ customer_identifier: c.id, source: 'manual', points_amount: -101 }, 422],
        [{ customer_identifier: c.id, source: 'manual', credits_amount: '-5.01' }, 422],
        [{ customer_identifier: '424242', source: 'manual', points_amount: 1 }, 404],
        [{ customer_identifier: 'ghost@example.com', source: 'manual', points_amount: 1 }, 404],
      ];
      for (const [body, status] of cases) {
        const res = await rsend(s, 'POST', '/points_events', body);
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect(res.json, JSON.stringify(body)).toBeTypeOf('object');
      }
      expect(s.rivo.eventsFor(c.id)).toHaveLength(0);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(100);
      expect((await rsend(s, 'POST', '/points_events', '{not json')).status).toBe(400);
      // Exactly down to zero is fine; backdating keeps applied_at.
      const res = await rsend(s, 'POST', '/points_events', event(c.id, -100, { applied_at: '2024-03-01T10:00:00Z', custom_action_name: null }));
      expect(res.status).toBe(201);
      expect(res.json.data.attributes.applied_at).toBe('2024-03-01T10:00:00.000Z');
      expect(s.rivo.customer(c.id)!.points_tally).toBe(0);
    }, { rivo: { refuseNegativeBelowZero: true } });
  });

  it('skip_email: only true or "true" suppress the email; the stats count the rest', async () => {
    await withSandbox(async (s, c) => {
      const send = (extra: string) => rsend(s, 'POST', '/points_events', `customer_identifier=${c.id}&source=manual&points_amount=1${extra}`, 'form');
      await send('&skip_email=true');
      await send('&skip_email=TRUE');
      await send('');
      await send('&skip_email=false');
      await send('&skip_email=');
      await rsend(s, 'POST', '/points_events', event(c.id, 1, { skip_email: true }));
      await rsend(s, 'POST', '/points_events', event(c.id, 1, { skip_email: 'true' }));
      await rsend(s, 'POST', '/points_events', event(c.id, 1, { skip_email: 1 }));
      const st = s.stats().rivo;
      expect(st.eventsCreated).toBe(8);
      expect(st.emailsSent).toBe(4);
      expect(s.rivo.eventsFor(c.id).map((e) => e.skip_email)).toEqual(['true', 'TRUE', undefined, 'false', '', true, 'true', 1]);
    });
  });

  it('GET /points_events lists a customer’s events newest first, paged, with signed diffs', async () => {
    await withSandbox(async (s, c) => {
      for (let i = 1; i <= 7; i++) await rsend(s, 'POST', '/points_events', event(c.id, i % 3 === 0 ? -1 : i, { internal_note: `n${i}` }));
      const other = s.shop.rivoCustomers[0]!;
      await rsend(s, 'POST', '/points_events', event(other.id, 1, { internal_note: 'other' }));
      const notes: string[] = [];
      let sum = 0;
      for (let page = 1; ; page++) {
        const res = await rget(s, `/points_events?filters[customer_identifier]=${encodeURIComponent(c.email)}&pagination[page]=${page}&pagination[per_page]=3`);
        expect(res.status).toBe(200);
        for (const d of res.json.data) {
          notes.push(d.attributes.internal_note);
          sum += d.attributes.points_diff;
          expect(d.attributes.points_amount).toBe(Math.abs(d.attributes.points_diff));
          expect(Object.keys(d.attributes)).toEqual(
            expect.arrayContaining(['id', 'customer_identifier', 'credits_amount', 'credits_diff', 'source', 'external_note', 'applied_at', 'created_at', 'expires_at', 'revoked_at']),
          );
        }
        if (!res.json.links.next) break;
      }
      expect(notes).toEqual(['n7', 'n6', 'n5', 'n4', 'n3', 'n2', 'n1']);
      expect(sum).toBe(s.rivo.customer(c.id)!.points_tally - 100);
      expect((await rget(s, '/points_events?filters[customer_identifier]=ghost%40example.com')).status).toBe(404);
      expect((await rget(s, `/points_events?filters[customer_identifier]=${c.id}&pagination[per_page]=999`)).json.data).toHaveLength(7);
    });
  });
});

describe('Rivo stand-in: batch', () => {
  it('JSON batch of up to 10 applies all; 11 is 422 and applies nothing', async () => {
    await withSandbox(async (s, c) => {
      const ten = Array.from({ length: 10 }, (_, i) => event(c.id, i + 1, { internal_note: `b${i}` }));
      const ok = await rsend(s, 'POST', '/points_events/batch', { points_events: ten });
      expect(ok.status).toBe(201);
      expect(ok.json.data).toHaveLength(10);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(155);
      const eleven = await rsend(s, 'POST', '/points_events/batch', { points_events: [...ten, event(c.id, 1)] });
      expect(eleven.status).toBe(422);
      expect(s.rivo.eventsFor(c.id)).toHaveLength(10);
      expect((await rsend(s, 'POST', '/points_events/batch', { points_events: [] })).status).toBe(422);
      expect((await rsend(s, 'POST', '/points_events/batch', {})).status).toBe(422);
      const st = s.stats().rivo;
      expect(st.batchesReceived).toBe(4);
      expect(st.eventsCreated).toBe(10);
      expect(st.emailsSent).toBe(0);
    });
  });

  it('form batch with points_events[][field] keys', async () => {
    await withSandbox(async (s, c) => {
      const body =
        `points_events[][customer_identifier]=${c.id}&points_events[][source]=manual&points_events[][points_amount]=5&points_events[][internal_note]=f1&points_events[][skip_email]=true` +
        `&points_events[][customer_identifier]=${encodeURIComponent(c.email)}&points_events[][source]=manual&points_events[][points_amount]=-2&points_events[][internal_note]=f2`;
      const res = await rsend(s, 'POST', '/points_events/batch', body, 'form');
      expect(res.status).toBe(201);
      expect(s.rivo.eventsFor(c.id).map((e) => [e.internal_note, e.points_diff, e.via_batch])).toEqual([
        ['f1', 5, true],
        ['f2', -2, true],
      ]);
      // The second event did not say skip_email: it would have emailed.
      expect(s.stats().rivo.emailsSent).toBe(1);
      // The column form of the docs' field table works too.
      const columns = `points_events[customer_identifier][]=${c.id}&points_events[customer_identifier][]=${c.id}&points_events[source][]=manual&points_events[source][]=manual&points_events[points_amount][]=1&points_events[points_amount][]=2`;
      expect((await rsend(s, 'POST', '/points_events/batch', columns, 'form')).status).toBe(201);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(106);
    });
  });

  it('atomic mode: one bad item and nothing applies, 422 names it', async () => {
    await withSandbox(async (s, c) => {
      const res = await rsend(s, 'POST', '/points_events/batch', {
        points_events: [event(c.id, 5), event('424242', 5), event(c.id, -50), event(c.id, -60)],
      });
      expect(res.status).toBe(422);
      expect(res.json.errors.map((e: { index: number; status: number }) => [e.index, e.status])).toEqual([
        [1, 404],
        [3, 422],
      ]);
      expect(s.rivo.eventsFor(c.id)).toHaveLength(0);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(100);
    }, { rivo: { batchAtomicity: 'atomic', refuseNegativeBelowZero: true } });
  });

  it('partial mode: valid items apply, the answer is 422 listing the failures', async () => {
    await withSandbox(
      async (s, c) => {
        const res = await rsend(s, 'POST', '/points_events/batch', {
          points_events: [event(c.id, 5, { internal_note: 'p0' }), event(c.id, 2.5), event(c.id, -200), event(c.id, 1, { internal_note: 'p3' })],
        });
        expect(res.status).toBe(422);
        expect(res.json.errors.map((e: { index: number }) => e.index)).toEqual([1, 2]);
        expect(res.json.data).toHaveLength(2);
        expect(s.rivo.eventsFor(c.id).map((e) => e.internal_note)).toEqual(['p0', 'p3']);
        expect(s.rivo.customer(c.id)!.points_tally).toBe(106);
        s.rivo.batchMode = 'atomic';
        expect((await rsend(s, 'POST', '/points_events/batch', { points_events: [event(c.id, 1), event(c.id, 0.5)] })).status).toBe(422);
        expect(s.rivo.customer(c.id)!.points_tally).toBe(106);
      },
      { rivo: { batchMode: 'partial', refuseNegativeBelowZero: true } },
    );
  });
});

describe('Rivo stand-in: rate limit and stats', () => {
  it('rps 4: over the limit within a second is 429, Retry-After on some; the window frees after a second', async () => {
    const s = await startSandbox({ customers: 5, seed: 5, rivo: { rps: 4 } });
    try {
      const id = s.shop.rivoCustomers[0]!.id;
      const res = await Promise.all(Array.from({ length: 12 }, () => rget(s, `/customers/${id}`)));
      const statuses = res.map((r) => r.status);
      expect(statuses.filter((x) => x === 200)).toHaveLength(4);
      expect(statuses.filter((x) => x === 429)).toHaveLength(8);
      const retry = res.filter((r) => r.status === 429 && r.headers.get('retry-after') !== null);
      expect(retry.length).toBeGreaterThan(0);
      expect(retry.length).toBeLessThan(8);
      await new Promise((r) => setTimeout(r, 1050));
      expect((await rget(s, `/customers/${id}`)).status).toBe(200);
      const st = s.stats().rivo;
      expect(st.requests).toBe(13);
      expect(st.status429).toBe(8);
      expect(st.reads).toBe(5);
      expect(st.maxInAnySecond).toBe(12);
      s.resetStats();
      expect(s.stats().rivo).toEqual({ requests: 0, reads: 0, writes: 0, eventsCreated: 0, status429: 0, emailsSent: 0, emailsByCustomer: {}, batchesReceived: 0, maxInAnySecond: 0 });
    } finally {
      await s.close();
    }
  });

  it('counts reads and writes that reached a handler', async () => {
    await withSandbox(async (s, c) => {
      await rget(s, `/customers/${c.id}`);
      await rget(s, '/nope');
      await rsend(s, 'POST', '/points_events', event(c.id, 1));
      await rsend(s, 'PUT', `/customers/${c.id}`, { dob: '2000-01-01' });
      await rget(s, '/vip_tiers', {});
      const st = s.stats().rivo;
      expect([st.requests, st.reads, st.writes, st.eventsCreated]).toEqual([5, 1, 2, 1]);
    });
  });
});

it('auth header is not echoed anywhere in answers', async () => {
  const res = await rget(sb, '/customers/1', { ...rivoAuth(sb) });
  expect(res.text).not.toContain(sb.credentials.rivoApiKey);
});

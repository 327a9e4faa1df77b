import { describe, expect, it } from 'vitest';
import { startSandbox, type RivoCustomerAttributes, type Sandbox } from '../../src/sandbox/index.js';
import { RivoClient } from '../../src/rivo/client.js';
import { event, rget, rsend } from './helpers.js';

/**
 * The Rivo stand-in's behaviour switches (issue 11/12): each makes it act the other way within what Rivo documents.
 * Off by default; these tests pin the default and each switch's effect on the wire.
 */

async function withSandbox(fn: (s: Sandbox, c: RivoCustomerAttributes) => Promise<void>, opts: Parameters<typeof startSandbox>[0] = {}) {
  const s = await startSandbox({ customers: 5, seed: 31, awkward: 0, ...opts });
  try {
    const c = s.rivo.addCustomer({ id: 9_000_000_000_001, email: 'pat@example.com', points_tally: 100, credits_tally: '5.0' });
    await fn(s, c);
  } finally {
    await s.close();
  }
}

const listPage = (s: Sandbox, id: string | number, page: number, perPage: number) =>
  rget(s, `/points_events?filters[customer_identifier]=${id}&pagination[page]=${page}&pagination[per_page]=${perPage}`);

async function addEvents(s: Sandbox, id: number, n: number) {
  for (let i = 1; i <= n; i++) expect((await rsend(s, 'POST', '/points_events', event(id, i, { internal_note: `n${i}` }))).status).toBe(201);
}

describe('Rivo stand-in switches: listing', () => {
  it('default: per_page honoured up to 250, newest first', async () => {
    await withSandbox(async (s, c) => {
      await addEvents(s, c.id, 12);
      const res = await listPage(s, c.id, 1, 10);
      expect(res.json.data.map((d: any) => d.attributes.internal_note)).toEqual(['n12', 'n11', 'n10', 'n9', 'n8', 'n7', 'n6', 'n5', 'n4', 'n3']);
      expect(res.json.meta).toEqual({ page: 1, per_page: 10, total_count: 12, total_pages: 2 });
    });
  });

  it('perPageCap 7, oldest_first: short pages in creation order; links and meta say what was served', async () => {
    await withSandbox(
      async (s, c) => {
        await addEvents(s, c.id, 16);
        const first = await listPage(s, c.id, 1, 250);
        expect(first.json.data.map((d: any) => d.attributes.internal_note)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']);
        expect(first.json.meta).toEqual({ page: 1, per_page: 7, total_count: 16, total_pages: 3 });
        expect(first.json.links.next).toContain('pagination[page]=2&pagination[per_page]=7');
        const last = await listPage(s, c.id, 3, 250);
        expect(last.json.data.map((d: any) => d.attributes.internal_note)).toEqual(['n15', 'n16']);
        expect(last.json.links.next).toBeNull();
        // Switchable while running.
        s.rivo.behaviour.order = 'newest_first';
        expect((await listPage(s, c.id, 1, 250)).json.data[0].attributes.internal_note).toBe('n16');
      },
      { rivo: { perPageCap: 7, order: 'oldest_first' } },
    );
  });

  it('RivoClient.listEventsPage returns the events with the raw links and meta', async () => {
    await withSandbox(
      async (s, c) => {
        await addEvents(s, c.id, 9);
        const client = new RivoClient({ baseUrl: s.rivoUrl, apiKey: s.credentials.rivoApiKey, rps: 100, timeoutMs: 2000, maxRetries: 0 });
        try {
          const p2 = await client.listEventsPage(String(c.id), 2, 250);
          expect(p2.events.map((e) => [e.internalNote, e.pointsDiff, e.customerIdentifier])).toEqual([
            ['n5', 5, String(c.id)],
            ['n6', 6, String(c.id)],
            ['n7', 7, String(c.id)],
            ['n8', 8, String(c.id)],
          ]);
          expect(p2.meta).toEqual({ page: 2, per_page: 4, total_count: 9, total_pages: 3 });
          expect(p2.links?.next).toEqual(expect.stringContaining('pagination[page]=3'));
          expect(p2.links?.prev).toEqual(expect.stringContaining('pagination[page]=1'));
        } finally {
          await client.close();
        }
      },
      { rivo: { perPageCap: 4, order: 'oldest_first' } },
    );
  });
});

describe('Rivo stand-in switches: batches', () => {
  const batch = (id: number) => ({
    points_events: [event(id, 5, { internal_note: 'a' }), event(id, -500, { internal_note: 'b' }), event(id, 2, { internal_note: 'c' })],
  });

  it('default: partial, and a debit below zero is accepted', async () => {
    await withSandbox(async (s, c) => {
      const res = await rsend(s, 'POST', '/points_events/batch', batch(c.id));
      expect(res.status).toBe(201);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(100 + 5 - 500 + 2);
    });
  });

  it('refuseNegativeBelowZero: the debit is refused (422 naming it), the others apply (partial)', async () => {
    await withSandbox(
      async (s, c) => {
        const res = await rsend(s, 'POST', '/points_events/batch', batch(c.id));
        expect(res.status).toBe(422);
        expect(res.json.errors).toEqual([{ index: 1, status: 422, detail: 'points_tally cannot be negative' }]);
        expect(res.json.data.map((d: any) => d.attributes.internal_note)).toEqual(['a', 'c']);
        expect(s.rivo.customer(c.id)!.points_tally).toBe(107);
        // Single writes too; down to exactly zero is fine; credit alike.
        expect((await rsend(s, 'POST', '/points_events', event(c.id, -108))).status).toBe(422);
        expect((await rsend(s, 'POST', '/points_events', event(c.id, -107))).status).toBe(201);
        expect((await rsend(s, 'POST', '/points_events', { customer_identifier: c.id, source: 'manual', credits_amount: '-5.01' })).status).toBe(422);
      },
      { rivo: { refuseNegativeBelowZero: true } },
    );
  });

  it('atomic: one refused item and none apply', async () => {
    await withSandbox(
      async (s, c) => {
        const res = await rsend(s, 'POST', '/points_events/batch', batch(c.id));
        expect(res.status).toBe(422);
        expect(res.json).toEqual({ errors: [{ index: 1, status: 422, detail: 'points_tally cannot be negative' }] });
        expect(s.rivo.eventsFor(c.id)).toEqual([]);
      },
      { rivo: { batchAtomicity: 'atomic', refuseNegativeBelowZero: true } },
    );
  });

  it('batchItemErrorsIn2xx: 200 whose body lists the failed items beside the created ones', async () => {
    await withSandbox(
      async (s, c) => {
        const res = await rsend(s, 'POST', '/points_events/batch', batch(c.id));
        expect(res.status).toBe(200);
        expect(res.json.errors).toEqual([{ index: 1, status: 422, detail: 'points_tally cannot be negative' }]);
        expect(res.json.data.map((d: any) => d.attributes.internal_note)).toEqual(['a', 'c']);
        expect(s.rivo.customer(c.id)!.points_tally).toBe(107);
      },
      { rivo: { batchItemErrorsIn2xx: true, refuseNegativeBelowZero: true } },
    );
  });

  it('refuseEvent hook refuses one chosen event in single and batch writes', async () => {
    await withSandbox(async (s, c) => {
      s.rivo.refuseEvent = (e) => (e.internalNote === 'b' ? 'refused by the test' : undefined);
      const res = await rsend(s, 'POST', '/points_events/batch', batch(c.id));
      expect(res.status).toBe(422);
      expect(res.json.errors).toEqual([{ index: 1, status: 422, detail: 'refused by the test' }]);
      expect((await rsend(s, 'POST', '/points_events', event(c.id, 1, { internal_note: 'b' }))).status).toBe(422);
      expect(s.rivo.eventsFor(c.id).map((e) => e.internal_note)).toEqual(['a', 'c']);
    });
  });
});

describe('Rivo stand-in switches: notes and emails', () => {
  it('notePrefix: the stored note comes back prefixed', async () => {
    await withSandbox(
      async (s, c) => {
        await rsend(s, 'POST', '/points_events', event(c.id, 1, { internal_note: 'y2r:k1' }));
        expect((await listPage(s, c.id, 1, 10)).json.data[0].attributes.internal_note).toBe('ops@shop.example: y2r:k1');
      },
      { rivo: { notePrefix: 'ops@shop.example: ' } },
    );
  });

  it('emails are counted per customer; by default skip_email is honoured by both endpoints', async () => {
    await withSandbox(async (s, c) => {
      await rsend(s, 'POST', '/points_events/batch', { points_events: [event(c.id, 1, { skip_email: true })] });
      await rsend(s, 'POST', '/points_events', event(c.id, 1, { skip_email: true }));
      await rsend(s, 'POST', '/points_events', event(c.id, 1, { skip_email: false }));
      expect(s.stats().rivo.emailsSent).toBe(1);
      expect(s.stats().rivo.emailsByCustomer).toEqual({ [String(c.id)]: 1 });
    });
  });

  it('batchIgnoresSkipEmail: every batch event emails; single events still honour skip_email', async () => {
    await withSandbox(
      async (s, c) => {
        await rsend(s, 'POST', '/points_events/batch', { points_events: [event(c.id, 1, { skip_email: true }), event(c.id, 2, { skip_email: 'true' })] });
        await rsend(s, 'POST', '/points_events', event(c.id, 1, { skip_email: true }));
        expect(s.stats().rivo.emailsSent).toBe(2);
        expect(s.stats().rivo.emailsByCustomer).toEqual({ [String(c.id)]: 2 });
        expect(s.rivo.eventsFor(c.id).map((e) => e.emailed)).toEqual([true, true, false]);
      },
      { rivo: { batchIgnoresSkipEmail: true } },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { startSandbox, type RivoCustomerAttributes, type Sandbox } from '../../src/sandbox/index.js';
import { rget, rsend } from './helpers.js';

/**
 * The Rivo stand-in's earning rules and awards, on the wire (seed 003): the listing with categories, 201 with the
 * granted points (rule points × the VIP multiplier) raising points and lifetime, 409 on a second award, pending with
 * points_due_at, 403/404/422, the customer notified, and the other award path behind `awardPath`.
 */

async function withSandbox(fn: (s: Sandbox, c: RivoCustomerAttributes) => Promise<void>, opts: Parameters<typeof startSandbox>[0] = {}) {
  const s = await startSandbox({ customers: 3, seed: 41, awkward: 0, ...opts });
  try {
    const c = s.rivo.addCustomer({ id: 9_000_000_000_001, email: 'pat@example.com', points_tally: 100, lifetime_earnings_tally: 100, vip_tier: { id: 9003 } });
    await fn(s, c);
  } finally {
    await s.close();
  }
}

const award = (s: Sandbox, rule: string, identifier: unknown) => rsend(s, 'POST', `/earning_rules/${rule}/award`, { customer_identifier: identifier });

describe('Rivo stand-in: earning rules and awards', () => {
  it('lists the rules with their categories', async () => {
    await withSandbox(async (s) => {
      const res = await rget(s, '/earning_rules');
      expect(res.status).toBe(200);
      expect(res.json.data.map((d: any) => [d.id, d.attributes.category, d.attributes.points, d.attributes.active])).toEqual([
        ['rule_signup', 'engagement', 100, true],
        ['rule_instagram', 'social', 50, true],
        ['rule_facebook', 'social', 40, true],
        ['rule_newsletter', 'engagement', 75, true],
        ['rule_review', 'engagement', 200, true],
        ['rule_tiktok', 'social', 30, false],
        ['rule_purchase', 'purchase', 5, true],
        ['rule_birthday', 'birthday', 100, true],
      ]);
    });
  });

  it('201 grants rule points × the tier multiplier (GOLD ×2) to points and lifetime, emails; a second award is 409', async () => {
    await withSandbox(async (s, c) => {
      const first = await award(s, 'rule_instagram', 'pat@example.com');
      expect(first.status).toBe(201);
      expect(first.json.data).toMatchObject({ type: 'earning_history_entry', attributes: { earning_rule_id: 'rule_instagram', points: 100, base_points: 50, points_multiplier: 2, status: 'approved', points_due_at: null } });
      expect(s.rivo.customer(c.id)).toMatchObject({ points_tally: 200, lifetime_earnings_tally: 200 });
      const listed = await rget(s, `/points_events?filters[customer_identifier]=${c.id}`);
      expect(listed.json.data[0].attributes).toMatchObject({ points_diff: 100, source: 'instagram_follow', internal_note: 'Earning rule rule_instagram: Follow on Instagram' });
      expect(s.stats().rivo.emailsSent).toBe(1);
      const second = await award(s, 'rule_instagram', String(c.id));
      expect(second.status).toBe(409);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(200);
    });
  });

  it('a rule with an approval time is pending with points_due_at, and grants nothing yet', async () => {
    await withSandbox(async (s, c) => {
      const res = await award(s, 'rule_review', String(c.id));
      expect(res.status).toBe(201);
      expect(res.json.data.attributes).toMatchObject({ status: 'pending', points: 400, points_given_at: null });
      expect(Date.parse(res.json.data.attributes.points_due_at) - Date.parse(res.json.data.attributes.created_at)).toBe(7 * 86_400_000);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(100);
      expect((await award(s, 'rule_review', String(c.id))).status).toBe(409);
    });
  });

  it('403 excluded customer, 404 unknown customer or inactive rule, 422 category not awardable, 400 no identifier', async () => {
    await withSandbox(async (s, c) => {
      expect((await award(s, 'rule_signup', 'nobody@example.com')).status).toBe(404);
      expect((await award(s, 'rule_nope', String(c.id))).status).toBe(404);
      expect((await award(s, 'rule_tiktok', String(c.id))).status).toBe(404);
      expect((await award(s, 'rule_purchase', String(c.id))).status).toBe(422);
      expect((await rsend(s, 'POST', '/earning_rules/rule_signup/award', {})).status).toBe(400);
      s.rivo.earning.excluded.add(c.id);
      expect((await award(s, 'rule_signup', String(c.id))).status).toBe(403);
      expect(s.rivo.customer(c.id)!.points_tally).toBe(100);
      expect(s.rivo.earning.awards()).toEqual([]);
    });
  });

  it('awardPath "customers": the modelled path is a 404 Not Found, the other one awards', async () => {
    await withSandbox(
      async (s, c) => {
        const modelled = await award(s, 'rule_signup', String(c.id));
        expect(modelled.status).toBe(404);
        expect(modelled.json).toEqual({ error: 'Not Found' });
        const other = await rsend(s, 'POST', `/customers/${c.id}/earning_rules/rule_signup/award`, {});
        expect(other.status).toBe(201);
        expect(s.rivo.customer(c.id)!.points_tally).toBe(300);
      },
      { rivo: { awardPath: 'customers' } },
    );
  });

  it('a lost answer after the award committed: applied, no answer; a second try is 409', async () => {
    await withSandbox(async (s, c) => {
      s.failNext('rivo', 1, 'lostAnswer');
      await expect(award(s, 'rule_signup', String(c.id))).rejects.toThrow();
      expect(s.rivo.customer(c.id)!.points_tally).toBe(300);
      expect((await award(s, 'rule_signup', String(c.id))).status).toBe(409);
    });
  });
});

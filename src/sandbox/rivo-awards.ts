import type { RivoEventRecord } from './types.js';

/**
 * Rivo's earning rules and the award of one to a customer (rivo-api.md "Earning rules and one-time actions", seed
 * 003): social and engagement rules only, points = the rule's points × the customer's VIP tier multiplier, once per
 * customer per rule (409), `pending` with `points_due_at` for a rule with an approval time, 403 for an excluded
 * customer, 404 for an unknown customer or an inactive rule, 422 for a category the API cannot award.
 *
 * An approved award is booked as a points event the customer's listing shows (in Rivo every change of a tally is an
 * event), with `internal_note` "Earning rule <id>: <name>" (how the tool finds it: src/rivo/awards.ts), and the
 * customer is notified: the award endpoint takes no skip_email.
 */

export type EarningRuleCategory = 'social' | 'engagement' | 'purchase' | 'birthday' | 'anniversary' | 'referral';

export interface EarningRuleRecord {
  id: string;
  name: string;
  category: EarningRuleCategory;
  /** Rivo's action name, e.g. `follow_on_instagram`. */
  action: string;
  points: number;
  active: boolean;
  /** Days before an awarded rule's points are approved; 0: at once. */
  approval_time: number;
  /** The `source` of the points event an approved award books. */
  source: string;
}

/** What an award created, as the 201 answer serves it (seed 003). */
export interface AwardRecord {
  id: string;
  customer_id: number;
  earning_rule_id: string;
  action: string;
  points: number;
  base_points: number;
  points_multiplier: number;
  status: 'approved' | 'pending';
  points_given_at: string | null;
  points_due_at: string | null;
  points_expiry_at: string | null;
  created_at: string;
  updated_at: string;
  /** The points event it booked (approved only). */
  event_id: number | null;
}

/** Categories the API may award (seed 003: "Only social and engagement category rules can be awarded via the API"). */
export const AWARDABLE_CATEGORIES: readonly EarningRuleCategory[] = ['social', 'engagement'];

export const DEFAULT_EARNING_RULES: readonly EarningRuleRecord[] = [
  { id: 'rule_signup', name: 'Create an account', category: 'engagement', action: 'create_account', points: 100, active: true, approval_time: 0, source: 'custom_action' },
  { id: 'rule_instagram', name: 'Follow on Instagram', category: 'social', action: 'follow_on_instagram', points: 50, active: true, approval_time: 0, source: 'instagram_follow' },
  { id: 'rule_facebook', name: 'Like us on Facebook', category: 'social', action: 'facebook_like', points: 40, active: true, approval_time: 0, source: 'facebook_like' },
  { id: 'rule_newsletter', name: 'Subscribe to the newsletter', category: 'engagement', action: 'newsletter_signup', points: 75, active: true, approval_time: 0, source: 'custom_action' },
  { id: 'rule_review', name: 'Write a review', category: 'engagement', action: 'product_review', points: 200, active: true, approval_time: 7, source: 'custom_action' },
  { id: 'rule_tiktok', name: 'Follow on TikTok', category: 'social', action: 'tiktok_follow', points: 30, active: false, approval_time: 0, source: 'tiktok_follow' },
  { id: 'rule_purchase', name: 'Make a purchase', category: 'purchase', action: 'purchase', points: 5, active: true, approval_time: 0, source: 'custom_action' },
  { id: 'rule_birthday', name: 'Birthday', category: 'birthday', action: 'birthday', points: 100, active: true, approval_time: 0, source: 'custom_action' },
];

/** VIP multipliers of the generated shop's tiers (shop.ts RIVO_TIERS): Bronze ×1, Silver ×1.5, GOLD ×2. */
export const DEFAULT_TIER_MULTIPLIERS: Readonly<Record<number, number>> = { 9001: 1, 9002: 1.5, 9003: 2 };

/** The few things of a customer an award needs from the rest of the store (RivoState). */
export interface AwardStore {
  resolve(identifier: string): { id: number; tierId: number | null } | undefined;
  bookAward(customerId: number, points: number, source: string, internalNote: string, externalNote: string, now: Date): RivoEventRecord;
}

export type AwardOutcome = { status: 201; award: AwardRecord } | { status: 400 | 403 | 404 | 409 | 422 | 503; error: string };

const DAY_MS = 86_400_000;

export class EarningRules {
  private readonly rules: EarningRuleRecord[];
  readonly multipliers: Map<number, number>;
  /** Shopify ids of customers excluded from the loyalty program (403 on an award). */
  readonly excluded = new Set<number>();
  private readonly awarded: AwardRecord[] = [];
  /** Test hook: the next this-many awards answer 503 without applying (the fault injector hits any request). */
  failNext5xx = 0;
  private nextId = 1;

  constructor(
    private readonly store: AwardStore,
    rules: readonly EarningRuleRecord[] = DEFAULT_EARNING_RULES,
    multipliers: Readonly<Record<number, number>> = DEFAULT_TIER_MULTIPLIERS,
  ) {
    this.rules = rules.map((r) => ({ ...r }));
    this.multipliers = new Map(Object.entries(multipliers).map(([k, v]) => [Number(k), v]));
  }

  list(): EarningRuleRecord[] {
    return this.rules.map((r) => ({ ...r }));
  }

  rule(id: string): EarningRuleRecord | undefined {
    return this.rules.find((r) => r.id === id);
  }

  /** Adds or replaces a rule (tests). */
  put(rule: EarningRuleRecord): void {
    const i = this.rules.findIndex((r) => r.id === rule.id);
    if (i >= 0) this.rules[i] = { ...rule };
    else this.rules.push({ ...rule });
  }

  /** Every award made, oldest first (copies), for tests. */
  awards(customerId?: number): AwardRecord[] {
    return this.awarded.filter((a) => customerId === undefined || a.customer_id === customerId).map((a) => ({ ...a }));
  }

  /** Marks a customer as having earned a rule before (an award from outside the migration), with no points event. */
  markAwarded(customerId: number, ruleId: string, now = new Date()): void {
    const rule = this.rule(ruleId);
    if (!rule) throw new Error(`sandbox: no earning rule ${ruleId}`);
    this.awarded.push(this.record(customerId, rule, 1, 'approved', now, null));
  }

  award(ruleId: string, identifier: unknown, now: Date): AwardOutcome {
    if (this.failNext5xx > 0) {
      this.failNext5xx--;
      return { status: 503, error: 'Service Unavailable' };
    }
    if (typeof identifier !== 'string' && typeof identifier !== 'number') return { status: 400, error: 'customer_identifier is missing' };
    const ident = String(identifier).trim();
    if (ident === '') return { status: 400, error: 'customer_identifier is missing' };
    const customer = this.store.resolve(ident);
    if (!customer) return { status: 404, error: 'Customer not found' };
    const rule = this.rule(ruleId);
    if (!rule || !rule.active) return { status: 404, error: 'Earning rule not found' };
    if (this.excluded.has(customer.id)) return { status: 403, error: 'Customer is excluded from the loyalty program' };
    if (!AWARDABLE_CATEGORIES.includes(rule.category)) return { status: 422, error: `Earning rules of category ${rule.category} cannot be awarded via the API` };
    if (this.awarded.some((a) => a.customer_id === customer.id && a.earning_rule_id === rule.id))
      return { status: 409, error: 'Customer has already been awarded points for this earning rule' };
    const multiplier = customer.tierId === null ? 1 : (this.multipliers.get(customer.tierId) ?? 1);
    if (rule.approval_time > 0) {
      const award = this.record(customer.id, rule, multiplier, 'pending', now, null);
      this.awarded.push(award);
      return { status: 201, award: { ...award } };
    }
    const points = Math.round(rule.points * multiplier);
    const event = this.store.bookAward(customer.id, points, rule.source, `Earning rule ${rule.id}: ${rule.name}`, rule.name, now);
    const award = this.record(customer.id, rule, multiplier, 'approved', now, event.id);
    this.awarded.push(award);
    return { status: 201, award: { ...award } };
  }

  private record(customerId: number, rule: EarningRuleRecord, multiplier: number, status: 'approved' | 'pending', now: Date, eventId: number | null): AwardRecord {
    const at = now.toISOString();
    return {
      id: `cer_${(this.nextId++).toString(36).padStart(6, '0')}`,
      customer_id: customerId,
      earning_rule_id: rule.id,
      action: rule.action,
      points: Math.round(rule.points * multiplier),
      base_points: rule.points,
      points_multiplier: multiplier,
      status,
      points_given_at: status === 'approved' ? at : null,
      points_due_at: status === 'pending' ? new Date(now.getTime() + rule.approval_time * DAY_MS).toISOString() : null,
      points_expiry_at: null,
      created_at: at,
      updated_at: at,
      event_id: eventId,
    };
  }
}

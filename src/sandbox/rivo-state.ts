import { centsToRivo, decimalToCents } from './money.js';
import { applyBatch, type BatchResult, type Refusal, type Tallies } from './rivo-batch.js';
import { rivoBehaviour, type BatchMode, type RivoBehaviour } from './rivo-behaviour.js';
import { parseEventInput, type EventInput } from './rivo-events.js';
import { EarningRules, type EarningRuleRecord } from './rivo-awards.js';
import type { RivoCustomerAttributes, RivoEventRecord, RivoTierRecord } from './types.js';

export { DEFAULT_RIVO_BEHAVIOUR, type BatchMode, type RivoBehaviour } from './rivo-behaviour.js';
export { isRefusal, type BatchFailure, type BatchResult, type Refusal } from './rivo-batch.js';

/**
 * Rivo's side of the store: customers, tiers and the points ledger, with the modelled lifetime behaviour
 * (rivo-api.md): a positive points_diff raises points_tally and lifetime_earnings_tally, a negative one lowers
 * points_tally only. Credits are kept in cents. How it behaves where Rivo's docs say nothing is switched by
 * `behaviour` (`rivo-behaviour.ts`); how a batch is applied is `rivo-batch.ts`.
 */

interface Customer {
  id: number;
  email: string;
  first_name: string | null;
  last_name: string | null;
  points: number;
  lifetime: number | null;
  creditsCents: number;
  loyalty_status: 'member' | 'guest';
  tierId: number | null;
  dob: string | null;
  points_expire_at: string | null;
  referral_code: string;
  orders_count: number;
  total_spent: number;
}

export interface RivoStateHooks {
  onEventCreated?: (event: RivoEventRecord) => void;
}

export type RivoCustomerInput = Partial<Omit<RivoCustomerAttributes, 'vip_tier'>> & {
  email: string;
  vip_tier?: { id: number; name?: string } | null;
};

const FIRST_EVENT_ID = 24_000_001;
const FIRST_OPENING_ID = 10_000_001;
/** When the generated customers' opening balances were booked: before anything a test or the tool does. */
const OPENING_AT = '2024-01-01T00:00:00.000Z';

export class RivoState {
  private readonly byId = new Map<number, Customer>();
  private sortedIds: number[] | undefined;
  private emailIndex: Map<string, number> | undefined;
  private readonly events: RivoEventRecord[] = [];
  private readonly eventsByCustomer = new Map<number, RivoEventRecord[]>();
  /**
   * The event that booked each customer's starting balance. In Rivo every change of a tally is an event, so a
   * customer's listed events add up to their tallies; these are listed (oldest) but are not part of `eventsFor`,
   * `allEvents` or the stats, which describe what happened since the sandbox started.
   */
  private readonly openingByCustomer = new Map<number, RivoEventRecord>();
  private nextOpeningId = FIRST_OPENING_ID;
  private readonly tierList: RivoTierRecord[];
  private nextEventId = FIRST_EVENT_ID;
  /** The switches above; tests may change them between requests. */
  readonly behaviour: RivoBehaviour;
  /**
   * Test hook: a refusal for one event (e.g. refuse the second half of a customer's pair), checked after the
   * built-in validation, in single and batch writes alike. Undefined: no extra refusals.
   */
  refuseEvent: ((event: { customerId: number; pointsDiff: number; creditsDiffCents: number; internalNote: string | null }) => string | undefined) | undefined;

  private readonly hooks: RivoStateHooks;
  /** Earning rules, VIP multipliers and awards (rivo-awards.ts). */
  readonly earning: EarningRules;

  constructor(
    customers: readonly RivoCustomerAttributes[],
    tiers: readonly RivoTierRecord[],
    options: { behaviour?: Partial<RivoBehaviour>; hooks?: RivoStateHooks; earningRules?: readonly EarningRuleRecord[] } = {},
  ) {
    this.hooks = options.hooks ?? {};
    this.earning = new EarningRules(
      {
        resolve: (identifier) => this.resolve(identifier),
        bookAward: (customerId, points, source, internalNote, externalNote, now) =>
          this.apply(
            { customerIdentifier: String(customerId), source, pointsDiff: points, creditsDiffCents: 0, internalNote, externalNote, customActionName: null, appliedAt: now.toISOString(), expiresAt: null, skipEmailRaw: undefined, skipEmail: false },
            now,
            false,
          ),
      },
      options.earningRules,
    );
    this.tierList = tiers.map((t) => structuredClone(t));
    this.behaviour = rivoBehaviour(options.behaviour);
    for (const c of customers) this.addCustomer(c);
  }

  /** The older name of `behaviour.batchAtomicity`, kept for the tests that set it. */
  get batchMode(): BatchMode {
    return this.behaviour.batchAtomicity;
  }

  set batchMode(mode: BatchMode) {
    this.behaviour.batchAtomicity = mode;
  }

  // --- inspection, for tests ---

  /** Attributes as served, by Shopify id or email (case-insensitive); undefined when unknown. */
  customer(idOrEmail: string | number): RivoCustomerAttributes | undefined {
    const c = this.resolve(String(idOrEmail));
    return c ? this.attributes(c) : undefined;
  }

  customers(): RivoCustomerAttributes[] {
    return this.ids().map((id) => this.attributes(this.byId.get(id) as Customer));
  }

  /** Every event of the customer, oldest first, including fields the API does not serve (skip_email as received). */
  eventsFor(customer: string | number): RivoEventRecord[] {
    const c = this.resolve(String(customer));
    const id = c?.id ?? Number(customer);
    return (this.eventsByCustomer.get(id) ?? []).map((e) => ({ ...e }));
  }

  allEvents(): RivoEventRecord[] {
    return this.events.map((e) => ({ ...e }));
  }

  tiers(): RivoTierRecord[] {
    return this.tierList.map((t) => structuredClone(t));
  }

  // --- mutation, for tests ---

  /** Adds (or replaces) a customer; missing fields get neutral values, the id the next free one. */
  addCustomer(input: RivoCustomerInput): RivoCustomerAttributes {
    const id = input.id ?? (this.ids().at(-1) ?? 6_000_000_000_000) + 1;
    const credits = input.credits_tally === undefined ? 0 : decimalToCents(input.credits_tally);
    if (credits === undefined) throw new Error(`sandbox: bad credits_tally ${JSON.stringify(input.credits_tally)}`);
    const c: Customer = {
      id,
      email: input.email,
      first_name: input.first_name ?? null,
      last_name: input.last_name ?? null,
      points: input.points_tally ?? 0,
      lifetime: input.lifetime_earnings_tally === undefined ? null : input.lifetime_earnings_tally,
      creditsCents: credits,
      loyalty_status: input.loyalty_status ?? 'member',
      tierId: input.vip_tier?.id ?? null,
      dob: input.dob ?? null,
      points_expire_at: input.points_expire_at ?? null,
      referral_code: input.referral_code ?? `ref${id.toString(36)}`,
      orders_count: input.orders_count ?? 0,
      total_spent: input.total_spent ?? 0,
    };
    this.byId.set(id, c);
    this.invalidate();
    this.openingByCustomer.delete(id);
    if (c.points !== 0 || c.creditsCents !== 0) this.openingByCustomer.set(id, this.openingEvent(c));
    return this.attributes(c);
  }

  private openingEvent(c: Customer): RivoEventRecord {
    return {
      id: this.nextOpeningId++,
      customer_id: c.id,
      customer_identifier: String(c.id),
      source: 'manual',
      points_amount: Math.abs(c.points),
      points_diff: c.points,
      credits_amount: Math.abs(c.creditsCents) / 100,
      credits_diff: c.creditsCents / 100,
      internal_note: 'Opening balance',
      external_note: null,
      custom_action_name: null,
      applied_at: OPENING_AT,
      created_at: OPENING_AT,
      expires_at: null,
      revoked_at: null,
      skip_email: true,
      via_batch: false,
      emailed: false,
    };
  }

  removeCustomer(id: string | number): boolean {
    const c = this.resolve(String(id));
    if (!c) return false;
    this.byId.delete(c.id);
    this.invalidate();
    return true;
  }

  // --- what the server needs ---

  /** Shopify id (digits) or email; emails match case-insensitively but are not trimmed (the client must trim). */
  resolve(identifier: string): Customer | undefined {
    if (identifier.includes('@')) {
      if (!this.emailIndex) {
        this.emailIndex = new Map();
        // Ascending id, first wins: a store with two customers on one email resolves to the older one.
        for (const id of this.ids()) {
          const key = (this.byId.get(id) as Customer).email.toLowerCase();
          if (!this.emailIndex.has(key)) this.emailIndex.set(key, id);
        }
      }
      const id = this.emailIndex.get(identifier.toLowerCase());
      return id === undefined ? undefined : this.byId.get(id);
    }
    if (!/^\d+$/.test(identifier)) return undefined;
    return this.byId.get(Number(identifier));
  }

  private invalidate(): void {
    this.sortedIds = undefined;
    this.emailIndex = undefined;
  }

  ids(): number[] {
    this.sortedIds ??= [...this.byId.keys()].sort((a, b) => a - b);
    return this.sortedIds;
  }

  attributes(c: Customer): RivoCustomerAttributes {
    const tier = c.tierId === null ? undefined : this.tierList.find((t) => t.id === c.tierId);
    return {
      id: c.id,
      email: c.email,
      first_name: c.first_name,
      last_name: c.last_name,
      points_tally: c.points,
      credits_tally: centsToRivo(c.creditsCents),
      lifetime_earnings_tally: c.lifetime,
      loyalty_status: c.loyalty_status,
      vip_tier: tier ? { id: tier.id, name: tier.name } : null,
      dob: c.dob,
      points_expire_at: c.points_expire_at,
      referral_code: c.referral_code,
      orders_count: c.orders_count,
      total_spent: c.total_spent,
    };
  }

  tier(id: number): RivoTierRecord | undefined {
    return this.tierList.find((t) => t.id === id);
  }

  setTier(identifier: string, tierId: unknown): RivoCustomerAttributes | Refusal {
    const c = this.resolve(identifier);
    if (!c) return { status: 404, errors: ['Customer not found'] };
    const n = typeof tierId === 'number' ? tierId : typeof tierId === 'string' && /^\d+$/.test(tierId.trim()) ? Number(tierId) : Number.NaN;
    if (!Number.isInteger(n)) return { status: 422, errors: ["vip_tier_id can't be blank"] };
    if (!this.tier(n)) return { status: 422, errors: [`VIP tier ${n} does not exist`] };
    c.tierId = n;
    return this.attributes(c);
  }

  setDob(identifier: string, dob: unknown): RivoCustomerAttributes | Refusal {
    const c = this.resolve(identifier);
    if (!c) return { status: 404, errors: ['Customer not found'] };
    if (dob === null || dob === '') {
      c.dob = null;
      return this.attributes(c);
    }
    if (this.behaviour.dobMonthDayOnly) {
      if (typeof dob !== 'string' || !/^\d{2}-\d{2}$/.test(dob) || !isCalendarDate(`2000-${dob}`)) return { status: 422, errors: ['dob must be a month and day (MM-DD)'] };
      c.dob = dob;
      return this.attributes(c);
    }
    if (typeof dob !== 'string' || !isCalendarDate(dob)) return { status: 422, errors: ['dob must be a valid date (YYYY-MM-DD)'] };
    c.dob = dob;
    return this.attributes(c);
  }

  /** Events of a customer (or of the store), in the order the listing serves them (`behaviour.order`). */
  eventsListed(customerId: number | undefined): RivoEventRecord[] {
    const opening = customerId === undefined ? [...this.openingByCustomer.values()] : [this.openingByCustomer.get(customerId)].filter((e) => e !== undefined);
    const list = [...opening, ...(customerId === undefined ? this.events : (this.eventsByCustomer.get(customerId) ?? []))];
    return this.behaviour.order === 'oldest_first' ? list : list.reverse();
  }

  /** Events of a customer, newest first. */
  eventsNewestFirst(customerId: number | undefined): RivoEventRecord[] {
    const list = customerId === undefined ? this.events : (this.eventsByCustomer.get(customerId) ?? []);
    return [...list].reverse();
  }

  createEvent(raw: unknown, now: Date): RivoEventRecord | Refusal {
    const parsed = parseEventInput(raw, now);
    if (!parsed.ok) return { status: 422, errors: parsed.errors };
    const refusal = this.check(parsed.value, new Map());
    if (refusal) return refusal;
    return this.apply(parsed.value, now, false);
  }

  /** A batch, applied as `behaviour.batchAtomicity` says (`rivo-batch.ts`). */
  createBatch(items: unknown[], now: Date): BatchResult {
    return applyBatch(
      items.map((raw) => parseEventInput(raw, now)),
      this.behaviour,
      {
        check: (input, tallies) => this.check(input, tallies),
        apply: (input) => this.apply(input, now, true),
        balances: (input) => this.resolve(input.customerIdentifier),
      },
    );
  }

  /**
   * Can the event apply? Unknown customer → 404; a debit below zero points or credit → 422 only when
   * `refuseNegativeBelowZero` is on (Rivo does not document it; the modelled default accepts it). `tallies` carries
   * the effect of earlier items of the same batch; it is updated when the item passes.
   */
  private check(input: EventInput, tallies: Tallies): Refusal | undefined {
    const c = this.resolve(input.customerIdentifier);
    if (!c) return { status: 404, errors: [`Customer not found: ${input.customerIdentifier}`] };
    const t = tallies.get(c.id) ?? { points: c.points, creditsCents: c.creditsCents };
    if (input.expiresAt !== null && this.behaviour.expiresAtRefused) return { status: 422, errors: ['expires_at is not a permitted parameter'] };
    if (this.behaviour.refuseNegativeBelowZero) {
      if (input.pointsDiff < 0 && t.points + input.pointsDiff < 0) return { status: 422, errors: ['points_tally cannot be negative'] };
      if (input.creditsDiffCents < 0 && t.creditsCents + input.creditsDiffCents < 0) return { status: 422, errors: ['credits_tally cannot be negative'] };
    }
    const refused = this.refuseEvent?.({
      customerId: c.id,
      pointsDiff: input.pointsDiff,
      creditsDiffCents: input.creditsDiffCents,
      internalNote: input.internalNote,
    });
    if (refused !== undefined) return { status: 422, errors: [refused] };
    tallies.set(c.id, { points: t.points + input.pointsDiff, creditsCents: t.creditsCents + input.creditsDiffCents });
    return undefined;
  }

  private apply(input: EventInput, now: Date, viaBatch: boolean): RivoEventRecord {
    const c = this.resolve(input.customerIdentifier) as Customer;
    c.points += input.pointsDiff;
    if (input.pointsDiff > 0 || (input.pointsDiff < 0 && this.behaviour.lifetimeNet)) c.lifetime = (c.lifetime ?? 0) + input.pointsDiff;
    c.creditsCents += input.creditsDiffCents;
    const event: RivoEventRecord = {
      id: this.nextEventId++,
      customer_id: c.id,
      customer_identifier: input.customerIdentifier,
      source: input.source,
      points_amount: Math.abs(input.pointsDiff),
      points_diff: input.pointsDiff,
      credits_amount: Math.abs(input.creditsDiffCents) / 100,
      credits_diff: input.creditsDiffCents / 100,
      internal_note: input.internalNote === null ? null : `${this.behaviour.notePrefix}${input.internalNote}`,
      external_note: input.externalNote,
      custom_action_name: input.customActionName,
      applied_at: input.appliedAt,
      created_at: now.toISOString(),
      expires_at: this.behaviour.expiresAtIgnored ? null : input.expiresAt,
      revoked_at: null,
      skip_email: input.skipEmailRaw,
      via_batch: viaBatch,
      emailed: !input.skipEmail || (viaBatch && this.behaviour.batchIgnoresSkipEmail),
    };
    this.events.push(event);
    const list = this.eventsByCustomer.get(c.id) ?? [];
    list.push(event);
    this.eventsByCustomer.set(c.id, list);
    this.hooks.onEventCreated?.({ ...event });
    return event;
  }
}

function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

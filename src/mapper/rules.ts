import type { Config } from '../config/schema.js';
import type { EventKind, EventRole, PlannedEvent, RivoCustomerSnapshot, RivoTier, YotpoCustomer } from '../domain.js';
import { birthdayFromYotpo, sameBirthday } from './dob.js';
import { carriesExpiry, expiryFor } from './expiry.js';
import { eventKey, noteWithKey } from './keys.js';
import { foldEvents, lifetimeEffect, rivoShows, type LifetimeModel, type MigratedSoFar } from './migrated.js';
import { replayHistory, type HistoryInput } from './history.js';
import { matchTier } from './tiers.js';
import { formatCents } from '../util/money.js';

/**
 * The outcome rules of migration-semantics.md as a pure function of one customer: Yotpo's values, Rivo as first
 * observed, and what the ledger says this migration already posted. It returns only what is still owed (a delta),
 * so running it again after the plan was applied owes nothing.
 *
 * Notation: B = pointsBalance, L = pointsEarned, C = creditCents, P0 = Rivo points before the migration.
 */

export interface PlanInput {
  customer: YotpoCustomer;
  rivo: RivoCustomerSnapshot;
  tiers: readonly RivoTier[];
  migrated: MigratedSoFar;
  mapping: Config['mapping'];
  dobUnknownYear: number;
  migrationName: string;
  migrationId: string;
  /** ISO 8601; the only clock the mapper knows. */
  now: string;
  /** Whether the earn event carries Yotpo's expiry as `expires_at` (decided by `rivo/expiry.ts`); default false. */
  sendExpiry?: boolean;
  /** mapping.history: the customer's stored Yotpo history; undefined when history is off. */
  history?: HistoryInput;
  /** Yotpo points of the history items left out of `history` because a one-time action award stands for them. */
  historyAwardedPoints?: number;
}

export interface CustomerPlan {
  events: PlannedEvent[];
  state: 'pending' | 'nothing_to_migrate';
  /** Warnings a merchant reads: lifetime inexact, tier unmapped, skipped and why… */
  notes: string[];
  /** Generation the events of this plan carry (migrated.generations + 1). */
  generation: number;
  /**
   * With history on, for a customer's first plan: `replayed (N events)` or `fallback: <reason>`. Absent when history
   * is off, the customer is skipped, or something was already posted (deltas never replay).
   */
  history?: string;
  target: {
    /** Net points the migration should have added in total. */
    points: number;
    /** Lifetime increase intended in total. */
    lifetime: number;
    creditsCents: number;
  };
  /** Rivo after the ledger's past events and this plan's, under the configured lifetime model. */
  predicted: {
    pointsTally: number;
    lifetimeTally: number | null;
    creditsCents: number;
    tierName: string | null;
    dob: string | null;
  };
}

export interface PointsPart {
  role: Extract<EventRole, 'earned' | 'spent' | 'balance'>;
  amount: number;
}

/**
 * How a points delta is posted. dN: net points owed; dL: lifetime increase owed.
 * - strategy `balance`, or a Rivo where negative events lower lifetime (lifetime then always moves with the net):
 *   one `balance` event of dN.
 * - the modelled Rivo (positive events raise lifetime, negative ones do not), dL > 0: `earned` +max(dL, dN), then
 *   `spent` for the rest when dN is smaller. dL <= 0: one `balance` event of dN.
 * Never a zero amount; the parts always sum to dN.
 */
export function splitPoints(dN: number, dL: number, strategy: Config['mapping']['strategy'], model: LifetimeModel): PointsPart[] {
  if (strategy === 'balance' || model.negativeEventsLowerLifetime || dL <= 0) return dN !== 0 ? [{ role: 'balance', amount: dN }] : [];
  const earned = Math.max(dL, dN);
  const parts: PointsPart[] = [{ role: 'earned', amount: earned }];
  if (dN < earned) parts.push({ role: 'spent', amount: dN - earned });
  return parts;
}

export function planCustomer(input: PlanInput): CustomerPlan {
  checkInput(input);
  const { customer: c, rivo, migrated, mapping } = input;
  const model: LifetimeModel = { negativeEventsLowerLifetime: mapping.negativeEventsLowerLifetime };
  const generation = migrated.generations + 1;
  const notes: string[] = [];

  const skip = skipRule(input);
  if (skip.skip) {
    notes.push(skip.note);
    return {
      events: [],
      state: 'nothing_to_migrate',
      notes,
      generation,
      target: { points: migrated.net, lifetime: migrated.earned, creditsCents: migrated.creditsCents },
      predicted: predict(input, [], model),
    };
  }
  if (skip.note) notes.push(skip.note);

  const B = c.pointsBalance;
  const L = c.pointsEarned;
  const C = c.creditCents;
  const P0 = rivo.pointsTally;
  const targetPoints = mapping.mode === 'add' ? B : B - P0;
  const targetLifetime = mapping.strategy === 'lifetime' ? Math.max(L, targetPoints) : Math.max(targetPoints, 0);
  const targetCredits = mapping.credits ? C : migrated.creditsCents;

  if (mapping.strategy === 'lifetime' && L < targetPoints)
    notes.push(
      mapping.mode === 'add'
        ? `lifetime in Yotpo (${L}) is below the balance (${B}): Rivo lifetime will grow by ${B}`
        : `lifetime in Yotpo (${L}) is below the points to add (${B} - ${P0} = ${targetPoints}): Rivo lifetime will grow by ${targetPoints}`,
    );
  if (!mapping.credits && C !== 0) notes.push(`store credit of ${formatCents(C)} not migrated (mapping.credits is off)`);

  const events: PlannedEvent[] = [];
  const make = (role: EventRole, kind: EventKind, fields: Partial<PlannedEvent>): PlannedEvent => {
    const key = eventKey({ migrationName: input.migrationName, migrationId: input.migrationId, customerKey: c.key, role, generation });
    return {
      key,
      kind,
      role,
      generation,
      pointsAmount: 0,
      creditsCents: 0,
      value: null,
      appliedAt: null,
      internalNote: noteWithKey(mapping.internalNote, key),
      externalNote: null,
      ...fields,
    };
  };

  const when = appliedAt(input, notes);
  const expiry = expiryFor(c.pointsExpireAt, input.sendExpiry === true, input.now);
  if (expiry.note) notes.push(expiry.note);
  const dN = targetPoints - migrated.net;
  const dL = targetLifetime - migrated.earned;
  const parts = splitPoints(dN, dL, mapping.strategy, model);
  let history: string | undefined;
  // A replay only on a customer's first plan: once anything is posted, deltas keep Rivo in line (rules above). One-time
  // action awards made just before are the exception: the replay carries the rest (the planner left their items out).
  const awarded = migrated.awardPoints ?? 0;
  const first = migrated.generations < 0 && migrated.net === awarded && migrated.earned === lifetimeEffect(awarded, model);
  if (input.history && first) {
    const replay = replayHistory({
      history: input.history,
      targetPoints: targetPoints - awarded,
      targetLifetime: targetLifetime - lifetimeEffect(awarded, model),
      balance: B - (input.historyAwardedPoints ?? 0),
      model,
      now: input.now,
    });
    if (replay.kind === 'fallback') {
      history = `fallback: ${replay.reason}`;
      notes.push(`history not replayed (balance-only events instead): ${replay.reason}`);
    } else {
      parts.length = 0;
      for (const e of replay.events) {
        const key = eventKey({ migrationName: input.migrationName, migrationId: input.migrationId, customerKey: c.key, role: 'history', generation: e.idx });
        events.push({ ...make('history', 'points', { pointsAmount: e.points, appliedAt: e.appliedAt, externalNote: e.label }), key, internalNote: noteWithKey(mapping.internalNote, key) });
      }
      if (replay.balancingEarn > 0) parts.push({ role: 'earned', amount: replay.balancingEarn });
      if (replay.balancingSpend > 0) parts.push({ role: 'spent', amount: -replay.balancingSpend });
      if (replay.balancingNet !== 0) parts.push({ role: 'balance', amount: replay.balancingNet });
      notes.push(...replay.notes);
      const balancing = parts.length ? ` + ${parts.length} balancing` : '';
      history = `replayed (${replay.events.length} events${balancing})`;
      if (expiry.expiresAt !== null && !parts.some((p) => carriesExpiry(p.role, p.amount)))
        notes.push('expiry date not sent: the replayed history has no migrated earn event to carry it');
    }
  }
  for (const part of parts) {
    const expiresAt = expiry.expiresAt !== null && carriesExpiry(part.role, part.amount) ? { expiresAt: expiry.expiresAt } : {};
    events.push(make(part.role, 'points', { pointsAmount: part.amount, appliedAt: when, externalNote: mapping.externalNote, ...expiresAt }));
  }

  const dC = targetCredits - migrated.creditsCents;
  if (dC !== 0) events.push(make('credit', 'points', { creditsCents: dC, appliedAt: when, externalNote: mapping.externalNote }));

  const tierName = c.tierName?.trim() ?? '';
  if (mapping.tiers && tierName !== '') {
    const m = matchTier(tierName, input.tiers, mapping.tierMap);
    if (m.kind === 'unmapped') notes.push(m.note);
    else if ((migrated.tierSet ?? rivo.tierId) !== m.tier.id) events.push(make('tier', 'tier', { value: m.tier.id }));
  }

  if (mapping.birthdays) {
    const b = birthdayFromYotpo({ month: c.birthdayMonth, day: c.birthDay, year: c.birthdayYear }, input.dobUnknownYear, yearOf(input.now));
    if (b.kind === 'invalid') notes.push(b.note);
    else if (b.kind === 'ok') {
      notes.push(...b.notes);
      if (!sameBirthday(migrated.dobSet ?? rivo.dob, b.dob, b.yearKnown)) events.push(make('birthday', 'birthday', { value: b.dob }));
    }
  }

  const predicted = predict(input, events, model);
  const increase = foldEvents(events, model, migrated).earned;
  if (!model.negativeEventsLowerLifetime && increase > targetLifetime)
    notes.push(
      `Rivo lifetime will have grown by ${increase} in all, ${increase - targetLifetime} more than intended (${targetLifetime}): ` +
        'events cannot lower lifetime under the modelled Rivo behaviour',
    );
  if (model.negativeEventsLowerLifetime && increase !== targetLifetime)
    notes.push(
      `lifetime moves with the net points under mapping.negativeEventsLowerLifetime: Rivo lifetime will change by ${increase} in all, not ${targetLifetime}`,
    );

  return {
    events,
    state: events.length ? 'pending' : 'nothing_to_migrate',
    notes,
    generation,
    ...(history !== undefined ? { history } : {}),
    target: { points: targetPoints, lifetime: targetLifetime, creditsCents: targetCredits },
    predicted,
  };
}

/**
 * Rivo as first observed, plus everything posted before, plus `events`. A null Rivo lifetime stays null while the
 * migration's total lifetime effect is 0: under the modelled behaviour that is exactly "nothing positive posted";
 * with negativeEventsLowerLifetime, a history that nets to 0 also reads null (the ledger's sums cannot tell it from
 * nothing posted), where Rivo may show 0.
 */
function predict(input: PlanInput, events: readonly PlannedEvent[], model: LifetimeModel): CustomerPlan['predicted'] {
  const { rivo } = input;
  const after = foldEvents(events, model, input.migrated);
  const shows = rivoShows(
    { points: rivo.pointsTally, lifetime: rivo.lifetimeTally, creditsCents: rivo.creditsCents, tierId: rivo.tierId, dob: rivo.dob },
    after,
  );
  return {
    pointsTally: shows.points,
    lifetimeTally: shows.lifetime,
    creditsCents: shows.creditsCents,
    tierName: after.tierSet !== null ? (input.tiers.find((t) => t.id === after.tierSet)?.name ?? after.tierSet) : rivo.tierName,
    dob: shows.dob,
  };
}

/**
 * The skip rules decide whether a customer enters the migration. Once anything was posted for a customer, they no
 * longer apply: deltas keep Rivo in line with Yotpo (a balance that fell to zero is taken back, not left behind).
 */
function skipRule(input: PlanInput): { skip: true; note: string } | { skip: false; note: string | null } {
  const { customer: c, mapping, migrated } = input;
  const reasons: string[] = [];
  if (mapping.skipNonMembers && c.optedIn === false) reasons.push('not a program member in Yotpo (opt_in false; mapping.skipNonMembers)');
  const nothingToCarry =
    c.pointsBalance === 0 && (mapping.strategy === 'balance' || c.pointsEarned === 0) && (!mapping.credits || c.creditCents === 0);
  if (mapping.skipZeroBalance && nothingToCarry) reasons.push('nothing to carry: balance, lifetime and store credit are 0 (mapping.skipZeroBalance)');
  if (!reasons.length) return { skip: false, note: null };
  const posted =
    migrated.generations >= 0 ||
    migrated.net !== 0 ||
    migrated.earned !== 0 ||
    migrated.creditsCents !== 0 ||
    migrated.tierSet !== null ||
    migrated.dobSet !== null;
  if (!posted) return { skip: true, note: `skipped: ${reasons.join('; ')}` };
  return { skip: false, note: `not skipped although ${reasons.join('; ')}: an earlier run already migrated this customer, so Rivo is kept in line` };
}

function appliedAt(input: PlanInput, notes: string[]): string {
  const { now, customer, mapping } = input;
  if (mapping.appliedAt === 'now') return now;
  const last = customer.lastActivityAt;
  if (last === null || last.trim() === '') {
    notes.push('no last activity date in Yotpo: events dated now');
    return now;
  }
  const t = Date.parse(last);
  if (Number.isNaN(t)) {
    notes.push(`last activity date ${JSON.stringify(last)} is not a date: events dated now`);
    return now;
  }
  if (t > Date.parse(now)) {
    notes.push(`last activity date ${last} is in the future: events dated now`);
    return now;
  }
  return new Date(t).toISOString();
}

function yearOf(iso: string): number {
  return new Date(Date.parse(iso)).getUTCFullYear();
}

function checkInput(input: PlanInput): void {
  const { customer: c, rivo, migrated } = input;
  const whole = (name: string, v: number, min = -Infinity) => {
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`planCustomer(${c.key}): ${name} must be a whole number${min === 0 ? ' >= 0' : ''}, got ${v}`);
  };
  whole('pointsBalance', c.pointsBalance, 0);
  whole('pointsEarned', c.pointsEarned, 0);
  whole('creditCents', c.creditCents, 0);
  whole('rivo.pointsTally', rivo.pointsTally);
  whole('rivo.creditsCents', rivo.creditsCents);
  if (rivo.lifetimeTally !== null) whole('rivo.lifetimeTally', rivo.lifetimeTally);
  whole('migrated.net', migrated.net);
  whole('migrated.earned', migrated.earned);
  whole('migrated.creditsCents', migrated.creditsCents);
  whole('migrated.generations', migrated.generations, -1);
  if (Number.isNaN(Date.parse(input.now))) throw new RangeError(`planCustomer: now ${JSON.stringify(input.now)} is not a date`);
}

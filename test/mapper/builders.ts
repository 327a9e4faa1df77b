import type { Config } from '../../src/config/schema.js';
import type { PlannedEvent, RivoCustomerSnapshot, RivoTier, YotpoCustomer } from '../../src/domain.js';
import { NOTHING_MIGRATED, type MigratedSoFar } from '../../src/mapper/migrated.js';
import type { PlanInput } from '../../src/mapper/rules.js';

export const NOW = '2024-05-01T12:00:00.000Z';
export const MIGRATION_ID = 'm1';
export const MIGRATION_NAME = 'yotpo-to-rivo';

export function aCustomer(over: Partial<YotpoCustomer> = {}): YotpoCustomer {
  return {
    key: 'cust-1',
    email: 'ann@example.com',
    thirdPartyId: null,
    firstName: 'Ann',
    lastName: 'Lee',
    pointsBalance: 0,
    pointsEarned: 0,
    creditCents: 0,
    tierName: null,
    birthdayMonth: null,
    birthDay: null,
    birthdayYear: null,
    optedIn: true,
    lastActivityAt: null,
    ...over,
  };
}

export function aRivoCustomer(over: Partial<RivoCustomerSnapshot> = {}): RivoCustomerSnapshot {
  return {
    id: '1001',
    email: 'ann@example.com',
    pointsTally: 0,
    lifetimeTally: 0,
    creditsCents: 0,
    tierId: null,
    tierName: null,
    dob: null,
    loyaltyStatus: 'member',
    ...over,
  };
}

/** The defaults of config/default.json (a test checks they stay equal). */
export function aMapping(over: Partial<Config['mapping']> = {}): Config['mapping'] {
  return {
    strategy: 'lifetime',
    mode: 'add',
    credits: true,
    tiers: true,
    tierMap: {},
    birthdays: true,
    skipNonMembers: false,
    skipZeroBalance: false,
    appliedAt: 'now',
    identityMap: {},
    internalNote: 'Migrated from Yotpo',
    externalNote: 'Points carried over from our previous rewards program',
    negativeEventsLowerLifetime: false,
    oneTimeActions: {},
    awardMaxMultiplier: 2,
    expiry: 'auto',
    history: false,
    ...over,
  };
}

export const TIERS: RivoTier[] = [
  { id: 't-bronze', name: 'Bronze' },
  { id: 't-silver', name: 'Silver' },
  { id: 't-gold', name: 'Gold' },
];

export function migratedSoFar(over: Partial<MigratedSoFar> = {}): MigratedSoFar {
  return { ...NOTHING_MIGRATED, ...over };
}

export function aPlanInput(over: Partial<PlanInput> = {}): PlanInput {
  return {
    customer: aCustomer(),
    rivo: aRivoCustomer(),
    tiers: TIERS,
    migrated: migratedSoFar(),
    mapping: aMapping(),
    dobUnknownYear: 2000,
    migrationName: MIGRATION_NAME,
    migrationId: MIGRATION_ID,
    now: NOW,
    ...over,
  };
}

/**
 * An independent model of Rivo (rivo-api.md, the modelled behaviour) that applies events to a customer, written
 * apart from the mapper's own fold so that the two can disagree.
 */
export function applyToRivo(
  r: RivoCustomerSnapshot,
  events: readonly PlannedEvent[],
  tiers: readonly RivoTier[],
  negativeEventsLowerLifetime = false,
): RivoCustomerSnapshot {
  const out = { ...r };
  for (const e of events) {
    if (e.kind === 'points') {
      out.pointsTally += e.pointsAmount;
      out.creditsCents += e.creditsCents;
      if (e.pointsAmount > 0 || (negativeEventsLowerLifetime && e.pointsAmount !== 0))
        out.lifetimeTally = (out.lifetimeTally ?? 0) + e.pointsAmount;
    } else if (e.kind === 'tier') {
      out.tierId = e.value;
      out.tierName = tiers.find((t) => t.id === e.value)?.name ?? null;
    } else out.dob = e.value;
  }
  return out;
}

/** Points events as [role, points, credits] triples: compact expectations for tables. */
export const pointsParts = (events: readonly PlannedEvent[]) =>
  events.filter((e) => e.kind === 'points').map((e) => [e.role, e.pointsAmount, e.creditsCents] as const);

/**
 * The ledger's sums after `events` land on top of `start`, written here apart from `src/mapper/migrated.ts` so the
 * properties check the planner against a second account of the rule rather than against the code it calls.
 */
export function ledgerAfter(start: MigratedSoFar, events: readonly PlannedEvent[], negativeEventsLowerLifetime: boolean): MigratedSoFar {
  const points = events.filter((e) => e.kind === 'points');
  const sum = (f: (e: PlannedEvent) => number) => points.reduce((acc, e) => acc + f(e), 0);
  // The latest value of a kind is the one of the highest generation; within a generation, the later in the list.
  const latest = (kind: PlannedEvent['kind'], before: string | null) =>
    events.reduce<{ gen: number; value: string | null }>((best, e) => (e.kind === kind && e.generation >= best.gen ? { gen: e.generation, value: e.value } : best), {
      gen: -Infinity,
      value: before,
    }).value;
  const generations = events.filter((e) => e.role !== 'rollback').map((e) => e.generation);
  return {
    earned: start.earned + sum((e) => (negativeEventsLowerLifetime || e.pointsAmount > 0 ? e.pointsAmount : 0)),
    net: start.net + sum((e) => e.pointsAmount),
    creditsCents: start.creditsCents + sum((e) => e.creditsCents),
    tierSet: latest('tier', start.tierSet),
    dobSet: latest('birthday', start.dobSet),
    generations: Math.max(start.generations, ...generations),
  };
}

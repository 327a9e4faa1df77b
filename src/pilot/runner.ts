import type { Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import type { RivoCustomerSnapshot } from '../domain.js';
import { ConfigError } from '../errors.js';
import type { ProbeContext } from './context.js';
import { PILOT_PER_PAGE } from './listing.js';
import { probeBelowZero } from './probes/below-zero.js';
import { judgeAtomicity, judgeItemResults, observeBatch } from './probes/batch.js';
import { sendEmailProbe } from './probes/email.js';
import { probeExpiry } from './probes/expiry.js';
import { judgeLifetime } from './probes/lifetime.js';
import { judgeListing, observeListing } from './probes/listing.js';
import { judgeNote } from './probes/note.js';
import { probeDob, probeTier } from './probes/updates.js';
import type { PilotRivo } from './port.js';
import { checklistLines, preflightItemsFor } from '../preflight/checklist.js';
import { savePilot, type StoredPilot } from './store.js';
import { type Assumptions, type CustomerBalances, type PilotReport } from './types.js';
import { PilotWriter } from './writer.js';

export interface PilotOptions {
  db: Db;
  rivo: PilotRivo;
  config: Config;
  migrationId: string;
  /** The customer as the merchant named it: an email or a Shopify customer id. */
  customer: string;
  /** Also probe the tier and birthday updates (not always restorable). */
  probeUpdates: boolean;
  /** Progress lines ("writing…", "reading back…"). */
  onStep?: (line: string) => void;
}

const balances = (c: RivoCustomerSnapshot): CustomerBalances => ({ points: c.pointsTally, creditsCents: c.creditsCents, lifetime: c.lifetimeTally });

/**
 * Runs every probe on one Rivo customer and stores the store's profile. Order matters: the listing is measured
 * first (later read-backs page by what it found); every probe write is compensated before the below-zero probe, which
 * needs the customer at their own balance; updates come last. The customer ends with the points and store credit
 * they had; only lifetime can rise (the modelled rule counts every credit, compensations included).
 */
export async function runPilot(o: PilotOptions): Promise<{ report: PilotReport; stored: StoredPilot }> {
  const step = o.onStep ?? (() => {});
  const first = await o.rivo.getCustomer(o.customer);
  if (!first)
    throw new ConfigError(`Rivo has no customer ${JSON.stringify(o.customer)}: name a staff or test customer that exists in Rivo (email or Shopify customer id).`);
  const rivoId = first.id;
  let perPage = PILOT_PER_PAGE;
  const writer = new PilotWriter({ db: o.db, rivo: o.rivo, migrationName: o.config.migrationName, migrationId: o.migrationId, rivoId, perPage: () => perPage });
  const notes: string[] = [];
  const ctx: ProbeContext = {
    rivo: o.rivo,
    writer,
    config: o.config,
    rivoId,
    customer: async () => {
      const c = await o.rivo.getCustomer(rivoId);
      if (!c) throw new Error(`Rivo no longer knows customer ${rivoId}`);
      return c;
    },
    note: (line) => notes.push(line),
  };
  const writesBefore = countWrites(o.db);

  // A pilot that stopped part-way left writes to settle and compensate: the customer is restored before measuring.
  const leftovers = await writer.settle();
  const restoredEarlier = await writer.compensateAll('restore');
  if (leftovers.length || restoredEarlier.length) step(`restored ${restoredEarlier.length} write(s) left by an earlier pilot`);

  const start = await ctx.customer();
  const assumptions: Assumptions = {};

  step('writing two events and reading the listing back');
  const a = await writer.single('events_listing', { points: 1, creditsCents: 1 });
  const afterA = await ctx.customer();
  const b = await writer.single('events_listing', { points: 1 });
  if (a.status !== 'done' || b.status !== 'done') {
    await writer.compensateAll('restore');
    throw new ConfigError(
      `Rivo refused a manual points event for this customer (${a.error ?? b.error ?? 'no answer'}): the pilot cannot measure anything, and a migration would be refused the same way.`,
    );
  }
  const { observation, listing } = await observeListing(ctx, a, b);
  assumptions.events_listing = judgeListing(observation);
  if (observation.perPageCap !== null) perPage = observation.perPageCap;
  const listedA = listing.events.find((e) => e.internalNote?.includes(`[${a.key}]`));
  assumptions.note_verbatim = judgeNote(a.sentNote, listedA, a.key, listing.complete);

  // Without a listing that shows this tool's keys, a batch's outcome could never be read back: nothing more is sent.
  const readable = assumptions.events_listing.consequence !== 'blocking' && assumptions.note_verbatim.consequence !== 'blocking';
  let emailProbe: PilotReport['emailProbe'] = null;
  if (readable) {
    step('sending a batch with one invalid item');
    const batch = await observeBatch(ctx);
    assumptions.batch_atomicity = judgeAtomicity(batch);
    assumptions.batch_item_results = judgeItemResults(batch);

    step('sending one batch event for the email check');
    emailProbe = await sendEmailProbe(ctx);
  }

  step('compensating every probe event');
  const beforeDebits = await ctx.customer();
  const compensations = await writer.compensateAll('restore');
  const afterDebits = await ctx.customer();
  const debited = compensations.reduce((sum, c) => sum + Math.max(0, -pointsOf(o.db, c.key)), 0);
  assumptions.lifetime_model = judgeLifetime(
    {
      credit: 1,
      lifetimeChangeOnCredit: (afterA.lifetimeTally ?? 0) - (start.lifetimeTally ?? 0),
      debit: debited,
      lifetimeChangeOnDebit: (afterDebits.lifetimeTally ?? 0) - (beforeDebits.lifetimeTally ?? 0),
    },
    o.config,
  );

  if (readable) {
    // After the lifetime measurement (its +1 would count in the compensations measured there) and compensated
    // before the below-zero probe, which needs the customer at their own balance.
    step('writing an event with expires_at and reading it back');
    assumptions.expires_at = await probeExpiry(ctx);
    await writer.compensateAll('restore');
    step('probing a debit below zero');
    assumptions.negative_below_zero = await probeBelowZero(ctx);
    await writer.compensateAll('restore');
  }

  if (o.probeUpdates) {
    step('probing the VIP tier and birthday updates');
    assumptions.tier_endpoint = await probeTier(ctx);
    assumptions.dob_format = await probeDob(ctx);
  }

  const end = await ctx.customer();
  const restored = end.pointsTally === start.pointsTally && end.creditsCents === start.creditsCents;
  if (!restored)
    notes.push(
      `The customer did not end where they started (points ${start.pointsTally} → ${end.pointsTally}, credit cents ${start.creditsCents} → ${end.creditsCents}). ` +
        'Every pilot write was compensated: something else changed this customer during the pilot (an order, an admin edit). Check them in Rivo.',
    );
  const lifetimeRise = (end.lifetimeTally ?? 0) - (start.lifetimeTally ?? 0);
  if (lifetimeRise > 0) notes.push(`The customer's lifetime earnings rose by ${lifetimeRise} point(s): compensation cannot lower lifetime under the modelled rule.`);

  const report: PilotReport = {
    customer: { given: o.customer, rivoId, email: first.email },
    measuredAt: new Date().toISOString(),
    assumptions,
    before: balances(start),
    after: balances(end),
    restored,
    writes: countWrites(o.db) - writesBefore,
    notes,
    checklist: checklistLines(preflightItemsFor(o.config)),
    emailProbe,
  };
  const stored = savePilot(o.db, report);
  return { report: { ...report, assumptions: stored.assumptions }, stored };
}

function countWrites(db: Db): number {
  return db.prepare('SELECT count(*) FROM pilot_events').pluck().get() as number;
}

function pointsOf(db: Db, key: string): number {
  return (db.prepare('SELECT points_amount FROM pilot_events WHERE key = ?').pluck().get(key) as number | undefined) ?? 0;
}

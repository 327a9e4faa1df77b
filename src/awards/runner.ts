import pLimit from 'p-limit';
import type { Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import { AwardEndpointError } from '../errors.js';
import type { HttpClient } from '../http/client.js';
import { HttpError } from '../http/errors.js';
import {
  awardByKey,
  awardKey,
  awardsOf,
  holdForAwards,
  inFlightAwardsToUncertain,
  markAwardClosed,
  markAwarded,
  markAwardInFlight,
  markAwardNotSent,
  markAwardSkipped,
  markAwardUncertain,
  type AwardRow,
} from '../ledger/awards.js';
import { recordProblem } from '../ledger/customers.js';
import { postedEvents, unsettledCount } from '../ledger/events.js';
import { statement } from '../ledger/statements.js';
import type { CustomerRow } from '../ledger/types.js';
import { confirmedKeysOf } from '../load/queries.js';
import { foldEvents } from '../mapper/migrated.js';
import type { RivoApi } from '../rivo/api.js';
import { awardRule, isAwardEvent, type AwardAnswer, type EarningRule } from '../rivo/awards.js';
import type { RivoProfile } from '../rivo/profile.js';
import { readBack } from '../rivo/readback.js';
import { mappedActionsOf, type HistoryItemLike, type MappedAction } from './actions.js';

/**
 * The one-time action awards of a load pass, sent BEFORE the customers' points events (issue 15): each completed,
 * mapped action is awarded once, and what Rivo granted is counted into the customer's migrated amounts
 * (`ledger/awards.ts` markAwarded), so the re-plan that follows owes that much less and points, lifetime and credit
 * stay exact. An award is sent only while the customer is still owed at least the rule's points × the highest VIP
 * multiplier (`mapping.awardMaxMultiplier`): it can never take them above target.
 *
 * Exactly once: the intent is committed before the request; 201 → awarded (or pending, reported and not counted);
 * 409 on the first try → earned before the migration (nothing counted); no answer → uncertain, sent again (a 409 then
 * proves the first landed) and the granted points read back from the customer's listing. An award still uncertain
 * holds the customer's points events (`holdForAwards`) until a later run settles it.
 */

export interface AwardOptions {
  db: Db;
  config: Config;
  /** The HTTP layer of the Rivo client (`RivoClient.requester`). */
  http: Pick<HttpClient, 'request'>;
  /** For the read-back of an uncertain award. */
  rivo: RivoApi;
  profile: RivoProfile;
  migrationId: string;
  /** Rivo's earning rules, listed once before. */
  rules: readonly EarningRule[];
  /** The customer's Yotpo history items (stored by the history lookup). */
  history: (customerKey: string) => readonly HistoryItemLike[];
  limitSeq?: number;
  /** Sends of an uncertain award in one pass (each a 201, a 409 or no answer again). Default 3. */
  maxSends?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface AwardSummary {
  customers: number;
  awarded: number;
  /** Points Rivo granted and the migration counted. */
  points: number;
  pending: number;
  already: number;
  refused: number;
  skipped: number;
  uncertain: number;
  /** Customers whose points events wait for an uncertain award. */
  held: number;
  /** Customers whose plan must be made again (an award was counted). */
  replan: number;
}

/** Candidates in pages by seq (keyset): nothing holds every customer, and no query stays open across the awaits. */
const CANDIDATES = `SELECT c.seq, c.key, c.rivo_id FROM customers c WHERE c.seq > ? AND c.seq <= ? AND c.rivo_id IS NOT NULL
  AND (c.state = 'pending' OR EXISTS (SELECT 1 FROM awards a WHERE a.customer_key = c.key AND a.status IN ('in_flight','uncertain')))
  ORDER BY c.seq LIMIT ?`;
const PAGE = 200;

type Candidate = Pick<CustomerRow, 'seq' | 'key' | 'rivo_id'>;

/**
 * Customers are worked on `rivo.concurrency` at a time (the client's rate gate holds the budget); one customer's
 * awards go one after the other, since each is decided on what the ones before it granted.
 */
export async function runAwards(o: AwardOptions): Promise<AwardSummary> {
  const summary: AwardSummary = { customers: 0, awarded: 0, points: 0, pending: 0, already: 0, refused: 0, skipped: 0, uncertain: 0, held: 0, replan: 0 };
  if (Object.keys(o.config.mapping.oneTimeActions).length === 0) return summary;
  // A crash between an intent and its outcome: the award may have landed.
  inFlightAwardsToUncertain(o.db);
  const limit = pLimit(Math.max(1, o.config.rivo.concurrency));
  let failure: { err: unknown } | null = null;
  const maxSeq = o.limitSeq ?? Number.MAX_SAFE_INTEGER;
  for (let after = 0; !failure && !o.signal?.aborted; ) {
    const page = statement(o.db, CANDIDATES).all(after, maxSeq, PAGE) as Candidate[];
    if (page.length === 0) break;
    after = page[page.length - 1]!.seq;
    const work: Promise<void>[] = [];
    for (const row of page) {
      const mapped = mappedActionsOf(o.history(row.key), o.config.mapping.oneTimeActions);
      const existing = awardsOf(o.db, row.key);
      if (mapped.length === 0 && !existing.some(open)) continue;
      // Points events in the air: the loader settles them first; the next pass sees what the customer is owed.
      if (unsettledCount(o.db, row.key) > 0) continue;
      summary.customers++;
      work.push(
        limit(async () => {
          // A wrong award path (or an error that is not ours to decide) stops the customers not started yet.
          if (failure || o.signal?.aborted) return;
          try {
            await new CustomerAwards(o, row, summary).run(mapped, existing);
          } catch (err) {
            failure ??= { err };
          }
        }),
      );
    }
    await Promise.all(work);
  }
  if (failure) throw (failure as { err: unknown }).err;
  return summary;
}

/** How far Rivo's clock may be behind ours when telling our award's event from one made before the migration. */
export const CLOCK_MARGIN_MS = 10 * 60_000;

const open = (a: AwardRow) => a.status === 'in_flight' || a.status === 'uncertain';

class CustomerAwards {
  private readonly rivoId: string;
  private counted = false;

  constructor(
    private readonly o: AwardOptions,
    private readonly row: Candidate,
    private readonly summary: AwardSummary,
  ) {
    this.rivoId = row.rivo_id!;
  }

  async run(mapped: MappedAction[], existing: AwardRow[]): Promise<void> {
    for (const a of existing.filter(open)) await this.settle(a);
    const byRule = new Map(awardsOf(this.o.db, this.row.key).map((a) => [a.rule_id, a]));
    for (const m of mapped) {
      const prior = byRule.get(m.ruleId);
      if (prior && prior.status !== 'skipped') continue; // decided once: awarded, pending, already, refused, or uncertain
      const rule = this.o.rules.find((r) => r.id === m.ruleId);
      const ids = { key: awardKey(this.o.config.migrationName, this.o.migrationId, this.row.key, m.ruleId), customerKey: this.row.key, rivoId: this.rivoId, action: m.action, ruleId: m.ruleId };
      const room = this.room();
      const need = rule?.points === null || rule === undefined ? null : Math.ceil(rule.points * this.o.config.mapping.awardMaxMultiplier);
      if (need === null || room === null || need > room) {
        const why =
          need === null
            ? `Rivo's earning rule ${m.ruleId} does not say its points, so what it would grant cannot be bounded`
            : room === null
              ? 'the customer has no plan yet'
              : `the customer is owed ${room} more points, and the award may grant up to ${need} (${rule!.points} × ${this.o.config.mapping.awardMaxMultiplier}, mapping.awardMaxMultiplier): it could take them above their Yotpo balance`;
        markAwardSkipped(this.o.db, ids, `not awarded: ${why}`);
        this.summary.skipped++;
        continue;
      }
      markAwardInFlight(this.o.db, ids);
      await this.send(ids.key, m.ruleId, false);
    }
    const after = awardsOf(this.o.db, this.row.key);
    if (after.some(open)) {
      this.summary.held++;
      holdForAwards(this.o.db, this.row.key, 'waiting for a one-time action award whose outcome is not known yet (read back on the next run)');
    } else if (this.counted) this.summary.replan++;
  }

  /** What the customer is still owed, the smaller of points and lifetime (an award raises both). Null: no plan. */
  private room(): number | null {
    const fresh = statement(this.o.db, 'SELECT target_points, target_lifetime FROM customers WHERE key = ?').get(this.row.key) as {
      target_points: number | null;
      target_lifetime: number | null;
    };
    if (fresh.target_points === null || fresh.target_lifetime === null) return null;
    const m = foldEvents(postedEvents(this.o.db, this.row.key), { negativeEventsLowerLifetime: this.o.config.mapping.negativeEventsLowerLifetime });
    return Math.min(fresh.target_points - m.net, fresh.target_lifetime - m.earned);
  }

  /** An uncertain award: sent again (safe: a second award is a 409) until an answer says what happened. */
  private async settle(a: AwardRow): Promise<void> {
    const ids = { key: a.key, customerKey: a.customer_key, rivoId: a.rivo_id, action: a.action, ruleId: a.rule_id };
    if (a.status === 'in_flight') markAwardUncertain(this.o.db, a.key, 'interrupted before the answer was recorded');
    markAwardInFlight(this.o.db, ids);
    await this.send(a.key, a.rule_id, true);
  }

  /** `afterUncertain`: an earlier request for this award may have landed, so a 409 may be ours. */
  private async send(key: string, ruleId: string, afterUncertain: boolean): Promise<void> {
    const maxSends = this.o.maxSends ?? 3;
    for (let attempt = 0; ; attempt++) {
      let answer: AwardAnswer;
      try {
        answer = await awardRule(this.o.http, this.o.config.rivo.awardPath, ruleId, this.rivoId);
        if (answer.outcome === 'no_endpoint') {
          // No award endpoint at this path: nothing was awarded (by this request or, since the path never existed, any
          // earlier one). The run stops before any points event leaves, so nothing is counted or sent short.
          markAwardNotSent(this.o.db, key, `${answer.status} ${answer.error}: the award path may not be this store's (rivo.awardPath)`);
          throw new AwardEndpointError(
              `Rivo answered ${answer.status} to the award of earning rule ${ruleId} (${answer.error || 'no body'}): the award path (rivo.awardPath = "${this.o.config.rivo.awardPath}") ` +
                'is unconfirmed and does not seem to be this store\'s. Nothing was awarded or counted and no points event was sent; ' +
                'set rivo.awardPath to the other path, or empty mapping.oneTimeActions, and run again',
          );
        }
      } catch (err) {
        if (!(err instanceof HttpError) || !err.uncertain) {
          if (err instanceof HttpError && err.status !== undefined && err.status < 500 && err.status !== 401 && err.status !== 429) {
            this.refuse(key, `${err.summary()}`);
            return;
          }
          // Not ours to decide (auth, rate, a bug): the intent stays, settled by the next run.
          markAwardUncertain(this.o.db, key, err instanceof Error ? err.message : String(err));
          throw err;
        }
        markAwardUncertain(this.o.db, key, err.summary());
        afterUncertain = true;
        if (attempt + 1 >= maxSends) {
          this.summary.uncertain++;
          this.o.log?.(`award of rule ${ruleId} to customer ${this.row.key}: no answer after ${maxSends} tries; held until the next run`);
          return;
        }
        markAwardInFlight(this.o.db, { key, customerKey: this.row.key, rivoId: this.rivoId, action: '', ruleId });
        continue;
      }
      await this.apply(key, ruleId, answer, afterUncertain);
      return;
    }
  }

  private async apply(key: string, ruleId: string, answer: Exclude<AwardAnswer, { outcome: 'no_endpoint' }>, afterUncertain: boolean): Promise<void> {
    const db = this.o.db;
    if (answer.outcome === 'refused') return this.refuse(key, `${answer.status} ${answer.error}`);
    if (answer.outcome === 'already' && !afterUncertain) {
      markAwardClosed(db, key, 'already', { error: 'Rivo says the customer already earned this rule before the migration: nothing awarded, nothing counted' });
      this.summary.already++;
      return;
    }
    if (answer.outcome === 'awarded' && answer.status === 'pending') {
      markAwardClosed(db, key, 'pending', { pointsDueAt: answer.pointsDueAt, points: answer.points, error: 'pending approval in Rivo: not counted; Rivo adds the points when it approves them' });
      this.summary.pending++;
      return;
    }
    if (answer.outcome === 'awarded' && answer.points !== null) return this.count(key, answer.points, null);
    // A 409 after an uncertain try (ours landed), or a 201 that does not say its points: read them back.
    await this.readBackAward(key, ruleId);
  }

  private async readBackAward(key: string, ruleId: string): Promise<void> {
    let rb: Awaited<ReturnType<typeof readBack>>;
    try {
      rb = await readBack(this.o.rivo, this.rivoId, this.o.profile, confirmedKeysOf(this.o.db, this.row.key, this.rivoId));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      // The listing could not be read this time: the award stays uncertain and its customer waits for the next run.
      markAwardUncertain(this.o.db, key, `read-back failed: ${err.summary()}`);
      this.summary.uncertain++;
      return;
    }
    const all = rb.events.filter((e) => isAwardEvent(e, ruleId));
    // An award event from well before our first request is the customer's own (earned before the migration, already
    // in Rivo's points before): never counted as ours. Clocks may differ a little, hence the margin.
    const intentAt = Date.parse(awardByKey(this.o.db, key)?.created_at ?? '');
    const before = (e: (typeof all)[number]) => {
      const t = Date.parse(e.createdAt ?? e.appliedAt ?? '');
      return Number.isFinite(t) && Number.isFinite(intentAt) && t < intentAt - CLOCK_MARGIN_MS;
    };
    const found = all.filter((e) => !before(e));
    if (found.length === 0 && all.length > 0 && rb.unproven === null) {
      markAwardClosed(this.o.db, key, 'already', { error: 'Rivo holds this award from before the migration (its points event predates our first request): nothing counted' });
      this.summary.already++;
      return;
    }
    if (found.length === 1) return this.count(key, found[0]!.pointsDiff, found[0]!.id);
    if (found.length === 0 && rb.unproven === null) {
      markAwardClosed(this.o.db, key, 'pending', {
        error: 'Rivo holds this award (409) but no points event for it: pending approval, or earned before the migration; nothing counted',
      });
      this.summary.pending++;
      return;
    }
    const why = found.length > 1 ? `${found.length} points events of earning rule ${ruleId} in Rivo` : `read-back could not prove what the award granted (${rb.unproven})`;
    markAwardUncertain(this.o.db, key, why);
    this.summary.uncertain++;
  }

  private count(key: string, points: number, rivoEventId: string | null): void {
    markAwarded(this.o.db, key, points, rivoEventId, `One-time action award counted into the migration (${key})`);
    this.summary.awarded++;
    this.summary.points += points;
    this.counted = true;
  }

  private refuse(key: string, error: string): void {
    markAwardClosed(this.o.db, key, 'refused', { error });
    recordProblem(this.o.db, { customerKey: this.row.key, eventKey: key, kind: 'award_refused', detail: `Rivo refused a one-time action award: ${error}` });
    this.summary.refused++;
  }
}

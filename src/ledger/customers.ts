import type { CustomerState, RivoCustomerSnapshot } from '../domain.js';
import type { Db } from '../db/open.js';
import type { CursorUpdate, CustomerRow, ExtractedRecord } from './types.js';
import { pluckStatement, statement } from './statements.js';

const now = () => new Date().toISOString();

/**
 * The writer of `customers.state` (with `recordFirstPlan`, which writes it the same way). Every transition records
 * when and why, so `status` and the reports can say where each customer stands and how it got there.
 */
export function setCustomerState(db: Db, key: string, state: CustomerState, reason: string | null): void {
  statement(
    db,
    `UPDATE customers SET state = ?, state_reason = ?, state_changed_at = ?
     WHERE key = ? AND (state IS NOT ? OR state_reason IS NOT ?)`,
  ).run(state, reason, now(), key, state, reason);
}

/**
 * Stores one page of extracted records and the cursor that follows them in a single transaction, so a killed
 * extraction resumes at the next page with every record of this one stored exactly once.
 * A record seen before whose values changed goes back to `pending` (a delta may be owed); an unchanged one keeps
 * its state. A record that is invalid now is `invalid`, whatever it was.
 */
export function recordExtractedPage(db: Db, records: ExtractedRecord[], cursor: CursorUpdate): { added: number; changed: number } {
  const find = statement(db, 'SELECT values_hash, state FROM customers WHERE key = ?');
  const nextSeq = pluckStatement(db, 'SELECT coalesce(max(seq), 0) + 1 AS s FROM customers');
  // A new key is inserted outright (stamped with its pass); the conflict says, in the same statement, that the key is
  // stored already, and only then is it looked up (most records of a first extraction are new).
  const insert = statement(
    db,
    `INSERT INTO customers (key, seq, source, email, email_norm, third_party_id, first_name, last_name, points_balance,
       points_earned, credit_cents, tier_name, birthday_month, birth_day, birthday_year, opted_in, last_activity_at,
       points_expire_at, raw_json, values_hash, invalid_reason, extracted_at, state, state_reason, state_changed_at, seen_pass)
     VALUES (@key, @seq, @source, @email, @emailNorm, @thirdPartyId, @firstName, @lastName, @pointsBalance,
       @pointsEarned, @creditCents, @tierName, @birthdayMonth, @birthDay, @birthdayYear, @optedIn, @lastActivityAt,
       @pointsExpireAt, @rawJson, @valuesHash, @invalidReason, @at, @state, @invalidReason, @at, @seenPass)
     ON CONFLICT(key) DO NOTHING`,
  );
  const anyAlias = pluckStatement(db, 'SELECT 1 FROM customer_aliases LIMIT 1');
  const update = statement(
    db,
    `UPDATE customers SET source = @source, email = @email, email_norm = @emailNorm, third_party_id = @thirdPartyId,
       first_name = @firstName, last_name = @lastName, points_balance = @pointsBalance, points_earned = @pointsEarned,
       credit_cents = @creditCents, tier_name = @tierName, birthday_month = @birthdayMonth, birth_day = @birthDay,
       birthday_year = @birthdayYear, opted_in = @optedIn, last_activity_at = @lastActivityAt, points_expire_at = @pointsExpireAt, raw_json = @rawJson,
       values_hash = @valuesHash, invalid_reason = @invalidReason, extracted_at = @at
     WHERE key = @key`,
  );
  const saveCursor = statement(
    db,
    `INSERT INTO extract_cursors (source, cursor, pages_read, records_read, total_pages, done, started_at, updated_at)
     VALUES (@source, @next, @pages, @n, @totalPages, @done, @at, @at)
     ON CONFLICT(source) DO UPDATE SET cursor = @next, pages_read = pages_read + @pages, records_read = records_read + @n,
       total_pages = coalesce(@totalPages, total_pages), done = @done, updated_at = @at`,
  );
  const aliasOf = pluckStatement(db, 'SELECT customer_key FROM customer_aliases WHERE record_key = ?');
  const markSeen = statement(db, 'UPDATE customers SET seen_pass = ? WHERE key = ?');
  return db.transaction(() => {
    const at = now();
    let added = 0;
    let changed = 0;
    // One writer, inside this transaction: the next seq is read once per page, not once per record.
    let seq = nextSeq.get() as number;
    // Aliases are made by merges (ledger/continuation.ts), inside this connection: none now means none for the page.
    const aliases = anyAlias.get() !== undefined;
    const keys: string[] = [];
    for (const read of records) {
      // A record whose email was edited in Yotpo continues the customer it was merged into (ledger/continuation.ts).
      const alias = aliases ? (aliasOf.get(read.key) as string | undefined) : undefined;
      const r = alias ? { ...read, key: alias } : read;
      const params = { ...r, optedIn: r.optedIn === null ? null : r.optedIn ? 1 : 0, pointsExpireAt: r.pointsExpireAt ?? null, at };
      if (insert.run({ ...params, seq, state: r.invalidReason ? 'invalid' : 'pending', seenPass: cursor.pass ?? null }).changes === 1) {
        seq++;
        added++;
        continue;
      }
      keys.push(r.key);
      const existing = find.get(r.key) as { values_hash: string; state: CustomerState };
      if (existing.values_hash === r.valuesHash && (existing.state === 'invalid') === (r.invalidReason !== null)) continue;
      update.run(params);
      changed++;
      if (r.invalidReason) setCustomerState(db, r.key, 'invalid', r.invalidReason);
      else setCustomerState(db, r.key, 'pending', 'Yotpo values changed since the last extraction');
    }
    if (cursor.pass) for (const k of keys) markSeen.run(cursor.pass, k);
    saveCursor.run({ source: cursor.source, next: cursor.next, pages: cursor.pages ?? 1, n: records.length, totalPages: cursor.totalPages ?? null, done: cursor.done ? 1 : 0, at });
    if (cursor.pass && cursor.done)
      statement(db, "INSERT INTO meta (key, value) VALUES ('extract_pass_done', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(cursor.pass);
    return { added, changed };
  })();
}

export function readCursor(db: Db, source: string): { cursor: string | null; done: boolean; pagesRead: number; recordsRead: number; totalPages: number | null } | null {
  const row = statement(db, 'SELECT cursor, done, pages_read, records_read, total_pages FROM extract_cursors WHERE source = ?').get(source) as
    | { cursor: string | null; done: number; pages_read: number; records_read: number; total_pages: number | null }
    | undefined;
  return row ? { cursor: row.cursor, done: row.done === 1, pagesRead: row.pages_read, recordsRead: row.records_read, totalPages: row.total_pages } : null;
}

/** Starts a fresh pass over a source (a later re-extraction for a delta run), keeping every customer already read. */
export function restartCursor(db: Db, source: string): void {
  statement(db, 'DELETE FROM extract_cursors WHERE source = ?').run(source);
}

/** Whether this customer has anything in Rivo already (or possibly: in flight, uncertain). */
export function hasPostedEvents(db: Db, key: string): boolean {
  return !!statement(db, "SELECT 1 FROM events WHERE customer_key = ? AND status IN ('in_flight','uncertain','done') LIMIT 1").get(key);
}

/**
 * Records who this customer is in Rivo, and Rivo's values as first observed. The "before" values are the baseline
 * for `set` mode, verification and rollback, so they are written only while nothing was posted for the customer.
 */
export function recordRivoMatch(db: Db, key: string, rivo: RivoCustomerSnapshot, proven?: { nothingPosted: boolean }): void {
  const at = now();
  // `nothingPosted`: the caller proved no event of anyone is in Rivo (ledger/plan.ts nothingPostedYet), so the
  // baseline may be written without asking about this customer.
  if (!proven?.nothingPosted && hasPostedEvents(db, key)) {
    statement(db, 'UPDATE customers SET rivo_seen_at = ? WHERE key = ?').run(at, key);
    return;
  }
  statement(db, `UPDATE customers SET ${RIVO_MATCH_SET} WHERE key = ?`).run(...rivoMatchArgs(rivo, at), key);
}

/** The columns `recordRivoMatch` writes (and `recordFirstPlan` with it), and their values in order. */
const RIVO_MATCH_SET = `rivo_id = ?, rivo_email = ?, rivo_points_before = ?, rivo_lifetime_before = ?, rivo_credits_before = ?,
  rivo_tier_before = ?, rivo_tier_name_before = ?, rivo_dob_before = ?, rivo_seen_at = ?`;
const rivoMatchArgs = (rivo: RivoCustomerSnapshot, at: string) => [rivo.id, rivo.email, rivo.pointsTally, rivo.lifetimeTally, rivo.creditsCents, rivo.tierId, rivo.tierName, rivo.dob, at];

/** The row as `recordRivoMatch` leaves it for a customer with nothing posted (the baseline written). */
export function withRivoMatch(row: CustomerRow, rivo: RivoCustomerSnapshot): CustomerRow {
  return {
    ...row,
    rivo_id: rivo.id,
    rivo_email: rivo.email,
    rivo_points_before: rivo.pointsTally,
    rivo_lifetime_before: rivo.lifetimeTally,
    rivo_credits_before: rivo.creditsCents,
    rivo_tier_before: rivo.tierId,
    rivo_tier_name_before: rivo.tierName,
    rivo_dob_before: rivo.dob,
  };
}

export function getCustomer(db: Db, key: string): CustomerRow | undefined {
  return statement(db, 'SELECT * FROM customers WHERE key = ?').get(key) as CustomerRow | undefined;
}

/** Customers in read order, in chunks, so a million rows never sit in memory at once. */
export function iterateCustomers(db: Db, where = '1 = 1', params: unknown[] = [], chunk = 1000): Generator<CustomerRow> {
  return inPages<CustomerRow>(db, '*', where, params, chunk);
}

/** What matching a customer to Rivo reads of the row (the planner's first pass). */
export type CustomerIdentity = Pick<CustomerRow, 'key' | 'seq' | 'email' | 'third_party_id' | 'rivo_id'>;

/**
 * `iterateCustomers` with only the identity columns. A planned row is about 1 KB (Yotpo's record, the plan, the
 * targets); reading 100,000 whole rows took 1.5–2.1 CPU-s, these columns 0.3 s.
 */
export function iterateCustomerIdentities(db: Db, where: string, params: unknown[], chunk: number): Generator<CustomerIdentity> {
  return inPages<CustomerIdentity>(db, 'key, seq, email, third_party_id, rivo_id', where, params, chunk);
}

function* inPages<T extends { seq: number }>(db: Db, columns: string, where: string, params: unknown[], chunk: number): Generator<T> {
  const stmt = statement(db, `SELECT ${columns} FROM customers WHERE seq > ? AND (${where}) ORDER BY seq LIMIT ?`);
  let after = 0;
  for (;;) {
    const rows = stmt.all(after, ...params, chunk) as T[];
    if (!rows.length) return;
    yield* rows;
    after = rows[rows.length - 1]!.seq;
  }
}

/** The highest seq inside the pilot window (`--limit N` customers in read order), or Infinity without a limit. */
export function limitSeq(db: Db, limit: number | null): number {
  if (limit === null) return Number.MAX_SAFE_INTEGER;
  const seq = pluckStatement(db, 'SELECT seq FROM customers ORDER BY seq LIMIT 1 OFFSET ?').get(limit - 1) as number | undefined;
  return seq ?? Number.MAX_SAFE_INTEGER;
}

export function countByState(db: Db): Record<CustomerState, number> {
  const out = { pending: 0, migrated: 0, nothing_to_migrate: 0, unmatched: 0, conflict: 0, rejected: 0, invalid: 0 } as Record<CustomerState, number>;
  for (const r of statement(db, 'SELECT state, count(*) AS n FROM customers GROUP BY state').all() as { state: CustomerState; n: number }[])
    out[r.state] = r.n;
  return out;
}

/** Something the merchant must see that is not a customer state (a duplicate in Rivo, a value not restorable…). */
export function recordProblem(db: Db, p: { customerKey?: string | null; eventKey?: string | null; kind: string; detail: string }): void {
  statement(db, 'INSERT INTO problems (customer_key, event_key, kind, detail, at) VALUES (?, ?, ?, ?, ?)').run(
    p.customerKey ?? null,
    p.eventKey ?? null,
    p.kind,
    p.detail,
    now(),
  );
}

/**
 * Records a problem unless the same one is already recorded, however often the command that finds it runs (verify,
 * rollback, plan and load all re-run). A problem about an event is the same when kind and event key are (its
 * wording may carry counts that change between runs: "in Rivo 3 times"); a problem about a customer is the same when
 * kind, customer and wording are. Returns whether it was new.
 */
export function recordProblemOnce(db: Db, p: { customerKey?: string | null; eventKey?: string | null; kind: string; detail: string }): boolean {
  const customerKey = p.customerKey ?? null;
  const eventKey = p.eventKey ?? null;
  const info =
    eventKey !== null
      ? statement(
          db,
          `INSERT INTO problems (customer_key, event_key, kind, detail, at) SELECT ?, ?, ?, ?, ?
           WHERE NOT EXISTS (SELECT 1 FROM problems WHERE event_key = ? AND kind = ?)`,
        ).run(customerKey, eventKey, p.kind, p.detail, now(), eventKey, p.kind)
      : statement(
          db,
          `INSERT INTO problems (customer_key, event_key, kind, detail, at) SELECT ?, NULL, ?, ?, ?
           WHERE NOT EXISTS (SELECT 1 FROM problems WHERE customer_key IS ? AND event_key IS NULL AND kind = ? AND detail = ?)`,
        ).run(customerKey, p.kind, p.detail, now(), customerKey, p.kind, p.detail);
  return info.changes > 0;
}

export interface PlanTargets {
  targetPoints: number;
  targetLifetime: number;
  targetCredits: number;
  predictedPoints: number;
  predictedLifetime: number | null;
  predictedCredits: number;
  predictedTier: string | null;
  predictedDob: string | null;
}

/**
 * Stores what the plan intends for a customer: the targets (what Yotpo says is owed) and the prediction (what Rivo
 * will show once the plan is sent, by the model's fold, `mapper/migrated.ts`). Reports show both; verify reads them
 * for every customer whose done events add up to the prediction, and reports a target the prediction cannot reach as
 * a lifetime that cannot be exact (`verify/rules.ts lifetimeReach`), not as a difference in Rivo.
 */
export function recordPlanTargets(db: Db, key: string, t: PlanTargets): void {
  statement(db, `UPDATE customers SET ${PLAN_TARGETS_SET} WHERE key = ?`).run(...planTargetArgs(t, now()), key);
}

/** The columns `recordPlanTargets` writes (and `recordFirstPlan` with it), and their values in order. */
const PLAN_TARGETS_SET = `target_points = ?, target_lifetime = ?, target_credits = ?, predicted_points = ?, predicted_lifetime = ?,
  predicted_credits = ?, predicted_tier = ?, predicted_dob = ?, planned_at = ?`;
const planTargetArgs = (t: PlanTargets, at: string) => [t.targetPoints, t.targetLifetime, t.targetCredits, t.predictedPoints, t.predictedLifetime, t.predictedCredits, t.predictedTier, t.predictedDob, at];

/** What a first plan records on the customer row (see `recordFirstPlan`). */
export interface FirstPlanRow {
  /** Rivo's values as observed, the baseline (none when the Rivo customer was not read). */
  match: RivoCustomerSnapshot | undefined;
  valuesHash: string;
  notes: string[];
  targets: PlanTargets;
  /** The state's reason when the plan has no event. */
  nothingOwedReason: string;
}

/**
 * A first plan's customer row, for a pass that proved nothing of anyone is in Rivo (ledger/plan.ts nothingPostedYet):
 * the writes of `recordRivoMatch`, the plan's hash and notes, `recordPlanTargets` and `setCustomerState` in one
 * statement. Each of the four looked the row up by key and rewrote it (about 1 KB): in a profile of planning 100,000
 * customers the four took ~3.5 s, the one takes 1.9 s. The state is `pending` with events, `nothing_to_migrate` without, and its time changes only when
 * state or reason do, as with `setCustomerState`.
 */
export function recordFirstPlan(db: Db, key: string, row: FirstPlanRow, hasEvents: boolean): void {
  const at = now();
  const state: CustomerState = hasEvents ? 'pending' : 'nothing_to_migrate';
  const reason = hasEvents ? null : row.nothingOwedReason;
  const plan = [row.valuesHash, row.notes.length ? JSON.stringify(row.notes) : null, ...planTargetArgs(row.targets, at), state, reason, state, reason, at];
  if (row.match) statement(db, `UPDATE customers SET ${RIVO_MATCH_SET}, ${FIRST_PLAN_SET} WHERE key = ?`).run(...rivoMatchArgs(row.match, at), ...plan, key);
  else statement(db, `UPDATE customers SET ${FIRST_PLAN_SET} WHERE key = ?`).run(...plan, key);
}

const FIRST_PLAN_SET = `planned_hash = ?, plan_notes = ?, ${PLAN_TARGETS_SET},
  state = ?, state_reason = ?, state_changed_at = CASE WHEN state IS NOT ? OR state_reason IS NOT ? THEN ? ELSE state_changed_at END`;

import pLimit from 'p-limit';
import { rivoByIdSeenSince, storeRivoCustomers } from '../plan/rivo-index.js';
import type { VerifyResultRow } from '../ledger/types.js';
import type { Config } from '../config/schema.js';
import { ATTENTION_STATES, type CustomerState, type RivoCustomerSnapshot } from '../domain.js';
import { getMeta, type Db } from '../db/open.js';
import { iterateCustomers, recordProblem } from '../ledger/customers.js';
import type { CustomerRow, EventRow } from '../ledger/types.js';
import { findKeyInNote, parseKeysFromNote, KEY_PREFIX } from '../mapper/keys.js';
import type { RivoApi } from '../rivo/api.js';
import type { RivoProfile } from '../rivo/profile.js';
import { readProfile } from '../pilot/store.js';
import { readBack } from '../rivo/readback.js';
import { compareWithRivo, expectedFor, LIFETIME_RULE, normaliseDob, type ExpectedValues, type LedgerEntry } from './expected.js';

/**
 * `verify`: reads Rivo back and compares every customer with what the migration should have produced there
 * (`expected.ts`), then checks the ledger itself on a sample: each of our done events must appear exactly once in
 * the customer's Rivo events (found by the bracketed key in `internal_note`).
 *
 * Verified: every customer in the window with a Rivo id and either a done event or the state migrated /
 * nothing_to_migrate. Each gets one row in `verify_results` (upserted: the table holds the latest verification), with
 * outcome match, mismatch, missing (Rivo no longer has the customer) or not_checked (events still unsettled); a
 * customer that no longer qualifies loses its old row. Customers are streamed in chunks, each chunk's rows written in
 * one transaction; only the sample (at most `sampleEvents` keys) is held across chunks.
 */

export type { VerifyOutcome } from '../domain.js';
import type { VerifyOutcome } from '../domain.js';

export interface VerifyConfig {
  mapping: Pick<Config['mapping'], 'negativeEventsLowerLifetime'>;
  rivo: Pick<Config['rivo'], 'concurrency' | 'lookup'>;
}

export interface VerifyProgress {
  phase: 'list' | 'customers' | 'events';
  done: number;
  total: number | null;
}

export interface VerifyOptions {
  db: Db;
  rivo: RivoApi;
  config: VerifyConfig;
  /** Only customers with seq <= limitSeq (a pilot's window, see ledger `limitSeq`). Default: all. */
  limitSeq?: number;
  /** Matching customers whose events are read back as well, chosen at random (seeded). Default 200. */
  sampleEvents?: number;
  /** Seed of the sample. Default: derived from the migration id, so a re-run samples the same customers. */
  seed?: number;
  /** Above this many customers to check, Rivo's customer list is read instead of one GET each. Default 50. */
  listThreshold?: number;
  /** Customers per transaction. Default 500. */
  chunk?: number;
  now?: () => Date;
  onProgress?: (p: VerifyProgress) => void;
  /** What this Rivo store is known to do (`pilot`); default `UNMEASURED_PROFILE`. Read-backs page by it. */
  profile?: RivoProfile;
}

export interface VerifySummary {
  checkedAt: string;
  /** How Rivo's customers were read. */
  lookup: 'list' | 'get';
  /** Rows written to verify_results (customers in the window). */
  customers: number;
  outcomes: Record<VerifyOutcome, number>;
  /** Customers whose Rivo events were read back (every mismatch plus the sample). */
  ledgerChecked: number;
  keysExpected: number;
  keysFound: number;
  /** Event keys found more than once in Rivo: each is a duplicate event. */
  duplicates: number;
  /** Keys of this migration found in Rivo although the ledger does not hold them as done. */
  notInLedger: number;
  /** Customers in a state that needs the merchant (unmatched, conflict, rejected, invalid), in the window. */
  attention: Partial<Record<CustomerState, number>>;
  /** Customers whose lifetime shows what the other lifetime model predicts. */
  otherLifetimeModel: number;
  /** Set when the pilot check says the lifetime rule is the wrong one for this store. */
  lifetimeHint: string | null;
  /** Rivo requests this verification made. */
  requests: number;
  /** `clean`: every checked customer matches and no event is duplicated; `attention`: something needs the merchant. */
  outcome: 'clean' | 'attention';
}

type ResultRow = VerifyResultRow;

interface PendingProblem {
  customerKey: string;
  eventKey: string | null;
  kind: string;
  detail: string;
}

/** One customer on its way through a chunk. */
interface Work {
  row: CustomerRow;
  events: EventRow[];
  /** Null for a customer verification does not look at (nothing in Rivo to compare): its old row is removed. */
  result: ResultRow | null;
  expected: ExpectedValues | null;
  notes: string[];
  problems: PendingProblem[];
}

const ELIGIBLE_SQL = `c.rivo_id IS NOT NULL AND (c.state IN ('migrated','nothing_to_migrate')
  OR EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status = 'done'))`;

export async function verify(options: VerifyOptions): Promise<VerifySummary> {
  const { db, rivo, config } = options;
  const limitSeq = options.limitSeq ?? Number.MAX_SAFE_INTEGER;
  const sampleSize = Math.max(0, options.sampleEvents ?? 200);
  const chunkSize = Math.max(1, options.chunk ?? 500);
  const now = options.now ?? (() => new Date());
  const checkedAt = now().toISOString();
  const progress = options.onProgress ?? (() => {});
  const rules = { negativeEventsLowerLifetime: config.mapping.negativeEventsLowerLifetime };
  const limit = pLimit(Math.max(1, config.rivo.concurrency));
  const requestsAtStart = rivo.requestCount;
  const migrationId = getMeta(db, 'migration_id') ?? 'unknown';
  const ourKeyPrefix = `${KEY_PREFIX}:${migrationId}:`;

  const tierNames = new Map<string, string>(
    (db.prepare('SELECT id, name FROM rivo_tiers').all() as { id: string; name: string }[]).map((t) => [t.id, t.name]),
  );

  // Customers whose Rivo values are read (eligible, and with nothing still in the air).
  const toRead = db
    .prepare(
      `SELECT count(*) FROM customers c WHERE c.seq <= ? AND ${ELIGIBLE_SQL}
         AND NOT EXISTS (SELECT 1 FROM events u WHERE u.customer_key = c.key AND u.status IN ('planned','in_flight','uncertain'))`,
    )
    .pluck()
    .get(limitSeq) as number;
  const totalInWindow = db.prepare('SELECT count(*) FROM customers WHERE seq <= ?').pluck().get(limitSeq) as number;

  const lookup: 'list' | 'get' =
    config.rivo.lookup === 'list' || config.rivo.lookup === 'get' ? config.rivo.lookup : toRead > (options.listThreshold ?? 50) ? 'list' : 'get';

  // Listed customers go into the planner's Rivo index; only those stored by this run's listing count as current.
  const listedSince = new Date().toISOString();
  if (lookup === 'list' && toRead > 0) await readRivoList(db, rivo, limitSeq, toRead, progress);

  const writeResult = resultWriter(db);
  const removeResult = db.prepare('DELETE FROM verify_results WHERE customer_key = ?');
  const eventsOf = db.prepare('SELECT * FROM events WHERE customer_key = ? ORDER BY done_at, generation, created_at, key');

  const summary: VerifySummary = {
    checkedAt,
    lookup,
    customers: 0,
    outcomes: { match: 0, mismatch: 0, missing: 0, not_checked: 0 },
    ledgerChecked: 0,
    keysExpected: 0,
    keysFound: 0,
    duplicates: 0,
    notInLedger: 0,
    attention: {},
    otherLifetimeModel: 0,
    lifetimeHint: null,
    requests: 0,
    outcome: 'clean',
  };
  let lifetimeDiffs = 0;
  const sample = new Reservoir<{ key: string; rivoId: string }>(sampleSize, options.seed ?? seedFrom(migrationId));

  const actualOf = async (rivoId: string): Promise<RivoCustomerSnapshot | null> => {
    const listed = rivoByIdSeenSince(db, rivoId, listedSince);
    if (listed) return listed;
    // Not listed (get mode, a list cut short, or a customer Rivo dropped): ask directly before saying "missing".
    return limit(() => rivo.getCustomer(rivoId));
  };

  // Read-backs page and prove completeness the way the pilot measured this store (safe assumptions before one).
  const profile = options.profile ?? readProfile(db);
  const ledgerCheck = (w: Work & { result: ResultRow }) => limit(() => checkLedger(rivo, w, ourKeyPrefix, profile));

  let seen = 0;
  for (const batch of chunks(iterateCustomers(db, 'seq <= ?', [limitSeq], chunkSize), chunkSize)) {
    const all: Work[] = batch.map((row) => prepare(row, eventsOf.all(row.key) as EventRow[], checkedAt, rules, tierNames));
    for (const w of all) if (ATTENTION_STATES.includes(w.row.state)) summary.attention[w.row.state] = (summary.attention[w.row.state] ?? 0) + 1;
    const works = all.filter((w): w is Work & { result: ResultRow } => w.result !== null);

    await Promise.all(
      works
        .filter((w) => w.expected)
        .map(async (w) => {
          const actual = await actualOf(w.row.rivo_id!);
          applyActual(w, actual, rules, tierNames);
          if (w.result.outcome === 'mismatch') await ledgerCheck(w);
        }),
    );

    db.transaction(() => {
      for (const w of all) {
        if (w.result) writeResult({ ...w, result: w.result });
        else removeResult.run(w.row.key);
      }
    })();

    for (const w of works) {
      const r = w.result;
      summary.customers++;
      summary.outcomes[r.outcome]++;
      if (r.keys_found !== null) {
        summary.ledgerChecked++;
        summary.keysExpected += r.keys_expected ?? 0;
        summary.keysFound += r.keys_found;
      }
      summary.duplicates += r.keys_duplicated;
      summary.notInLedger += w.problems.filter((p) => p.kind === 'event_not_in_ledger').length;
      if (w.notes.includes(OTHER_MODEL)) summary.otherLifetimeModel++;
      if (w.notes.includes(LIFETIME_DIFFERS)) lifetimeDiffs++;
      if (r.outcome === 'match' && w.expected && w.expected.eventKeys.length > 0) sample.offer({ key: r.customer_key, rivoId: r.rivo_id! });
    }
    seen += all.length;
    progress({ phase: 'customers', done: seen, total: totalInWindow });
  }

  // The ledger check on a sample of the customers whose tallies match.
  const picked = sample.items();
  let checkedSample = 0;
  const getCustomerRow = db.prepare('SELECT * FROM customers WHERE key = ?');
  const getResult = db.prepare('SELECT * FROM verify_results WHERE customer_key = ?');
  for (const group of chunks(picked, chunkSize)) {
    const works: (Work & { result: ResultRow })[] = [];
    for (const p of group) {
      const row = getCustomerRow.get(p.key) as CustomerRow | undefined;
      const result = getResult.get(p.key) as ResultRow | undefined;
      if (!row || !result) continue;
      const events = eventsOf.all(row.key) as EventRow[];
      const exp = expectedFor(before(row), events.map(entry), rules);
      if (!exp.checkable) continue;
      works.push({ row, events, result: { ...result }, expected: exp.expected, notes: [], problems: [] });
    }
    await Promise.all(works.map((w) => ledgerCheck(w)));
    db.transaction(() => {
      for (const w of works) writeResult(w);
    })();
    for (const w of works) {
      summary.ledgerChecked++;
      summary.keysExpected += w.result.keys_expected ?? 0;
      summary.keysFound += w.result.keys_found ?? 0;
      summary.duplicates += w.result.keys_duplicated;
      summary.notInLedger += w.problems.filter((p) => p.kind === 'event_not_in_ledger').length;
      if (w.result.outcome !== 'match') {
        summary.outcomes.match--;
        summary.outcomes[w.result.outcome]++;
      }
    }
    checkedSample += group.length;
    progress({ phase: 'events', done: checkedSample, total: picked.length });
  }

  if (summary.otherLifetimeModel > 0) {
    const to = !rules.negativeEventsLowerLifetime;
    summary.lifetimeHint =
      `${summary.otherLifetimeModel} of ${lifetimeDiffs} customers with a lifetime difference show exactly what Rivo would show if negative events ` +
      `${to ? 'DID' : 'did NOT'} lower lifetime: this store's Rivo behaves otherwise than configured. Set \`${LIFETIME_RULE}\` to ${to} ` +
      'in your config before migrating the remaining customers.';
  }
  summary.requests = rivo.requestCount - requestsAtStart;
  const attention = Object.values(summary.attention).reduce((a, b) => a + (b ?? 0), 0);
  summary.outcome = summary.outcomes.mismatch + summary.outcomes.missing + summary.duplicates + attention > 0 ? 'attention' : 'clean';
  return summary;
}

const OTHER_MODEL = 'other-lifetime-model';
const LIFETIME_DIFFERS = 'lifetime-differs';

/**
 * Pages through Rivo's customers (250 a request), storing the ones we need in the Rivo index. Stops as soon as every
 * customer to check was seen, or when the pages read reach the number still unseen (one GET each is then cheaper).
 */
async function readRivoList(db: Db, rivo: RivoApi, limitSeq: number, toRead: number, progress: (p: VerifyProgress) => void): Promise<void> {
  const wanted = db.prepare(`SELECT 1 FROM customers c WHERE c.rivo_id = ? AND c.seq <= ? AND ${ELIGIBLE_SQL} LIMIT 1`).pluck();
  const flush = (page: RivoCustomerSnapshot[]) => storeRivoCustomers(db, page);
  const PAGE = 250;
  let buffer: RivoCustomerSnapshot[] = [];
  let listed = 0;
  let found = 0;
  for await (const c of rivo.listCustomers(PAGE)) {
    listed++;
    if (wanted.get(String(c.id), limitSeq)) {
      buffer.push(c);
      found++;
    }
    if (listed % PAGE === 0) {
      flush(buffer);
      buffer = [];
      progress({ phase: 'list', done: listed, total: null });
      const pages = listed / PAGE;
      if (found >= toRead || pages >= toRead - found) break;
    }
  }
  flush(buffer);
  progress({ phase: 'list', done: listed, total: listed });
}

function before(row: CustomerRow) {
  return {
    pointsBefore: row.rivo_points_before,
    lifetimeBefore: row.rivo_lifetime_before,
    creditsBefore: row.rivo_credits_before,
    tierBefore: row.rivo_tier_before,
    dobBefore: row.rivo_dob_before,
  };
}

function entry(e: EventRow): LedgerEntry {
  return {
    key: e.key,
    kind: e.kind,
    role: e.role,
    status: e.status,
    generation: e.generation,
    pointsAmount: e.points_amount,
    creditsCents: e.credits_cents,
    value: e.value,
    doneAt: e.done_at,
  };
}

function emptyResult(row: CustomerRow, checkedAt: string, detail: string): ResultRow {
  return {
    customer_key: row.key,
    rivo_id: row.rivo_id,
    checked_at: checkedAt,
    outcome: 'not_checked',
    points_expected: null,
    points_actual: null,
    lifetime_expected: null,
    lifetime_actual: null,
    credits_expected: null,
    credits_actual: null,
    tier_expected: null,
    tier_actual: null,
    dob_expected: null,
    dob_actual: null,
    keys_expected: null,
    keys_found: null,
    keys_duplicated: 0,
    detail,
  };
}

function tierNamer(row: CustomerRow, tierNames: Map<string, string>) {
  return (id: string | null): string | null => {
    if (id === null) return null;
    return tierNames.get(id) ?? (id === row.rivo_tier_before ? row.rivo_tier_name_before : null) ?? null;
  };
}

function prepare(row: CustomerRow, events: EventRow[], checkedAt: string, rules: { negativeEventsLowerLifetime: boolean }, tierNames: Map<string, string>): Work {
  const eligible = row.rivo_id !== null && (row.state === 'migrated' || row.state === 'nothing_to_migrate' || events.some((e) => e.status === 'done'));
  if (!eligible) return { row, events, result: null, expected: null, notes: [], problems: [] };
  const exp = expectedFor(before(row), events.map(entry), rules);
  if (!exp.checkable) return { row, events, result: emptyResult(row, checkedAt, exp.reason), expected: null, notes: [], problems: [] };
  const e = exp.expected;
  const name = tierNamer(row, tierNames);
  const result = emptyResult(row, checkedAt, '');
  Object.assign(result, {
    points_expected: e.points,
    lifetime_expected: e.lifetime,
    credits_expected: e.credits,
    tier_expected: e.tierId === null ? null : (name(e.tierId) ?? e.tierId),
    dob_expected: normaliseDob(e.dob),
    detail: null,
  });
  return { row, events, result, expected: e, notes: [], problems: [] };
}

function applyActual(w: Work & { result: ResultRow }, actual: RivoCustomerSnapshot | null, rules: { negativeEventsLowerLifetime: boolean }, tierNames: Map<string, string>): void {
  const r = w.result;
  if (!actual) {
    r.outcome = 'missing';
    r.detail = `Rivo no longer has customer ${w.row.rivo_id}`;
    return;
  }
  const name = tierNamer(w.row, tierNames);
  r.points_actual = actual.pointsTally;
  r.lifetime_actual = actual.lifetimeTally;
  r.credits_actual = actual.creditsCents;
  r.tier_actual = actual.tierId === null ? null : (actual.tierName ?? name(actual.tierId) ?? actual.tierId);
  r.dob_actual = normaliseDob(actual.dob);
  const c = compareWithRivo(w.expected!, actual, rules, name);
  if (c.otherLifetimeModel) w.notes.push(OTHER_MODEL);
  if (c.differences.some((d) => d.field === 'lifetime')) w.notes.push(LIFETIME_DIFFERS);
  r.outcome = c.matches ? 'match' : 'mismatch';
  const words = [...c.differences.map((d) => d.text), ...c.notes];
  r.detail = words.length ? words.join('; ') : null;
}

/**
 * Reads the customer's Rivo events (the loader's read-back, `rivo/readback.ts`: every page, proven complete) and
 * counts each of our done event keys in their internal notes. A key seen twice is a duplicate event; a key of this
 * migration that the ledger does not hold as done means the ledger and Rivo disagree; a listing that cannot be
 * proven complete proves nothing missing. Each turns the outcome into a mismatch; the first two are recorded as
 * problems. Revoked events are not counted.
 */
async function checkLedger(rivo: RivoApi, w: Work & { result: ResultRow }, ourKeyPrefix: string, profile: RivoProfile): Promise<void> {
  const r0 = w.result;
  // The tallies verify just compared are the ones the listing must add up to (no second request for them).
  const tallies: RivoCustomerSnapshot | undefined =
    r0.points_actual !== null && r0.credits_actual !== null
      ? {
          id: w.row.rivo_id!,
          email: w.row.rivo_email,
          pointsTally: r0.points_actual,
          lifetimeTally: r0.lifetime_actual,
          creditsCents: r0.credits_actual,
          tierId: null,
          tierName: null,
          dob: null,
          loyaltyStatus: null,
        }
      : undefined;
  const keys = w.expected!.eventKeys;
  const counts = new Map<string, number>(keys.map((k) => [k, 0]));
  const pointsOf = new Map<string, number>();
  const known = new Set(keys);
  const strangers = new Set<string>();
  const firstPosted = w.events.reduce<number | null>((min, e) => {
    const t = Date.parse(e.created_at);
    return Number.isFinite(t) && (min === null || t < min) ? t : min;
  }, null);
  let otherCount = 0;
  let otherPoints = 0;

  const rb = await readBack(rivo, w.row.rivo_id!, profile, [], tallies);
  for (const ev of rb.events) {
    if (ev.revokedAt) continue;
    let ours = false;
    for (const k of keys) {
      if (findKeyInNote(ev.internalNote ?? '', k)) {
        counts.set(k, (counts.get(k) ?? 0) + 1);
        pointsOf.set(k, ev.pointsDiff);
        ours = true;
      }
    }
    for (const k of parseKeysFromNote(ev.internalNote)) {
      if (k.startsWith(ourKeyPrefix) && !known.has(k)) {
        strangers.add(k);
        ours = true;
      }
    }
    if (!ours && firstPosted !== null) {
      const t = Date.parse(ev.createdAt ?? ev.appliedAt ?? '');
      if (Number.isFinite(t) && t >= firstPosted) {
        otherCount++;
        otherPoints += ev.pointsDiff;
      }
    }
  }

  const r = w.result;
  const found = [...counts.values()].filter((n) => n > 0).length;
  const duplicated = [...counts.entries()].filter(([, n]) => n > 1);
  const absent = [...counts.entries()].filter(([, n]) => n === 0).map(([k]) => k);
  r.keys_expected = keys.length;
  r.keys_found = found;
  r.keys_duplicated = duplicated.length;

  const words: string[] = [];
  for (const [k, n] of duplicated) {
    const pts = pointsOf.get(k) ?? 0;
    const text = `event [${k}] is in Rivo ${n} times: a duplicate (${pts >= 0 ? '+' : ''}${pts * (n - 1)} points too many); revoke the extra event in Rivo`;
    words.push(text);
    w.problems.push({ customerKey: w.row.key, eventKey: k, kind: 'duplicate_event', detail: text });
  }
  if (rb.unproven) words.push(`Rivo's event list could not be read as a whole, so nothing can be proven missing (${rb.unproven})`);
  if (absent.length)
    words.push(`${absent.length} of ${keys.length} events done in the ledger not found in Rivo's event list: ${absent.map((k) => `[${k}]`).join(', ')}`);
  for (const k of strangers) {
    const text = `event [${k}] of this migration is in Rivo but the ledger does not hold it as done`;
    words.push(text);
    w.problems.push({ customerKey: w.row.key, eventKey: k, kind: 'event_not_in_ledger', detail: text });
  }
  if (r.outcome === 'mismatch' && otherCount > 0)
    words.push(`Rivo shows ${otherCount} other event${otherCount === 1 ? '' : 's'} since the migration posted (${otherPoints >= 0 ? '+' : ''}${otherPoints} points): customer activity may explain a difference`);
  if (words.length) {
    if (duplicated.length || absent.length || strangers.size || rb.unproven) r.outcome = 'mismatch';
    r.detail = [r.detail, ...words].filter(Boolean).join('; ');
  }
}

const upsertSql = `INSERT INTO verify_results (customer_key, rivo_id, checked_at, outcome, points_expected, points_actual, lifetime_expected,
    lifetime_actual, credits_expected, credits_actual, tier_expected, tier_actual, dob_expected, dob_actual, keys_expected, keys_found,
    keys_duplicated, detail)
  VALUES (@customer_key, @rivo_id, @checked_at, @outcome, @points_expected, @points_actual, @lifetime_expected, @lifetime_actual,
    @credits_expected, @credits_actual, @tier_expected, @tier_actual, @dob_expected, @dob_actual, @keys_expected, @keys_found,
    @keys_duplicated, @detail)
  ON CONFLICT(customer_key) DO UPDATE SET rivo_id = excluded.rivo_id, checked_at = excluded.checked_at, outcome = excluded.outcome,
    points_expected = excluded.points_expected, points_actual = excluded.points_actual, lifetime_expected = excluded.lifetime_expected,
    lifetime_actual = excluded.lifetime_actual, credits_expected = excluded.credits_expected, credits_actual = excluded.credits_actual,
    tier_expected = excluded.tier_expected, tier_actual = excluded.tier_actual, dob_expected = excluded.dob_expected,
    dob_actual = excluded.dob_actual, keys_expected = excluded.keys_expected, keys_found = excluded.keys_found,
    keys_duplicated = excluded.keys_duplicated, detail = excluded.detail`;

/** Upserts a row and records its problems, each (kind, customer, event key) once however often verify runs. */
function resultWriter(db: Db): (w: Work & { result: ResultRow }) => void {
  const upsert = db.prepare(upsertSql);
  const seen = db.prepare('SELECT 1 FROM problems WHERE kind = ? AND customer_key IS ? AND event_key IS ? LIMIT 1');
  return (w) => {
    upsert.run(w.result);
    for (const p of w.problems) if (!seen.get(p.kind, p.customerKey, p.eventKey)) recordProblem(db, p);
  };
}

function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let buf: T[] = [];
  for (const item of items) {
    buf.push(item);
    if (buf.length >= size) {
      yield buf;
      buf = [];
    }
  }
  if (buf.length) yield buf;
}

/** FNV-1a of the migration id: the same migration samples the same customers on every run. */
function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform sample of at most `size` items from a stream (Algorithm R), seeded (mulberry32). */
export class Reservoir<T> {
  private readonly kept: T[] = [];
  private count = 0;
  private state: number;

  constructor(
    private readonly size: number,
    seed: number,
  ) {
    this.state = seed >>> 0;
  }

  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  offer(item: T): void {
    this.count++;
    if (this.size <= 0) return;
    if (this.kept.length < this.size) {
      this.kept.push(item);
      return;
    }
    const j = Math.floor(this.random() * this.count);
    if (j < this.size) this.kept[j] = item;
  }

  items(): T[] {
    return [...this.kept];
  }
}

import { hostname } from 'node:os';
import { holderAlive } from '../db/lock.js';
import { ATTENTION_STATES, CUSTOMER_STATES, EVENT_STATUSES, type CustomerState, type EventStatus } from '../domain.js';
import { getMeta, type Db } from '../db/open.js';
import { countByState } from '../ledger/customers.js';

/**
 * Where a migration stands, from the DB alone (no network, no writes): customers per state, points and credit done
 * and pending, the ledger's events per status, extraction progress, requests used, the last run and error, the
 * latest verification, and what the user should do next.
 */

export interface AmountStatus {
  /** Done events, rollbacks excluded. */
  done: number;
  /** Planned, in-flight and uncertain events, rollbacks excluded. */
  pending: number;
  /** Done rollback events (compensations; usually negative). */
  rolledBack: number;
  /** Rollback events not settled yet. */
  rollbackPending: number;
}

export interface ExtractionSource {
  source: string;
  pagesRead: number;
  recordsRead: number;
  totalPages: number | null;
  done: boolean;
  updatedAt: string;
}

export interface RunInfo {
  id: number;
  command: string;
  startedAt: string;
  endedAt: string | null;
  /** 'ok', 'attention', 'failed', or null while running or when it was killed. */
  outcome: string | null;
  error: string | null;
}

export interface VerifyStatus {
  checkedAt: string;
  outcomes: Record<'match' | 'mismatch' | 'missing' | 'not_checked', number>;
  duplicates: number;
  /** Events were marked done after this verification: it no longer describes Rivo. */
  stale: boolean;
}

export interface StatusSummary {
  migrationId: string | null;
  createdAt: string | null;
  customers: {
    total: number;
    byState: Record<CustomerState, number>;
    /** Customers in a state that needs the merchant (unmatched, conflict, rejected, invalid). */
    attention: number;
  };
  points: AmountStatus;
  credits: AmountStatus;
  events: { total: number; byStatus: Record<EventStatus, number> };
  uncertain: number;
  problems: { total: number; byKind: Record<string, number> };
  extraction: { sources: ExtractionSource[]; done: boolean; recordsRead: number; pagesRead: number };
  requests: { yotpo: number; rivo: number };
  lastRun: RunInfo | null;
  lastError: RunInfo | null;
  /** Who holds the DB right now, if anyone. */
  lock: { pid: number; hostname: string; command: string; acquiredAt: string } | null;
  verify: VerifyStatus | null;
  /** What to do next, in words (several steps joined by "; "). */
  next: string;
  /** The steps of `next`, one per entry. */
  nextSteps: string[];
}

const PENDING_SQL = "('planned','in_flight','uncertain')";

export function readStatus(db: Db): StatusSummary {
  const byState = countByState(db);
  const total = CUSTOMER_STATES.reduce((a, s) => a + byState[s], 0);
  const attention = ATTENTION_STATES.reduce((a, s) => a + byState[s], 0);

  const byStatus = Object.fromEntries(EVENT_STATUSES.map((s) => [s, 0])) as Record<EventStatus, number>;
  for (const r of db.prepare('SELECT status, count(*) AS n FROM events GROUP BY status').all() as { status: EventStatus; n: number }[])
    byStatus[r.status] = r.n;
  const eventsTotal = EVENT_STATUSES.reduce((a, s) => a + byStatus[s], 0);

  const amounts = db
    .prepare(
      `SELECT
         coalesce(sum(CASE WHEN status = 'done' AND role <> 'rollback' THEN points_amount END), 0) AS p_done,
         coalesce(sum(CASE WHEN status IN ${PENDING_SQL} AND role <> 'rollback' THEN points_amount END), 0) AS p_pending,
         coalesce(sum(CASE WHEN status = 'done' AND role = 'rollback' THEN points_amount END), 0) AS p_rb,
         coalesce(sum(CASE WHEN status IN ${PENDING_SQL} AND role = 'rollback' THEN points_amount END), 0) AS p_rb_pending,
         coalesce(sum(CASE WHEN status = 'done' AND role <> 'rollback' THEN credits_cents END), 0) AS c_done,
         coalesce(sum(CASE WHEN status IN ${PENDING_SQL} AND role <> 'rollback' THEN credits_cents END), 0) AS c_pending,
         coalesce(sum(CASE WHEN status = 'done' AND role = 'rollback' THEN credits_cents END), 0) AS c_rb,
         coalesce(sum(CASE WHEN status IN ${PENDING_SQL} AND role = 'rollback' THEN credits_cents END), 0) AS c_rb_pending
       FROM events WHERE kind = 'points'`,
    )
    .get() as Record<string, number>;

  const problemsByKind: Record<string, number> = {};
  let problemsTotal = 0;
  for (const r of db.prepare('SELECT kind, count(*) AS n FROM problems GROUP BY kind ORDER BY kind').all() as { kind: string; n: number }[]) {
    problemsByKind[r.kind] = r.n;
    problemsTotal += r.n;
  }

  const sources = (
    db.prepare('SELECT source, pages_read, records_read, total_pages, done, updated_at FROM extract_cursors ORDER BY source').all() as {
      source: string;
      pages_read: number;
      records_read: number;
      total_pages: number | null;
      done: number;
      updated_at: string;
    }[]
  ).map((r) => ({ source: r.source, pagesRead: r.pages_read, recordsRead: r.records_read, totalPages: r.total_pages, done: r.done === 1, updatedAt: r.updated_at }));

  const req = db.prepare('SELECT coalesce(sum(yotpo_requests), 0) AS y, coalesce(sum(rivo_requests), 0) AS r FROM runs').get() as { y: number; r: number };
  const runCols = 'id, command, started_at AS startedAt, ended_at AS endedAt, outcome, error';
  const lastRun = (db.prepare(`SELECT ${runCols} FROM runs ORDER BY id DESC LIMIT 1`).get() as RunInfo | undefined) ?? null;
  const lastError = (db.prepare(`SELECT ${runCols} FROM runs WHERE error IS NOT NULL ORDER BY id DESC LIMIT 1`).get() as RunInfo | undefined) ?? null;
  const row = db.prepare('SELECT pid, hostname, command, acquired_at AS acquiredAt, pid_start FROM lock WHERE id = 1').get() as
    | (NonNullable<StatusSummary['lock']> & { pid_start: string | null })
    | undefined;
  // A row left by a process that died (or whose pid now belongs to another process) holds nothing: the next command
  // takes it over, so it is not reported as a run in progress.
  const lock = row && !(row.hostname === hostname() && !holderAlive(row)) ? { pid: row.pid, hostname: row.hostname, command: row.command, acquiredAt: row.acquiredAt } : null;

  const summary: StatusSummary = {
    migrationId: getMeta(db, 'migration_id'),
    createdAt: getMeta(db, 'created_at'),
    customers: { total, byState, attention },
    points: { done: amounts.p_done!, pending: amounts.p_pending!, rolledBack: amounts.p_rb!, rollbackPending: amounts.p_rb_pending! },
    credits: { done: amounts.c_done!, pending: amounts.c_pending!, rolledBack: amounts.c_rb!, rollbackPending: amounts.c_rb_pending! },
    events: { total: eventsTotal, byStatus },
    uncertain: byStatus.uncertain,
    problems: { total: problemsTotal, byKind: problemsByKind },
    extraction: {
      sources,
      done: sources.length > 0 && sources.some((s) => s.done),
      recordsRead: sources.reduce((a, s) => a + s.recordsRead, 0),
      pagesRead: sources.reduce((a, s) => a + s.pagesRead, 0),
    },
    requests: { yotpo: req.y, rivo: req.r },
    lastRun,
    lastError,
    lock,
    verify: readVerify(db),
    next: '',
    nextSteps: [],
  };
  summary.nextSteps = nextSteps(db, summary);
  summary.next = summary.nextSteps.join('; ');
  return summary;
}

function readVerify(db: Db): VerifyStatus | null {
  const rows = db.prepare('SELECT outcome, count(*) AS n, max(checked_at) AS at, sum(keys_duplicated) AS dup FROM verify_results GROUP BY outcome').all() as {
    outcome: keyof VerifyStatus['outcomes'];
    n: number;
    at: string;
    dup: number | null;
  }[];
  if (!rows.length) return null;
  const outcomes = { match: 0, mismatch: 0, missing: 0, not_checked: 0 };
  let checkedAt = '';
  let duplicates = 0;
  for (const r of rows) {
    outcomes[r.outcome] = r.n;
    if (r.at > checkedAt) checkedAt = r.at;
    duplicates += r.dup ?? 0;
  }
  const lastDone = db.prepare("SELECT max(done_at) FROM events WHERE status = 'done'").pluck().get() as string | null;
  return { checkedAt, outcomes, duplicates, stale: lastDone !== null && lastDone > checkedAt };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What the user should do next, most urgent first. */
function nextSteps(db: Db, s: StatusSummary): string[] {
  const steps: string[] = [];
  const st = s.customers.byState;
  const ev = s.events.byStatus;

  if (s.lock) steps.push(`\`${s.lock.command}\` is running (process ${s.lock.pid} on ${s.lock.hostname}, since ${s.lock.acquiredAt}): wait for it to finish`);

  if (s.customers.total === 0) {
    steps.push('nothing extracted yet: run `yotpo-to-rivo migrate` (or `yotpo-to-rivo extract`)');
    return steps;
  }
  if (!s.extraction.done && s.extraction.sources.length > 0)
    steps.push(`extraction unfinished (${plural(s.extraction.recordsRead, 'record')} read so far): run \`yotpo-to-rivo migrate\` to resume`);

  const unsettled = ev.in_flight + ev.uncertain;
  if (unsettled > 0)
    steps.push(
      `${plural(unsettled, 'event')} with an unknown outcome (uncertain or interrupted in flight): run \`yotpo-to-rivo migrate\` to settle them by reading Rivo back (nothing is resent blindly)`,
    );
  if (ev.planned > 0) steps.push(`run \`yotpo-to-rivo migrate\` to resume: ${plural(ev.planned, 'event')} pending`);
  else {
    const unplanned = db
      .prepare("SELECT count(*) FROM customers c WHERE c.state = 'pending' AND NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_key = c.key AND e.status IN ('planned','in_flight','uncertain'))")
      .pluck()
      .get() as number;
    if (unplanned > 0) steps.push(`run \`yotpo-to-rivo migrate\` to resume: ${plural(unplanned, 'customer')} not planned yet`);
  }

  if (st.unmatched > 0) steps.push(`${plural(st.unmatched, 'customer')} unmatched: they are retried on the next run, or see plan.csv`);
  if (st.conflict > 0) steps.push(`${plural(st.conflict, 'customer')} in conflict (two Yotpo records, one Rivo customer): map them in \`mapping.identityMap\`, see plan.csv`);
  if (st.rejected > 0) steps.push(`${plural(st.rejected, 'customer')} rejected by Rivo: see the reasons in plan.csv, then run \`yotpo-to-rivo retry\``);
  if (st.invalid > 0) steps.push(`${plural(st.invalid, 'customer')} invalid in Yotpo: see the reasons in plan.csv`);

  const settled = ev.planned + unsettled === 0 && st.pending === 0;
  if (settled && (st.migrated > 0 || st.nothing_to_migrate > 0)) {
    const v = s.verify;
    if (!v || v.stale) steps.push('all migrated: run `yotpo-to-rivo verify`');
    else if (v.outcomes.mismatch + v.outcomes.missing + v.duplicates > 0) {
      const parts = [
        v.outcomes.mismatch ? `${plural(v.outcomes.mismatch, 'customer')} ${v.outcomes.mismatch === 1 ? 'differs' : 'differ'} from the expected values` : '',
        v.outcomes.missing ? plural(v.outcomes.missing, 'customer') + ' missing from Rivo' : '',
        v.duplicates ? plural(v.duplicates, 'duplicate event') : '',
      ].filter(Boolean);
      steps.push(`verify found ${parts.join(', ')}: see verify.csv`);
    } else if (s.customers.attention === 0) steps.push('done and verified: nothing left to do');
  }
  if (!steps.length) steps.push('run `yotpo-to-rivo migrate` to continue');
  return steps;
}

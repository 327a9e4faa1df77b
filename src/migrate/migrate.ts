import { ATTENTION_STATES, type CustomerState } from '../domain.js';
import type { ExtractSummary } from '../extract/extractor.js';
import { getMeta } from '../db/open.js';
import { countByState, limitSeq } from '../ledger/customers.js';
import type { LoadSummary } from '../load/loader.js';
import { sleep } from '../http/retry.js';
import { actionsOverview } from '../awards/stage.js';
import type { PlanTotals } from '../reports/index.js';
import type { VerifySummary } from '../verify/verifier.js';
import type { MigrateContext } from './context.js';
import { EXTRACTION_COMPLETED, extractStage, loadStage, planReport, planStage, verifyStage } from './stages.js';

/** A pass starts once this many customers wait to be planned, or sooner when the loader would otherwise idle. */
const PASS_MIN_CUSTOMERS = 200;
const IDLE_PASS_MS = 1500;
const POLL_MS = 200;

export interface MigrateOptions {
  dryRun: boolean;
}

/**
 * How `migrate` ended. The caller (the CLI) turns it into the closing message and the exit code; nothing here
 * decides either.
 * - `verified`: everything was sent, verify found nothing to look at, no customer needs the merchant.
 * - `attention`: everything that could be sent was sent and verified; some customers need the merchant.
 * - `unfinished`: writes are still owed (or Yotpo was not read to its end): running again resumes.
 * - `interrupted`: stopped by the signal; running again resumes.
 * - `dry_run`: nothing was written to Rivo; the plan and its report are ready (`attention` customers are held).
 */
export type MigrateOutcome =
  | {
      kind: 'verified' | 'attention';
      extract: ExtractSummary | undefined;
      load: LoadSummary;
      verify: VerifySummary;
      /** Customers that could not be planned (a bug), held as invalid. */
      planErrors: number;
      /** Customers in a state that needs the merchant, in the run's window. */
      attention: number;
      /** Customers by ledger state at the end. */
      states: Record<CustomerState, number>;
      totals: PlanTotals;
      files: string[];
    }
  | {
      kind: 'unfinished' | 'interrupted';
      extract: ExtractSummary | undefined;
      load?: LoadSummary;
      totals?: PlanTotals;
      /** A dry run stopped after it began planning: its report (partial) was written. */
      dryRun?: true;
      files?: string[];
    }
  | { kind: 'dry_run'; extract: ExtractSummary; attention: number; totals: PlanTotals; files: string[] };

/**
 * The main job. Extraction runs on; plan-and-load passes take whatever it has stored so far, so (once Yotpo has been
 * read completely at least once) loading starts while Yotpo pages are still being read. Each stage is resumable on
 * its own, so a re-run simply continues.
 */
export async function migrate(s: MigrateContext, options: MigrateOptions): Promise<MigrateOutcome> {
  if (options.dryRun) return dryRun(s);

  // Customers held by an earlier run (unmatched, conflicts) are looked up again: Rivo may know them now. Before any
  // write, not beside the first load pass (it would save a 20,000-customer run about 3 s): a held record that Rivo now
  // matches to the Rivo customer of a pending one makes them twins, and both must be held before either is credited.
  await planStage(s, 'held', 'retry held');

  // Two Yotpo records for one person must both be held, their Rivo customer untouched. That can only be known once
  // every record has been read: before a first complete read, nothing is sent until extraction ends. With one in the
  // DB (a dry run first, as the README's journey does), every known pair is known, and loading overlaps the re-read.
  const readBefore = getMeta(s.db, EXTRACTION_COMPLETED) !== null;
  if (!readBefore)
    s.say(
      'First complete read of Yotpo: sending starts when it ends, so that two records for one person are found before either is credited. ' +
        '(After a `migrate --dry-run`, a run overlaps reading and sending.)',
    );

  let extractResult: ExtractSummary | undefined;
  let extractError: unknown;
  const extraction = extractStage(s).then(
    (r) => (extractResult = r),
    (err) => (extractError = err),
  );
  const extractionOver = () => extractResult !== undefined || extractError !== undefined;

  let loadSummary: LoadSummary | undefined;
  // What an earlier run planned (after a dry run: everyone) goes out while Yotpo is read again.
  if (readBefore) loadSummary = await loadStage(s);
  let waitingSince = Date.now();
  for (;;) {
    if (s.signal.aborted) break;
    const waiting = customersToPlan(s);
    const over = extractionOver();
    const mayLoad = readBefore || over;
    // Planning (Rivo lookups) may run ahead of a first read; sending waits for it. Without sending to wait on, a pass
    // is worth starting only for a good number of customers.
    const due = over || waiting >= PASS_MIN_CUSTOMERS || (mayLoad && Date.now() - waitingSince >= IDLE_PASS_MS);
    if (waiting > 0 && due) {
      await planStage(s, 'changed');
      if (mayLoad) loadSummary = await loadStage(s);
      waitingSince = Date.now();
      // A pass that began after extraction ended saw everything: anything still unplanned (events the loader could
      // not settle) waits for the next run rather than spinning here.
      if (over) break;
      continue;
    }
    if (over) break;
    if (waiting === 0) waitingSince = Date.now();
    await sleep(POLL_MS);
  }
  await extraction;
  if (extractError) throw extractError;
  // Something may still be owed from an earlier run even when nothing new was read (a run killed mid-load).
  if (!loadSummary || loadSummary.outcome === 'pending') loadSummary = await loadStage(s);

  if (s.config.limit !== null && !readBefore && extractResult?.stoppedBy === 'limit')
    s.say(
      'warning: Yotpo has not been read completely yet, so a second record elsewhere in Yotpo for one of these pilot customers ' +
        'cannot be ruled out. Run `migrate --dry-run` before the full run.',
    );
  // A pilot (`--limit N`) stops reading at its limit on purpose: its customers are complete, so it verifies and ends.
  const extractComplete = extractResult !== undefined && (extractResult.done || extractResult.stoppedBy === 'limit');
  const load = loadSummary;
  // Unfinished or interrupted: no verify, so the plan report renders report.html itself.
  if (s.signal.aborted || !extractComplete || load.outcome === 'pending') {
    const report = await planReport(s);
    return { kind: s.signal.aborted ? 'interrupted' : 'unfinished', extract: extractResult, load: loadSummary, totals: report.totals };
  }
  // Verify follows and renders report.html: the plan report leaves the page to it. Its totals are counted now (before
  // verify writes anything); plan.csv, most of its time, is written while verify waits on Rivo (its listing is paced by
  // Rivo's pages, its read-backs by the rate budget), instead of before verify starts: ~1 s less at 20,000 customers.
  const writing = planReport(s, { html: false });
  writing.catch(() => undefined); // awaited below; if verify fails first, its error is the one reported
  const planErrors = s.db.prepare("SELECT count(*) FROM problems WHERE kind = 'plan_error'").pluck().get() as number;
  if (planErrors) s.say(`warning: ${planErrors} customers could not be planned (a bug: please report it); they are held as invalid, see the report`);
  const verified = await verifyStage(s);
  const report = await writing;
  const attention = attentionCount(s);
  return {
    kind: verified.summary.outcome === 'clean' && attention === 0 ? 'verified' : 'attention',
    extract: extractResult,
    load: loadSummary,
    verify: verified.summary,
    planErrors,
    attention,
    states: countByState(s.db),
    totals: report.totals,
    // The page where it was when the plan report wrote it: plan files, report.html, verify files.
    files: [...new Set([...report.files, ...verified.files.filter((f) => f.endsWith('.html')), ...verified.files])],
  };
}

async function dryRun(s: MigrateContext): Promise<MigrateOutcome> {
  const extracted = await extractStage(s);
  if (!extracted.done && s.signal.aborted) return { kind: 'interrupted', extract: extracted };
  await planStage(s, 'all');
  for (const line of await actionsOverview(s)) s.say(line);
  const report = await planReport(s);
  // Stopped while reading histories or planning: the report is partial, and the next run resumes.
  if (s.signal.aborted) return { kind: 'interrupted', dryRun: true, extract: extracted, totals: report.totals, files: report.files };
  return { kind: 'dry_run', extract: extracted, attention: attentionCount(s), totals: report.totals, files: report.files };
}

function customersToPlan(s: MigrateContext): number {
  return s.db
    .prepare("SELECT count(*) FROM customers WHERE state <> 'invalid' AND seq <= ? AND (planned_hash IS NULL OR planned_hash <> values_hash)")
    .pluck()
    .get(limitSeq(s.db, s.config.limit)) as number;
}

export function attentionCount(s: Pick<MigrateContext, 'db' | 'config'>): number {
  const max = limitSeq(s.db, s.config.limit);
  const placeholders = ATTENTION_STATES.map(() => '?').join(',');
  return s.db.prepare(`SELECT count(*) FROM customers WHERE seq <= ? AND state IN (${placeholders})`).pluck().get(max, ...ATTENTION_STATES) as number;
}

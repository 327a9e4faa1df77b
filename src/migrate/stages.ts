import { awardPass, checkAwardMapping } from '../awards/stage.js';
import { getMeta, setMeta } from '../db/open.js';
import { extract, type ExtractSummary } from '../extract/extractor.js';
import { limitSeq } from '../ledger/customers.js';
import { load, type LoadSummary } from '../load/loader.js';
import { historyStage } from '../history/stage.js';
import { formatChecklist, preflightItemsFor } from '../preflight/checklist.js';
import { readProfile } from '../pilot/store.js';
import { resolveSendMode } from '../rivo/send-mode.js';
import { plan, type PlanScope, type PlanSummary } from '../plan/planner.js';
import { writePlanReport, writeVerifyReport, type VerifyTotals } from '../reports/index.js';
import { formatSeconds } from '../util/format.js';
import { verify, type VerifySummary } from '../verify/verifier.js';
import type { MigrateContext } from './context.js';

/**
 * Each stage as the commands run it: the library call plus its progress display and log lines. The commands and
 * `migrate` compose these; none of them holds migration logic.
 */

/** Meta key: when a pass over the Yotpo source first reached its end (every record has been seen once). */
export const EXTRACTION_COMPLETED = 'extraction_completed_at';

/** Invalid records and dropped values are named one by one up to this many; the rest are counted. */
const SHOWN = 10;

export async function extractStage(s: MigrateContext, options: { csvPath?: string } = {}): Promise<ExtractSummary> {
  const bar = s.progress.stage('extract');
  let invalid = 0;
  let warnings = 0;
  const summary = await extract({
    db: s.db,
    config: s.config,
    client: options.csvPath ? undefined : s.yotpo(),
    csvPath: options.csvPath,
    limit: s.config.limit,
    signal: s.signal,
    onProgress: (p) => {
      // Pages when the source says how many there are (the ETA then follows from the rate budget), records otherwise.
      const rate = p.requests ? `, ${Math.round(p.ratePerMin)} req/min` : '';
      const left = p.etaSeconds !== undefined ? `, ~${formatSeconds(p.etaSeconds)} left at the budget${p.totalEstimated ? ' (est.)' : ''}` : '';
      if (p.totalPages !== undefined) bar.update(p.passPages, p.totalPages, `${p.passRecords} customers${rate}${left}`);
      else bar.update(p.passRecords, null, `page ${p.passPages}${rate}`);
    },
    onWarning: (w) => {
      s.log.warn({ stage: 'extract' }, w);
      if (warnings++ < SHOWN) s.progress.line(`warning: ${w}`);
    },
    onInvalid: (r) => {
      s.log.warn({ stage: 'extract', customer: r.key }, r.invalidReason ?? 'invalid');
      if (invalid++ < SHOWN) s.progress.line(`invalid: ${r.invalidReason}`);
    },
  });
  if (warnings > SHOWN) s.progress.line(`… and ${warnings - SHOWN} more warnings (values dropped from otherwise valid records; raw records are kept)`);
  if (invalid > SHOWN) s.progress.line(`… and ${invalid - SHOWN} more invalid records (all of them are in plan.csv and the log)`);
  bar.stop(
    `${summary.records} records read (${summary.added} new, ${summary.changed} changed, ${summary.invalid} invalid) in ${summary.pages} pages, ${summary.requests} requests${summary.done ? '' : ' — not finished: run again to resume'}`,
  );
  if (summary.done && getMeta(s.db, EXTRACTION_COMPLETED) === null) setMeta(s.db, EXTRACTION_COMPLETED, new Date().toISOString());
  s.log.info({ stage: 'extract', summary }, 'extract finished');
  return summary;
}

export async function planStage(s: MigrateContext, scope: PlanScope, label = 'plan'): Promise<PlanSummary> {
  // A mapped one-time action must name an awardable Rivo rule: checked before any lookup or write (exit 2).
  await checkAwardMapping(s);
  // mapping.history: the customers about to be planned have their Yotpo history read first (cost said before).
  await historyStage(s);
  const bar = s.progress.stage(label);
  const summary = await plan({
    db: s.db,
    config: s.config,
    rivo: s.rivo(),
    migrationId: s.migrationId,
    limitSeq: limitSeq(s.db, s.config.limit),
    scope,
    signal: s.signal,
    onProgress: (p) => bar.update(p.done, p.phase === 'rivo' ? null : p.total, p.phase === 'rivo' ? 'reading Rivo customers' : p.phase),
  });
  if (summary.considered > 0)
    bar.stop(
      `${summary.considered} customers: ${summary.planned} with events owed (${summary.events} events), ${summary.nothingToMigrate} nothing to migrate, ` +
        `${summary.unmatched} unmatched, ${summary.conflicts} conflicts${summary.errors ? `, ${summary.errors} could not be planned` : ''}`,
    );
  else bar.stop();
  s.log.info({ stage: 'plan', scope, summary }, 'plan finished');
  return summary;
}

const told = new WeakSet<MigrateContext>();

/** The pre-flight checklist for this run's config and store: before the first write of a run and after the dry run. */
export function sayChecklist(s: MigrateContext): void {
  s.say(formatChecklist(preflightItemsFor(s.config)));
}

export async function loadStage(s: MigrateContext): Promise<LoadSummary> {
  // A person at a terminal confirms first, with the checklist on screen; otherwise it is said as the first load starts.
  const asked = await s.confirmWrites();
  const sendMode = resolveSendMode(s.config.rivo.sendMode, readProfile(s.db), s.config.rivo.batchSize);
  // `migrate` loads in several passes: the hint is said once per command.
  if (!told.has(s)) {
    told.add(s);
    if (sendMode.hint) s.say(sendMode.hint);
    // Said when this run has customers to write to, not on a re-run that owes nothing.
    if (!asked && s.db.prepare("SELECT 1 FROM events WHERE status = 'planned' LIMIT 1").get()) sayChecklist(s);
    s.log.info({ stage: 'load', sendMode: sendMode.mode, reason: sendMode.reason }, 'send mode');
  }
  // One-time action awards go before the points events they shrink; the customers they counted are re-planned.
  // Histories not read yet (a plan made before the actions were mapped) are read first: the actions come from them.
  if (Object.keys(s.config.mapping.oneTimeActions).length > 0) await historyStage(s);
  const awards = await awardPass(s);
  if (awards && (awards.replan > 0 || awards.held > 0)) await planStage(s, 'changed', 're-plan after awards');
  const bar = s.progress.stage('load');
  const summary = await load({
    db: s.db,
    config: s.config,
    rivo: s.rivo(),
    migrationId: s.migrationId,
    limitSeq: limitSeq(s.db, s.config.limit),
    signal: s.signal,
    onProgress: (p) => bar.update(p.eventsDone, p.eventsTotal, `${p.rate.toFixed(1)} req/s${p.eventsUncertain ? `, ${p.eventsUncertain} settling` : ''}`),
    log: (line) => {
      s.log.warn({ stage: 'load' }, line);
      s.progress.recovery(line);
    },
  });
  s.progress.settled(summary.settled);
  if (summary.events.total > 0)
    bar.stop(
      `${summary.events.landedThisRun} events sent (${summary.events.done}/${summary.events.total} done), ${summary.requests} requests` +
        `${summary.events.rejected ? `, ${summary.events.rejected} rejected` : ''}${summary.duplicates.total ? `, ${summary.duplicates.total} DUPLICATES found in Rivo` : ''}`,
    );
  else bar.stop();
  s.log.info({ stage: 'load', summary: { ...summary, rejected: summary.rejected.length, pending: summary.pending.length } }, 'load finished');
  return summary;
}

export async function verifyStage(s: MigrateContext): Promise<{ summary: VerifySummary; files: string[]; totals: VerifyTotals }> {
  const bar = s.progress.stage('verify');
  const what = { list: 'Rivo customers listed', customers: 'customers compared', events: 'ledgers read back' } as const;
  const summary = await verify({
    db: s.db,
    rivo: s.rivo(),
    config: s.config,
    limitSeq: limitSeq(s.db, s.config.limit),
    onProgress: (p) => bar.update(p.done, p.total, what[p.phase]),
  });
  const { files, totals } = await writeVerifyReport({ db: s.db, outDir: s.config.out, redact: s.config.redact, migrationId: s.migrationId, now: new Date(summary.checkedAt), run: s.reportRun });
  bar.stop(`${summary.outcomes.match} match, ${summary.outcomes.mismatch} mismatch, ${summary.outcomes.missing} missing, ${summary.duplicates} duplicates`);
  if (summary.lifetimeHint) s.progress.line(`verify: ${summary.lifetimeHint}`);
  s.log.info({ stage: 'verify', summary }, 'verify finished');
  return { summary, files, totals };
}

export async function planReport(s: MigrateContext, options: { html?: boolean } = {}) {
  return writePlanReport({ db: s.db, outDir: s.config.out, redact: s.config.redact, migrationId: s.migrationId, run: s.reportRun, html: options.html });
}

import type { Session } from '../cli/session.js';
import { extract, type ExtractSummary } from '../extract/extractor.js';
import { limitSeq } from '../ledger/customers.js';
import { load, type LoadSummary } from '../load/loader.js';
import { plan, type PlanScope, type PlanSummary } from '../plan/planner.js';
import { writePlanReport, writeVerifyReport } from '../reports/index.js';
import { verify, type VerifySummary } from '../verify/verifier.js';

/**
 * Each stage as the commands run it: the library call plus its progress display and log lines. The commands and
 * `migrate` compose these; none of them holds migration logic.
 */

export async function extractStage(s: Session, options: { csvPath?: string } = {}): Promise<ExtractSummary> {
  const bar = s.progress.stage('extract');
  let invalidShown = 0;
  const summary = await extract({
    db: s.db,
    config: s.config,
    client: options.csvPath ? undefined : s.yotpo(),
    csvPath: options.csvPath,
    limit: s.config.limit,
    signal: s.signal,
    onProgress: (p) =>
      bar.update(p.passRecords, null, `${p.passPages}${p.totalPages ? `/${p.totalPages}` : ''} pages, ${Math.round(p.ratePerMin)} req/min${p.etaSeconds !== undefined ? `, ~${Math.round(p.etaSeconds)}s left at the budget` : ''}`),
    onWarning: (w) => s.log.warn({ stage: 'extract' }, w),
    onInvalid: (r) => {
      s.log.warn({ stage: 'extract', customer: r.key }, r.invalidReason ?? 'invalid');
      if (invalidShown++ < 5) s.progress.line(`invalid Yotpo record: ${r.invalidReason}`);
    },
  });
  bar.stop(
    `${summary.records} records read (${summary.added} new, ${summary.changed} changed, ${summary.invalid} invalid) in ${summary.pages} pages, ${summary.requests} requests${summary.done ? '' : ' — not finished: run again to resume'}`,
  );
  s.log.info({ stage: 'extract', summary }, 'extract finished');
  return summary;
}

export async function planStage(s: Session, scope: PlanScope, label = 'plan'): Promise<PlanSummary> {
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

export async function loadStage(s: Session): Promise<LoadSummary> {
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
      s.progress.line(`load: ${line}`);
    },
  });
  if (summary.events.total > 0)
    bar.stop(
      `${summary.events.landedThisRun} events sent (${summary.events.done}/${summary.events.total} done), ${summary.requests} requests` +
        `${summary.events.rejected ? `, ${summary.events.rejected} rejected` : ''}${summary.duplicates.total ? `, ${summary.duplicates.total} DUPLICATES found in Rivo` : ''}`,
    );
  else bar.stop();
  s.log.info({ stage: 'load', summary: { ...summary, rejected: summary.rejected.length, pending: summary.pending.length } }, 'load finished');
  return summary;
}

export async function verifyStage(s: Session): Promise<{ summary: VerifySummary; files: string[] }> {
  const bar = s.progress.stage('verify');
  const summary = await verify({
    db: s.db,
    rivo: s.rivo(),
    config: s.config,
    limitSeq: limitSeq(s.db, s.config.limit),
    onProgress: (p) => bar.update(p.done, p.total, p.phase),
  });
  const { files } = await writeVerifyReport({ db: s.db, outDir: s.config.out, redact: s.config.redact, migrationId: s.migrationId });
  bar.stop(`${summary.outcomes.match} match, ${summary.outcomes.mismatch} mismatch, ${summary.outcomes.missing} missing, ${summary.duplicates} duplicates`);
  if (summary.lifetimeHint) s.progress.line(`verify: ${summary.lifetimeHint}`);
  s.log.info({ stage: 'verify', summary }, 'verify finished');
  return { summary, files };
}

export async function planReport(s: Session) {
  return writePlanReport({ db: s.db, outDir: s.config.out, redact: s.config.redact, migrationId: s.migrationId });
}

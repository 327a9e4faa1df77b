import type { MigrateContext } from '../migrate/context.js';
import { formatSeconds } from '../util/format.js';
import { setMeta } from '../db/open.js';
import { limitSeq } from '../ledger/customers.js';
import { HISTORY_COST_META } from '../reports/history.js';
import { lookUpHistories, lookupCost, type LookupCost, type LookupSummary } from './lookup.js';

/** Problem lines shown one by one up to this many; the rest are counted (all are in the log and in plan.csv). */
const SHOWN = 10;

/** "History: N lookups ≈ T at R/min": said before any lookup is made. */
export function formatCost(cost: LookupCost): string {
  return `History: ${cost.lookups} lookups ≈ ${formatSeconds(cost.seconds)} at ${cost.rpm}/min (one Yotpo request per customer, inside the Yotpo budget)`;
}

/**
 * The lookup stage as the commands run it (with mapping.history on): the cost first, then the lookups with a
 * progress bar. Runs before each plan pass, so every customer planned has its history stored.
 */
export async function historyStage(s: MigrateContext): Promise<LookupSummary | null> {
  // One-time actions are read from the same histories (awards/history.ts), so mapping them needs the lookups too.
  if (!s.config.mapping.history && Object.keys(s.config.mapping.oneTimeActions).length === 0) return null;
  const maxSeq = limitSeq(s.db, s.config.limit);
  const cost = lookupCost(s.db, s.config, maxSeq);
  if (cost.lookups === 0) return null;
  // A command that does not read Yotpo (`plan`, `retry`) without its credentials: those customers wait, unplanned.
  if (!s.canReadYotpo) {
    s.say(`History: ${cost.lookups} customers wait for their Yotpo history lookup (no Yotpo credentials here): \`migrate\` looks them up and plans them`);
    return null;
  }
  s.say(formatCost(cost));
  // Kept for plan.json and the report: the cost as said before the first lookup.
  setMeta(s.db, HISTORY_COST_META, JSON.stringify({ ...cost, statedAt: new Date().toISOString() }));
  s.log.info({ stage: 'history', cost }, 'history lookup cost');
  const bar = s.progress.stage('history');
  let shown = 0;
  const summary = await lookUpHistories({
    db: s.db,
    config: s.config,
    client: s.yotpo(),
    maxSeq,
    signal: s.signal,
    onProgress: (p) => bar.update(p.done, p.total),
    onProblem: (line) => {
      s.log.warn({ stage: 'history' }, line);
      if (shown++ < SHOWN) s.progress.line(`warning: ${line.replace(/\n/g, '; ')}`);
    },
  });
  if (shown > SHOWN) s.progress.line(`… and ${shown - SHOWN} more histories that cannot be replayed (all of them are in the log and plan.csv)`);
  bar.stop(
    `${summary.done} histories read (${summary.found} found, ${summary.notFound} not found, ${summary.unreadable} unreadable, ${summary.failed} failed)` +
      `${summary.stopped ? ' — not finished: run again to resume' : ''}`,
  );
  s.log.info({ stage: 'history', summary }, 'history lookup finished');
  return summary;
}

import type { Session } from '../cli/session.js';
import { ConfigError } from '../errors.js';
import { limitSeq } from '../ledger/customers.js';
import { readProfile } from '../pilot/store.js';
import { listEarningRules, type EarningRule } from '../rivo/awards.js';
import { mappingProblems } from './actions.js';
import { historySource } from './history.js';
import { runAwards, type AwardSummary } from './runner.js';

/** Rivo's earning rules, listed once per session (the dry run and every load pass share them). */
const listed = new WeakMap<Session, EarningRule[]>();

export async function earningRulesOf(s: Session): Promise<EarningRule[]> {
  let rules = listed.get(s);
  if (!rules) {
    rules = await listEarningRules(s.rivo().requester);
    listed.set(s, rules);
  }
  return rules;
}

/**
 * `mapping.oneTimeActions` against Rivo's listed rules: an unknown rule id, an inactive rule or a category the API
 * cannot award is a config error (exit 2), raised before anything is sent. Nothing is listed when nothing is mapped.
 */
export async function checkAwardMapping(s: Session): Promise<EarningRule[]> {
  if (Object.keys(s.config.mapping.oneTimeActions).length === 0) return [];
  const rules = await earningRulesOf(s);
  const problems = mappingProblems(s.config.mapping.oneTimeActions, rules);
  if (problems.length) throw new ConfigError('mapping.oneTimeActions does not fit the earning rules of this Rivo store (nothing was sent):', problems);
  return rules;
}

/**
 * The awards of one load pass, before its points events: returns null when nothing is mapped. The caller re-plans
 * the customers whose awards were counted (`replan`) or are held, before loading.
 */
export async function awardPass(s: Session): Promise<AwardSummary | null> {
  if (Object.keys(s.config.mapping.oneTimeActions).length === 0) return null;
  const rules = await checkAwardMapping(s);
  const summary = await runAwards({
    db: s.db,
    config: s.config,
    http: s.rivo().requester,
    rivo: s.rivo(),
    profile: readProfile(s.db),
    migrationId: s.migrationId,
    rules,
    history: historySource(s.db),
    limitSeq: limitSeq(s.db, s.config.limit),
    signal: s.signal,
    log: (line) => {
      s.log.warn({ stage: 'awards' }, line);
      s.progress.line(line);
    },
  });
  s.log.info({ stage: 'awards', summary }, 'awards finished');
  if (summary.customers > 0) s.progress.line(awardLine(summary));
  return summary;
}

export function awardLine(a: AwardSummary): string {
  const parts = [
    `${a.awarded} awarded (${a.points} points counted into the migration)`,
    a.pending ? `${a.pending} pending approval (not counted)` : null,
    a.already ? `${a.already} already earned before` : null,
    a.skipped ? `${a.skipped} not sent (more than the customer is owed)` : null,
    a.refused ? `${a.refused} refused` : null,
    a.uncertain ? `${a.uncertain} uncertain (those customers wait for the next run)` : null,
  ].filter(Boolean);
  return `one-time actions: ${a.customers} customers, ${parts.join(', ')}`;
}

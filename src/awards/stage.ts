import type { Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import type { Logger } from '../log.js';
import type { RivoClient } from '../rivo/client.js';
import { ConfigError } from '../errors.js';
import { awardsAwaitingReplan } from '../ledger/awards.js';
import { limitSeq } from '../ledger/customers.js';
import { readProfile } from '../pilot/store.js';
import { listEarningRules, type EarningRule } from '../rivo/awards.js';
import { mappingProblems } from './actions.js';
import { historySource } from './history.js';
import { runAwards, type AwardSummary } from './runner.js';
import { actionNames, actionsOverviewLines, rememberMapping } from './view.js';

/**
 * What the awards need from whoever runs them (the CLI's session, or migrate's context): nothing of the CLI itself,
 * so nothing below src/cli imports it.
 */
export interface AwardContext {
  config: Config;
  db: Db;
  migrationId: string;
  log: Logger;
  signal: AbortSignal;
  rivo(): RivoClient;
  say(line: string): void;
  progress: { line(text: string): void };
}

/** Rivo's earning rules, listed once per run (the dry run and every load pass share them). */
const listed = new WeakMap<AwardContext, EarningRule[]>();

export async function earningRulesOf(s: AwardContext): Promise<EarningRule[]> {
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
export async function checkAwardMapping(s: AwardContext): Promise<EarningRule[]> {
  rememberMapping(s.db, s.config.mapping.oneTimeActions);
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
export async function awardPass(s: AwardContext): Promise<AwardSummary | null> {
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
  if (summary.customers > 0) s.say(awardLine(summary));
  // Counted now or by a run that stopped before its re-plan: either way those customers are planned again first.
  summary.replan = awardsAwaitingReplan(s.db, limitSeq(s.db, s.config.limit));
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

/**
 * The dry run's list: the completed action names in the histories read, each mapped or not (with a Rivo rule of a
 * similar name), Rivo's awardable rules, and the notice that an award may email the customer. Nothing when no
 * history was read. A store without the earning rules listing is said, not fatal (nothing is mapped then).
 */
export async function actionsOverview(s: AwardContext): Promise<string[]> {
  const mapping = s.config.mapping.oneTimeActions;
  const any = s.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history_items'").get() && s.db.prepare('SELECT 1 FROM history_items LIMIT 1').get();
  if (!any && Object.keys(mapping).length === 0) return [];
  let rules: EarningRule[];
  try {
    rules = await earningRulesOf(s);
  } catch (err) {
    return [`One-time actions: Rivo's earning rules could not be listed (${err instanceof Error ? err.message : String(err)}); nothing can be mapped or awarded.`];
  }
  return actionsOverviewLines(actionNames(s.db, mapping, rules, limitSeq(s.db, s.config.limit)), rules, mapping);
}

import { replanRejected } from '../../ledger/events.js';
import { limitSeq } from '../../ledger/customers.js';
import { loadStage, planReport, planStage } from '../../migrate/stages.js';
import type { CommandRun } from '../context.js';
import { exitCodeFor, withExitCode } from '../exit-codes.js';
import { withSession } from '../session.js';

/** `retry`: customers Rivo refused get their events back in the queue; unmatched and conflicts are looked up again. */
export const run: CommandRun = (args) =>
  withSession(args, { command: 'retry', talksTo: ['rivo'], db: 'existing', writes: true }, async (s) => {
    const rejected = s.db
      .prepare("SELECT key FROM customers WHERE state = 'rejected' AND seq <= ? ORDER BY seq")
      .pluck()
      .all(limitSeq(s.db, s.config.limit)) as string[];
    let events = 0;
    for (const key of rejected) events += replanRejected(s.db, key);
    s.say(`retry: ${rejected.length} rejected customers (${events} events) queued again`);
    const held = await planStage(s, 'held', 'retry held');
    await planStage(s, 'changed');
    const load = await loadStage(s);
    const report = await planReport(s);
    return { exitCode: exitCodeFor(load), summary: { rejectedRequeued: rejected.length, eventsRequeued: events, held, load: withExitCode(load), totals: report.totals } };
  });

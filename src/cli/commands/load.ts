import { loadStage } from '../../migrate/stages.js';
import { formatLoadSummary } from '../../load/report.js';
import type { CommandRun } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { withSession } from '../session.js';

/**
 * `load`: send the planned events to Rivo, exactly once; resumable (the session holds the lock, records the run and
 * turns the first Ctrl-C into a stop after the requests in flight). Exit 0 all done, 3 customers need attention,
 * 1 writes still pending after the retry budget (run again).
 */
export const run: CommandRun = (args) =>
  withSession(args, { command: 'load', talksTo: ['rivo'], db: 'existing', writes: true }, async (s) => {
    const summary = await loadStage(s);
    for (const line of formatLoadSummary(summary)) s.say(line);
    return { exitCode: exitCodeFor(summary), summary: { ...summary } };
  });

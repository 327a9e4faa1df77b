import { actionsOverview } from '../../awards/stage.js';
import { EXIT } from '../exit-codes.js';
import { attentionCount } from '../../migrate/migrate.js';
import { planReport, planStage } from '../../migrate/stages.js';
import type { CommandRun } from '../context.js';
import { withSession } from '../session.js';

/** `plan`: match every extracted customer in Rivo and store what each is owed; reads Rivo, never writes to it. */
export const run: CommandRun = (args) =>
  withSession(args, { command: 'plan', talksTo: ['rivo'], db: 'existing' }, async (s) => {
    const summary = await planStage(s, 'all');
    for (const line of await actionsOverview(s)) s.say(line);
    const report = await planReport(s);
    s.say(`Reconciliation report: ${report.files.join(', ')}`);
    return { exitCode: attentionCount(s) ? EXIT.attention : EXIT.ok, summary: { plan: summary, totals: report.totals, files: report.files } };
  });

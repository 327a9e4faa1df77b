import { migrate } from '../../migrate/migrate.js';
import { formatChecklist } from '../../preflight/checklist.js';
import type { CommandRun } from '../context.js';
import { withSession } from '../session.js';

/** `migrate [--dry-run]`: extract, plan, load, verify; resumes an unfinished run by itself. */
export const run: CommandRun = (args) =>
  withSession(args, { command: args.dryRun ? 'migrate --dry-run' : 'migrate', talksTo: ['yotpo', 'rivo'], db: 'create', confirmWrites: !args.dryRun }, async (s) => {
    const result = await migrate(s, { dryRun: args.dryRun ?? false });
    // The dry run is where a merchant prepares the real one: what to pause comes with its report.
    if (args.dryRun) s.say(`\n${formatChecklist()}`);
    return result;
  });

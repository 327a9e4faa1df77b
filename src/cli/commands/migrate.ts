import { migrate } from '../../migrate/migrate.js';
import type { CommandRun } from '../context.js';
import { withSession } from '../session.js';

/** `migrate [--dry-run]`: extract, plan, load, verify; resumes an unfinished run by itself. */
export const run: CommandRun = (args) =>
  withSession(args, { command: args.dryRun ? 'migrate --dry-run' : 'migrate', talksTo: ['yotpo', 'rivo'], db: 'create', writes: !args.dryRun }, (s) =>
    migrate(s, { dryRun: args.dryRun ?? false }),
  );

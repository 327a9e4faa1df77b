import { migrate, type MigrateOutcome } from '../../migrate/migrate.js';
import { formatChecklist, preflightItemsFor } from '../../preflight/checklist.js';
import type { CommandResult, CommandRun } from '../context.js';
import { exitCodeFor, withExitCode } from '../exit-codes.js';
import { withSession, type Session } from '../session.js';

/** `migrate [--dry-run]`: extract, plan, load, verify; resumes an unfinished run by itself. */
export const run: CommandRun = (args) =>
  withSession(args, { command: args.dryRun ? 'migrate --dry-run' : 'migrate', talksTo: ['yotpo', 'rivo'], db: 'create', writes: !args.dryRun }, (s) =>
    runMigrate(s, args.dryRun ?? false),
  );

/** `migrate` in a session (the `demo` runs it too): the run, then its closing lines, JSON summary and exit code. */
export async function runMigrate(s: Session, dryRun: boolean): Promise<CommandResult> {
  const outcome = await migrate(s, { dryRun });
  for (const line of closingLines(s, outcome)) s.say(line);
  return { exitCode: exitCodeFor(outcome), summary: summaryOf(outcome) };
}

function closingLines(s: Session, o: MigrateOutcome): string[] {
  switch (o.kind) {
    case 'dry_run': {
      const lines = [`Dry run: nothing was written to Rivo. Reconciliation report: ${o.files.join(', ')}`, formatChecklist(preflightItemsFor(s.config))];
      if (!o.totals.checks.customersAddUp || !o.totals.checks.pointsAddUp) lines.push('warning: the totals do not add up; see plan.json "checks"');
      return lines;
    }
    case 'interrupted':
    case 'unfinished':
      if (o.dryRun)
        return [`Dry run stopped before the end: nothing was written to Rivo. Run \`yotpo-to-rivo migrate --dry-run\` again to resume. Partial report: ${(o.files ?? []).join(', ')}`];
      // A dry run stopped while reading Yotpo has sent nothing and owes nothing: the interrupt message said it all.
      if (!o.load) return [];
      return [`Not finished: ${o.load.events.planned + o.load.events.uncertain} events still to send. Run \`yotpo-to-rivo migrate\` again to resume.`];
    case 'verified':
    case 'attention': {
      const parts = Object.entries(o.states)
        .filter(([, n]) => n > 0)
        .map(([state, n]) => `${n} ${state.replace(/_/g, ' ')}`);
      const head = o.kind === 'verified' ? 'Migration complete and verified.' : `Migration finished; ${o.attention} customers need attention (see the report).`;
      return [`${head} ${parts.join(', ')}.\nReports: ${o.files.join(', ')}`];
    }
  }
}

/** The `--json` summary, as `migrate` has always printed it (the load and verify summaries with their own exit codes). */
function summaryOf(o: MigrateOutcome): Record<string, unknown> {
  switch (o.kind) {
    case 'dry_run':
      return { dryRun: true, extract: o.extract, totals: o.totals, files: o.files };
    case 'interrupted':
    case 'unfinished':
      if (o.dryRun) return { dryRun: true, extract: o.extract, totals: o.totals, files: o.files };
      return { extract: o.extract, load: o.load && withExitCode(o.load), totals: o.totals };
    case 'verified':
    case 'attention':
      return { extract: o.extract, load: withExitCode(o.load), verify: withExitCode(o.verify), planErrors: o.planErrors, totals: o.totals, files: o.files };
  }
}

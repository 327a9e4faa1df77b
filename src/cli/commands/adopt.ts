import { getMeta } from '../../db/open.js';
import { RefusedWriteError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { sentEventCount } from '../../ledger/store.js';
import { formatCents } from '../../util/money.js';
import { adopt, chooseMigration } from '../../migrate/adopt.js';
import { EXTRACTION_COMPLETED, extractStage } from '../../migrate/stages.js';
import type { EarlierMigration } from '../../rivo/scan.js';
import type { CommandRun } from '../context.js';
import { withSession } from '../session.js';
import { refuseRolledBack, scanStore } from '../store-gate.js';

const n = (x: number) => x.toLocaleString('en-US');
const describe = (m: EarlierMigration) =>
  `  ${m.migrationId}: ${n(m.events)} events, ${n(m.creditedCustomers)} customers credited, ${n(m.rolledBackCustomers)} rolled back, sent ${m.firstAt ?? '?'} to ${m.lastAt ?? '?'}`;

/**
 * `adopt [--migration-id ID]`: the DB of an earlier migration of this store is lost; rebuild this DB's ledger from
 * the events that migration left in Rivo, so that `migrate` continues it exactly. Reads Yotpo (when this DB has not
 * read it completely yet) and Rivo; writes nothing to Rivo.
 */
export const run: CommandRun = (args) =>
  withSession(args, { command: 'adopt', talksTo: ['yotpo', 'rivo'], db: 'create' }, async (s) => {
    refuseRolledBack(s.db, s.config.db, 'adopt');
    const sent = sentEventCount(s.db);
    if (sent > 0)
      throw new RefusedWriteError(
        `This DB (${s.config.db}) has already written ${n(sent)} events to Rivo under migration ${s.migrationId}: adopt only rebuilds a DB that never wrote. ` +
          'Run `adopt` with a new --db.',
      );
    if (getMeta(s.db, EXTRACTION_COMPLETED) === null) {
      s.say('adopt maps the events in Rivo back to Yotpo customers: reading Yotpo into this DB first (resumable)…');
      const extracted = await extractStage(s);
      if (!extracted.done) {
        s.say('Yotpo was not read completely (interrupted or --limit): nothing was adopted. Run `adopt` again without --limit.');
        return { exitCode: EXIT.failed, summary: { adopted: false, extract: extracted } };
      }
    }
    const scan = await scanStore(s.rivo(), s, 'to find the earlier migration');
    const choice = chooseMigration(scan.keyed, args.migrationId);
    const scanned = { requests: scan.requests, events: scan.events, ms: scan.ms };
    if (choice.kind === 'none') {
      s.say(
        `Rivo holds no migration of this store that credited customers (${n(scan.events)} manual events read in ${n(scan.requests)} requests). ` +
          'Nothing to adopt: `migrate` starts a new migration.',
      );
      return { exitCode: EXIT.ok, summary: { adopted: false, scan: scanned, migrations: choice.migrations } };
    }
    if (choice.kind === 'ambiguous' || choice.kind === 'unknown')
      throw new RefusedWriteError(
        [
          choice.kind === 'unknown'
            ? `Rivo holds no events of migration ${choice.wanted}. The migrations found:`
            : 'Rivo holds the events of more than one earlier migration of this store (customers may already be credited twice; see `verify`):',
          ...choice.migrations.map(describe),
          'Name the one to continue with --migration-id. Nothing was adopted.',
        ].join('\n'),
      );
    const summary = await adopt(s, scan, choice.migration.migrationId);
    s.migrationId = summary.migrationId;
    s.say(
      `Adopted migration ${summary.migrationId}: ${n(summary.events)} events of ${n(summary.customers)} customers recorded as done ` +
        `(points ${n(summary.points)}, store credit ${formatCents(summary.creditsCents)}); this DB's own id ${summary.replaced} is retired.`,
    );
    if (summary.awards.counted || summary.awards.earnedBefore)
      s.say(
        `One-time action awards found in Rivo: ${n(summary.awards.counted)} made by the adopted migration (${n(summary.awards.countedPoints)} points, counted as migrated), ` +
          `${n(summary.awards.earnedBefore)} earned by the customer before it (not counted); none will be sent again.`,
      );
    if (summary.relinked)
      s.say(`${n(summary.relinked)} customers were found by their Rivo customer rather than their email (edited in Yotpo since): they continue those events.`);
    if (summary.unmapped.events)
      s.say(
        `warning: ${n(summary.unmapped.events)} events of ${n(summary.unmapped.customers)} customers match no Yotpo record read (listed in \`status\` as problems): ` +
          'those customers are no longer in Yotpo under the same email, or the earlier migration used another "migrationName".',
      );
    if (summary.duplicates) s.say(`warning: ${n(summary.duplicates)} event keys are in Rivo more than once (listed in \`status\`): revoke the extra events in Rivo.`);
    s.say('Tier and birthday updates are not events and cannot be read back: `migrate` sets them again (same values). Run `migrate` to continue the migration.');
    const exitCode = summary.unmapped.events || summary.duplicates ? EXIT.attention : EXIT.ok;
    return { exitCode, summary: { adopted: true, ...summary, scan: scanned } };
  });

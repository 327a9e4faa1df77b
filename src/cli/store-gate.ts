import { getMeta, type Db } from '../db/open.js';
import { formatCents } from '../util/money.js';
import { RefusedWriteError } from '../errors.js';
import { countByState } from '../ledger/customers.js';
import { recordStore, sentEventCount, storeRow } from '../ledger/store.js';
import { ScanIncompleteError, scanMigrationEvents, summarizeMigrations, type EarlierMigration, type ScanResult } from '../rivo/scan.js';
import type { RivoClient } from '../rivo/client.js';
import type { Session } from './session.js';

/**
 * The checks every command that writes a migration to Rivo passes before anything is planned or sent (issue 11):
 * a rolled-back DB never writes again, and a DB that has never written to this Rivo store first scans it for events
 * of an earlier migration (a lost or misplaced DB must never credit everyone again).
 */

const n = (x: number) => x.toLocaleString('en-US');
const money = formatCents;

/** One line on stderr for every command: which DB, and whether it starts a migration or continues one. */
export function dbLine(db: Db, path: string, runsBefore: number): string {
  const id = getMeta(db, 'migration_id') ?? '?';
  const customers = db.prepare('SELECT count(*) FROM customers').pluck().get() as number;
  const adopted = getMeta(db, 'adopted_from');
  if (runsBefore === 0 && customers === 0) return `DB ${path}: new migration ${id}`;
  const rolledBack = getMeta(db, 'rolled_back_at');
  const migrated = countByState(db).migrated;
  return (
    `DB ${path}: continuing migration ${id} (${n(migrated)} customers migrated${adopted ? ', adopted from Rivo' : ''})` +
    (rolledBack ? `; rolled back on ${rolledBack}` : '')
  );
}

/** A rolled-back migration refuses `migrate`, `load` and `retry`: they would send what the rollback undid. */
export function refuseRolledBack(db: Db, path: string, command: string): void {
  const at = getMeta(db, 'rolled_back_at');
  if (!at) return;
  throw new RefusedWriteError(
    `This migration (${getMeta(db, 'migration_id') ?? '?'}, DB ${path}) was rolled back on ${at} by \`rollback --yes\`: ` +
      `it must never send anything again, so \`${command}\` planned and sent nothing.\n` +
      'To migrate again, start a new migration: run `migrate` with a new --db (keep this DB as the record of the rollback), ' +
      'or set a new "migrationName" in the config for the new DB.',
  );
}

export interface StoreCheckResult {
  how: 'known' | 'history' | 'scan';
  scan?: ScanResult;
  earlier?: EarlierMigration[];
}

/**
 * Before the first write from this DB to this Rivo store: a DB that has written there before goes on; otherwise the
 * store is scanned for this tool's keys (any migration id), and any earlier migration that credited customers (and
 * was not rolled back) refuses the write, naming it and offering `adopt`.
 */
export async function checkStore(s: Session, command: string): Promise<StoreCheckResult> {
  const rivoUrl = s.config.rivo.baseUrl;
  if (storeRow(s.db, rivoUrl)) return { how: 'known' };
  if (sentEventCount(s.db) > 0) {
    // A DB that already wrote here (an older version did not record the store): it is the DB of this migration.
    recordStore(s.db, { rivoBaseUrl: rivoUrl, yotpoBaseUrl: s.config.yotpo.baseUrl, how: 'history' });
    return { how: 'history' };
  }
  const scan = await scanStore(s.rivo(), s, 'before the first write from this DB');
  const earlier = summarizeMigrations(scan.keyed);
  const blocking = earlier.filter((m) => m.creditedCustomers > 0);
  if (blocking.length) throw new RefusedWriteError(earlierMigrationMessage(blocking, s.config.db, command));
  recordStore(s.db, { rivoBaseUrl: rivoUrl, yotpoBaseUrl: s.config.yotpo.baseUrl, how: 'scan', scanRequests: scan.requests, scanEvents: scan.events });
  const undone = earlier.filter((m) => m.creditedCustomers === 0);
  s.say(
    `Rivo store checked: ${n(scan.events)} manual events in ${n(scan.requests)} request${scan.requests === 1 ? "" : "s"} (${(scan.ms / 1000).toFixed(1)} s), ` +
      (undone.length ? `only rolled-back migrations (${undone.map((m) => m.migrationId).join(', ')}): ` : 'no earlier migration: ') +
      'this DB starts the migration of this store.',
  );
  return { how: 'scan', scan, earlier };
}

/** The scan with its cost said up front (once the first page tells how many events there are) and progress. */
export async function scanStore(rivo: RivoClient, s: Session, why: string): Promise<ScanResult> {
  s.say(`Scanning Rivo's manual events for this tool's keys ${why} (one request per 250 events)…`);
  const bar = s.progress.stage('scan Rivo');
  let estimated = false;
  try {
    const result = await scanMigrationEvents(rivo, {
      signal: s.signal,
      onProgress: (p) => {
        if (!estimated && p.estimatedRequests !== null) {
          estimated = true;
          const secs = p.estimatedRequests / s.config.rivo.rps;
          if (p.estimatedRequests > 1)
            s.progress.line(`scan: ${n(p.totalEvents ?? 0)} manual events: about ${n(p.estimatedRequests)} requests, ~${secs.toFixed(secs < 10 ? 1 : 0)} s at ${s.config.rivo.rps} req/s`);
        }
        bar.update(p.requests, p.estimatedRequests, `${n(p.events)} events, ${n(p.keyed)} with a migration key`);
      },
    });
    bar.stop();
    s.log.info({ stage: 'scan', requests: result.requests, events: result.events, keyed: result.keyed.length, ms: result.ms }, 'store scan finished');
    return result;
  } catch (err) {
    bar.stop();
    if (err instanceof ScanIncompleteError)
      throw new RefusedWriteError(
        `Could not finish scanning Rivo for events of an earlier migration (${err.message}), so nothing was sent: ` +
          'an unfinished scan cannot prove that this store was not migrated before. Run the command again; if it persists, report it.',
      );
    throw err;
  }
}

function earlierMigrationMessage(blocking: EarlierMigration[], dbPath: string, command: string): string {
  const lines = blocking.map(
    (m) =>
      `  migration ${m.migrationId}: ${n(m.events)} events, ${n(m.creditedCustomers)} customers credited ` +
      `(points ${m.points >= 0 ? '+' : ''}${n(m.points)}, store credit ${money(m.creditsCents)}), sent ${m.firstAt ?? '?'} to ${m.lastAt ?? '?'}`,
  );
  return [
    `Rivo already holds the events of ${blocking.length === 1 ? 'an earlier migration' : `${blocking.length} earlier migrations`} of this store, ` +
      `and this DB (${dbPath}) has never written to it:`,
    ...lines,
    `\`${command}\` from this DB would credit those customers a second time, so nothing was planned or sent.`,
    '- If the DB of that migration still exists, run the command with it (--db; the default is ./migration.sqlite in the folder it ran in).',
    '- Otherwise run `yotpo-to-rivo adopt` with this --db: it reads Yotpo, rebuilds this DB\'s ledger from those events in Rivo, ' +
      'and `migrate` then continues that migration exactly (a later delta included).',
  ].join('\n');
}

import { createInterface } from 'node:readline/promises';
import type { Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import { ConfigError } from '../errors.js';
import { limitSeq } from '../ledger/customers.js';
import { readProfile } from '../pilot/store.js';
import { formatChecklist, preflightItemsFor, type ChecklistItem } from '../preflight/checklist.js';
import { resolveSendMode } from '../rivo/send-mode.js';
import { formatSeconds } from './format.js';

/** What the first write of a run is about to send, read from the ledger. */
export interface WritePreview {
  dbPath: string;
  migrationId: string;
  /** Events were sent (or tried) by an earlier run of this migration. */
  continuing: boolean;
  eventsSentBefore: number;
  yotpoBaseUrl: string;
  rivoBaseUrl: string;
  customers: number;
  pointsEvents: number;
  /** mapping.history: how many of the points events are replayed Yotpo history items. */
  historyEvents?: number;
  updates: number;
  requests: number;
  seconds: number;
  checklist: ChecklistItem[];
}

export function previewWrites(db: Db, config: Config, migrationId: string): WritePreview {
  const max = limitSeq(db, config.limit);
  const open = db
    .prepare(
      `SELECT count(DISTINCT e.customer_key) AS customers,
              count(CASE WHEN e.kind = 'points' THEN 1 END) AS points,
              count(CASE WHEN e.role = 'history' THEN 1 END) AS history,
              count(CASE WHEN e.kind <> 'points' THEN 1 END) AS updates
       FROM events e JOIN customers c ON c.key = e.customer_key
       WHERE e.status IN ('planned','in_flight','uncertain') AND c.seq <= ?`,
    )
    .get(max) as { customers: number; points: number; history: number; updates: number };
  const sentBefore = db.prepare("SELECT count(*) FROM events WHERE status IN ('done','in_flight','uncertain','rejected')").pluck().get() as number;
  // One request per batch of points events (batch mode) or per event, one per tier or birthday update.
  const profile = readProfile(db);
  const mode = resolveSendMode(config.rivo.sendMode, profile, config.rivo.batchSize).mode;
  const pointsRequests = mode === 'batch' ? Math.ceil(open.points / config.rivo.batchSize) : open.points;
  const requests = pointsRequests + open.updates;
  return {
    dbPath: config.db,
    migrationId,
    continuing: sentBefore > 0,
    eventsSentBefore: sentBefore,
    yotpoBaseUrl: config.yotpo.baseUrl,
    rivoBaseUrl: config.rivo.baseUrl,
    customers: open.customers,
    pointsEvents: open.points,
    historyEvents: open.history,
    updates: open.updates,
    requests,
    seconds: requests / config.rivo.rps,
    checklist: preflightItemsFor(config),
  };
}

export function formatPreview(p: WritePreview, rps: number, width = 100): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    '',
    `About to write to Rivo:`,
    `  migration DB   ${p.dbPath}`,
    `  migration      ${p.continuing ? `continuing migration ${p.migrationId} (${n(p.eventsSentBefore)} events sent before)` : `new migration ${p.migrationId}`}`,
    `  from (Yotpo)   ${p.yotpoBaseUrl}`,
    `  to (Rivo)      ${p.rivoBaseUrl}`,
    `  to send        ${n(p.customers)} customers: ${n(p.pointsEvents)} points events${p.historyEvents ? ` (${n(p.historyEvents)} of them replayed Yotpo history)` : ''}, ${n(p.updates)} tier/birthday updates`,
    `  estimated      ${formatSeconds(p.seconds)} at ${rps} requests/s (${n(p.requests)} requests)`,
    '',
    formatChecklist(p.checklist, width),
    '',
  ].join('\n');
}

/**
 * Asks on the terminal before the first write of a run. Anything but "y"/"yes" (or Ctrl-C, or the end of input)
 * declines: exit 2, nothing sent.
 */
export async function askToWrite(preview: WritePreview, rps: number, out: NodeJS.WritableStream): Promise<void> {
  const columns = (out as NodeJS.WriteStream).columns ?? 100;
  out.write(`${formatPreview(preview, rps, Math.max(60, Math.min(columns - 1, 110)))}\n`);
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  let answer = '';
  try {
    answer = await new Promise<string>((resolve) => {
      rl.once('SIGINT', () => resolve(''));
      rl.once('close', () => resolve(''));
      rl.question('Send to Rivo now? [y/N] ').then(resolve, () => resolve(''));
    });
  } finally {
    rl.close();
  }
  if (!/^y(es)?$/i.test(answer.trim()))
    throw new ConfigError('Not confirmed: nothing was sent to Rivo. Run again and answer "y", or pass --yes to skip the question.');
}

import { resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { writeLedgerCsv } from '../../reports/ledger.js';
import type { CommandRun } from '../context.js';
import { openForReading } from '../read-db.js';

/** `export --ledger FILE`: every event with its customer, as CSV. Reads the DB only. */
export const run: CommandRun = async (args) => {
  if (!args.ledger) throw new ConfigError('export: name the file: `export --ledger ledger.csv`.');
  const { config } = loadConfig({ flags: args, needsCredentials: false });
  const db = openForReading(config.db);
  try {
    const { path, events } = await writeLedgerCsv(db, resolve(args.ledger), config.redact);
    process.stderr.write(`export: ${events} events written to ${path}\n`);
    return { exitCode: EXIT.ok, summary: { ledger: path, events } };
  } finally {
    db.close();
  }
};

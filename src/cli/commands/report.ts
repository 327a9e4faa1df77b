import { loadConfig } from '../../config/load.js';
import { getMeta } from '../../db/open.js';
import { EXIT } from '../exit-codes.js';
import { writePlanReport, writeVerifyReport } from '../../reports/index.js';
import { runFolderName } from '../../reports/runs.js';
import type { CommandRun } from '../context.js';
import { openForReading } from '../read-db.js';

/**
 * `report`: rebuilds plan.csv / plan.json, verify.csv / verify.json (once verify has run) and report.html from the
 * DB alone: no credentials, no network. `--redact` makes a copy fit to share. Kept as a run of its own
 * (`<out>/runs/<time>-report/`), so the reports of earlier runs stay as they were.
 */
export const run: CommandRun = async (args) => {
  const { config } = loadConfig({ flags: args, needsCredentials: false });
  const db = openForReading(config.db);
  try {
    const migrationId = getMeta(db, 'migration_id') ?? 'unknown';
    const lastRun = (db.prepare('SELECT max(id) FROM runs').pluck().get() as number | null) ?? 0;
    const reportRun = { id: runFolderName('report', `after-${lastRun}`) };
    const base = { db, outDir: config.out, redact: config.redact, migrationId, run: reportRun };
    const plan = await writePlanReport(base);
    const verified = (db.prepare('SELECT count(*) FROM verify_results').pluck().get() as number) > 0;
    const verify = verified ? await writeVerifyReport(base) : null;
    const files = [...new Set([...plan.files, ...(verify?.files ?? [])])];
    if (!args.json) process.stderr.write(`report: rebuilt from ${config.db}${config.redact ? ' (redacted)' : ''}:\n${files.map((f) => `  ${f}`).join('\n')}\n  this run's copy: ${plan.runDir}\n`);
    return { exitCode: EXIT.ok, summary: { files, runDir: plan.runDir, redacted: config.redact } };
  } finally {
    db.close();
  }
};

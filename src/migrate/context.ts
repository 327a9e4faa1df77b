import type { Config } from '../config/schema.js';
import type { Db } from '../db/open.js';
import type { LoadSummary } from '../load/loader.js';
import type { Logger } from '../log.js';
import type { ReportRun } from '../reports/runs.js';
import type { RivoClient } from '../rivo/client.js';
import type { YotpoClient } from '../yotpo/client.js';

/**
 * What `src/migrate` needs from whoever runs it: the few things below, nothing of the CLI. The CLI's session
 * provides them (cli/session.ts); a test or another front end can provide its own. `migrate` reports how it ended as
 * a typed outcome (migrate.ts), and the caller decides what that means to a person and to the shell.
 */
export interface MigrateContext {
  config: Config;
  db: Db;
  /** This DB's migration id (read from the DB when the session opened it). */
  migrationId: string;
  /** The JSON-lines log of the run. */
  log: Logger;
  /** Where stage progress and lines for the person go; the caller decides how they are shown (or not). */
  progress: MigrateProgress;
  /** Aborted to stop: stages stop at a consistent point, and the outcome says `interrupted`. */
  signal: AbortSignal;
  /** The clients, opened on first use (a command that never reads Yotpo never needs its credentials). */
  yotpo(): YotpoClient;
  /** Whether this run has Yotpo credentials (`plan` and `retry` may run without them; their lookups then wait). */
  canReadYotpo: boolean;
  rivo(): RivoClient;
  /** A line for the person about what the run is doing (a warning, a hint, the checklist). */
  say(line: string): void;
  /** This run's report folder under `<out>/runs/`. */
  reportRun: ReportRun;
  /**
   * Called before anything is sent to Rivo; throws to refuse (nothing is then sent). True when a person saw the
   * question (pre-flight checklist included), now or earlier in this run.
   */
  confirmWrites(): Promise<boolean>;
}

/** One stage's progress: `done` of `total` (total may be unknown), a short `info` such as "12 req/min". */
export interface StageProgress {
  update(done: number, total: number | null, info?: string): void;
  stop(message?: string): void;
}

export interface MigrateProgress {
  stage(name: string): StageProgress;
  /** A line for the person, shown with the progress. */
  line(text: string): void;
  /** A recovery line from the loader (a retried request, a write settled by read-back). */
  recovery(text: string): void;
  /** What read-backs found in a load. */
  settled(s: LoadSummary['settled']): void;
}

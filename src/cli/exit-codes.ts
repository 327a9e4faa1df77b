import { AppError } from '../errors.js';
import type { LoadSummary } from '../load/loader.js';
import type { RollbackSummary } from '../load/rollback.js';
import type { MigrateOutcome } from '../migrate/migrate.js';
import type { VerifySummary } from '../verify/verifier.js';

/**
 * The one place exit codes are decided (reference cli.md, "Exit codes": a promise, extend, never renumber). The
 * library reports what happened (an outcome, an error's kind); this file says what the shell sees.
 */
export const EXIT = {
  /** Done and verified (or nothing was left to do). */
  ok: 0,
  /** Stopped part-way: the DB is intact, running the same command again resumes. */
  failed: 1,
  /** How the tool was called or configured is wrong, or it only said what it would do: nothing was sent. */
  usage: 2,
  /** Finished, but some customers need the merchant (see the report). */
  attention: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Every outcome name a library summary can carry. */
export type Outcome = LoadSummary['outcome'] | RollbackSummary['outcome'] | VerifySummary['outcome'] | Exclude<MigrateOutcome['kind'], 'dry_run'>;

// `satisfies` makes a new outcome in any summary a type error here until it is given its exit code.
const BY_OUTCOME = {
  done: EXIT.ok,
  clean: EXIT.ok,
  verified: EXIT.ok,
  attention: EXIT.attention,
  pending: EXIT.failed,
  unfinished: EXIT.failed,
  interrupted: EXIT.failed,
  // `rollback` without --yes: it said what it would send and sent nothing.
  preview: EXIT.usage,
} as const satisfies Record<Outcome, ExitCode>;

/** The exit code of a load, rollback or verify summary (by its `outcome`), or of `migrate`'s outcome (by its `kind`). */
export function exitCodeFor(result: { outcome: Outcome } | MigrateOutcome): ExitCode {
  if ('kind' in result) {
    // A dry run sends nothing: it ends 0, or 3 when customers are held for the merchant.
    if (result.kind === 'dry_run') return result.attention > 0 ? EXIT.attention : EXIT.ok;
    return BY_OUTCOME[result.kind];
  }
  return BY_OUTCOME[result.outcome];
}

/** A summary as `--json` has always printed it: with the exit code its outcome means. */
export function withExitCode<T extends { outcome: Outcome }>(summary: T): T & { exitCode: ExitCode } {
  return { ...summary, exitCode: exitCodeFor(summary) };
}

/** The exit code of an error that ended a command: our own errors by their kind; anything else is a failure. */
export function exitCodeForError(err: unknown): ExitCode {
  if (!(err instanceof AppError)) return EXIT.failed;
  return err.kind === 'usage' ? EXIT.usage : err.kind === 'attention' ? EXIT.attention : EXIT.failed;
}

/**
 * The product's error hierarchy. Every error the CLI boundary can meet is one of these, and each class says what
 * kind of stop it is, so that the CLI never needs to know which module threw. Only `cli/exit-codes.ts` turns a kind
 * into an exit code: the library says what happened, the boundary decides what the shell sees.
 *
 * HTTP errors of the two outside systems live in `http/errors.ts`; they extend `AppError` too.
 */

/**
 * `usage`: how the tool was called, configured or pointed is wrong (bad config, wrong credentials, a DB it must not
 * use, a write the store's history forbids); found before anything is sent, and running again unchanged will not
 * help. `failed`: the run stopped part-way; the DB is consistent and running again resumes. `attention`: the run
 * stopped safely on something only the merchant can decide (e.g. a switch for this store's Rivo), nothing counted.
 */
export type ErrorKind = 'usage' | 'failed' | 'attention';

export class AppError extends Error {
  readonly kind: ErrorKind = 'failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A problem with how the tool was called or configured: found before anything is sent. */
export class ConfigError extends AppError {
  override readonly kind = 'usage';
  constructor(
    message: string,
    /** One line per problem, each naming the setting by its dot path. */
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message);
  }
}

/** The migration DB cannot be used: newer schema, another migration's file, held by another process. */
export class DbError extends AppError {
  override readonly kind = 'usage';
}

/** Another process holds the DB. */
export class LockedError extends DbError {}

/**
 * The Rivo store or the DB's history forbids the write this command would make (an earlier migration found in Rivo,
 * a rolled-back migration): refused before anything is planned or sent.
 */
export class RefusedWriteError extends AppError {
  override readonly kind = 'usage';
}

/**
 * Rivo answered the first award of a run as if the award endpoint did not exist (405, or a 404 naming no customer or
 * rule): the [unconfirmed] award path is not this store's. The run stops before any points event is sent; nothing was
 * awarded or counted. `rivo.awardPath` switches the path.
 */
export class AwardEndpointError extends AppError {
  override readonly kind = 'attention';
}

import { exitCodeForError, withExitCode, type ExitCode, type Outcome } from '../../src/cli/exit-codes.js';
import * as appErrors from '../../src/errors.js';
import * as extractErrors from '../../src/extract/extractor.js';
import * as httpErrors from '../../src/http/errors.js';

/**
 * The library reports outcomes and error kinds; only the CLI turns them into exit codes (src/cli/exit-codes.ts).
 * Tests that call the library directly still assert the exit code a person would get, so they read it through the
 * CLI's own mapping, here: never a number the library computed for itself.
 */
export { EXIT } from '../../src/cli/exit-codes.js';

/** A load, rollback or verify summary with the exit code the CLI ends it with. */
export type WithExit<T> = T & { exitCode: ExitCode };
export function asCli<T extends { outcome: Outcome }>(summary: T): WithExit<T> {
  return withExitCode(summary);
}

/** `asCli` on the summary a promise resolves to. */
export async function asCliAsync<T extends { outcome: Outcome }>(summary: Promise<T>): Promise<WithExit<T>> {
  return withExitCode(await summary);
}

/**
 * A caught error, the same instance (so `toBeInstanceOf` still holds), carrying the exit code the CLI ends on it
 * with as `exitCode`. Not enumerable, so serialising the error (the secrets checks) sees what it always saw.
 */
export function asCliError(err: unknown): unknown {
  if (typeof err === 'object' && err !== null) Object.defineProperty(err, 'exitCode', { value: exitCodeForError(err), enumerable: false, configurable: true });
  return err;
}

/** The error classes, typed with the `exitCode` that `asCliError` gives them (the classes themselves carry none). */
type Seen<E> = E & { readonly exitCode: ExitCode };
export const ConfigError = appErrors.ConfigError;
export type ConfigError = Seen<appErrors.ConfigError>;
export const ExtractError = extractErrors.ExtractError;
export type ExtractError = Seen<extractErrors.ExtractError>;
export const AuthenticationError = httpErrors.AuthenticationError;
export type AuthenticationError = Seen<httpErrors.AuthenticationError>;

import type { RivoBehaviour } from './rivo-behaviour.js';
import type { EventInput, Parsed } from './rivo-events.js';
import type { RivoEventRecord } from './types.js';

/**
 * How Rivo's stand-in applies `POST /points_events/batch` (`behaviour.batchAtomicity`, `batchChecksAgainstStart`):
 * which items are checked against which balances, and which are applied. The state supplies the customers (`ops`).
 */

/** A refusal the server turns into an HTTP answer. */
export interface Refusal {
  status: 404 | 422;
  errors: string[];
}

export interface BatchFailure extends Refusal {
  index: number;
}

export interface BatchResult {
  created: RivoEventRecord[];
  failures: BatchFailure[];
}

/** Tallies the validation of a batch works on, so an atomic batch is checked as if applied in order. */
export type Tallies = Map<number, { points: number; creditsCents: number }>;

export interface BatchOps {
  /** Can the event apply on top of `tallies` (the effect of earlier items)? Updates `tallies` when it can. */
  check(input: EventInput, tallies: Tallies): Refusal | undefined;
  apply(input: EventInput): RivoEventRecord;
  /** The customer's balances now, undefined when unknown. */
  balances(input: EventInput): { id: number; points: number; creditsCents: number } | undefined;
}

/**
 * `atomic`: every item is validated (in order, as if the earlier ones were applied) and all or none are applied.
 * `partial`: valid items are applied in order, the others reported; the caller answers 422 when any failed.
 */
export function applyBatch(
  parsed: Parsed<EventInput>[],
  behaviour: Pick<RivoBehaviour, 'batchAtomicity' | 'batchChecksAgainstStart'>,
  ops: BatchOps,
): BatchResult {
  const failures: BatchFailure[] = [];
  const created: RivoEventRecord[] = [];
  if (behaviour.batchAtomicity === 'atomic') {
    const tallies: Tallies = new Map();
    const valid: EventInput[] = [];
    parsed.forEach((p, index) => {
      if (!p.ok) return failures.push({ index, status: 422, errors: p.errors });
      const refusal = ops.check(p.value, behaviour.batchChecksAgainstStart ? new Map() : tallies);
      if (refusal) return failures.push({ index, ...refusal });
      valid.push(p.value);
    });
    if (failures.length === 0) for (const input of valid) created.push(ops.apply(input));
    return { created, failures };
  }
  // The balances before the batch, for a store that checks every item against them.
  const start: Tallies = new Map();
  const before = (): Tallies => (behaviour.batchChecksAgainstStart ? new Map(start) : new Map());
  if (behaviour.batchChecksAgainstStart)
    for (const p of parsed) {
      const c = p.ok ? ops.balances(p.value) : undefined;
      if (c && !start.has(c.id)) start.set(c.id, { points: c.points, creditsCents: c.creditsCents });
    }
  parsed.forEach((p, index) => {
    if (!p.ok) return failures.push({ index, status: 422, errors: p.errors });
    const refusal = ops.check(p.value, before());
    if (refusal) return failures.push({ index, ...refusal });
    created.push(ops.apply(p.value));
  });
  return { created, failures };
}

export function isRefusal(v: unknown): v is Refusal {
  return typeof v === 'object' && v !== null && 'errors' in v && 'status' in v && !('id' in v);
}

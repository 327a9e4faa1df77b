import type { EventRow } from '../ledger/types.js';
import { findKeyInNote, noteWithKey } from '../mapper/keys.js';
import type { OutgoingEvent } from '../rivo/api.js';
import { centsToDecimal } from '../rivo/parse.js';

/**
 * A ledger row as Rivo's points event. The key must travel in `internal_note` (it is the only way to find the event
 * again); the mapper writes it there, and a row that somehow lacks it gets it appended rather than sent unfindable.
 * Every migrated event is `manual` and silent (`skip_email`).
 */
export function toOutgoing(row: EventRow): OutgoingEvent {
  if (row.kind !== 'points') throw new Error(`event ${row.key} is a ${row.kind} update, not a points event`);
  const event: OutgoingEvent = {
    customer_identifier: row.rivo_id,
    source: 'manual',
    internal_note: findKeyInNote(row.internal_note, row.key) ? row.internal_note : noteWithKey(row.internal_note, row.key),
    skip_email: true,
  };
  // Credit-only events carry no points field; a points event (even of 0, which the planner does not make) does.
  if (row.points_amount !== 0 || row.credits_cents === 0) event.points_amount = row.points_amount;
  if (row.credits_cents !== 0) event.credits_amount = centsToDecimal(row.credits_cents);
  if (row.external_note) event.external_note = row.external_note;
  if (row.applied_at) event.applied_at = row.applied_at;
  // Set by the planner only when mapping.expiry decided the store takes it (rivo/expiry.ts).
  if (row.expires_at) event.expires_at = row.expires_at;
  return event;
}


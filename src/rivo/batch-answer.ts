import { parseKeysFromNote } from '../mapper/keys.js';
import type { OutgoingEvent } from './api.js';
import { parseEvent, resourceAttributes } from './parse.js';
import type { RivoProfile } from './profile.js';

/**
 * What a `POST /points_events/batch` answer says about each item sent. Rivo documents none of it (rivo-api.md), so an
 * item counts as applied only when the answer shows an event carrying its key, as refused only when the answer names
 * its index among the errors, and as unknown otherwise (settled by read-back). Two shapes are read, in 2xx and 4xx
 * bodies alike: `data` (the created events) and `errors` (`[{ index, status?, detail? }]`, 0-based).
 *
 * A plain 2xx that carries no per-item information at all (no `errors`, no `data` list) is taken as "every item
 * applied": 201 is Rivo's documented answer to a batch that succeeded, and the read-back proof still checks the
 * customer later (a confirmed key missing from a listing holds the customer rather than resending anything).
 */

export type BatchItemOutcome =
  | { outcome: 'applied'; eventId: string | null }
  | { outcome: 'refused'; reason: string }
  /** Certainly not applied though not refused itself: an atomic store refused the batch for another item. */
  | { outcome: 'not_applied'; reason: string }
  | { outcome: 'unknown' };

export interface BatchAnswer {
  status: number;
  items: BatchItemOutcome[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Per-item outcomes of a batch answer, or null when a 4xx body says nothing item by item (the whole batch is then
 * uncertain, as before). `profile.batchAtomicity === 'atomic'` (measured by `pilot`) lets the items a refused batch
 * does not name count as not applied; unmeasured, they are unknown.
 */
export function readBatchAnswer(status: number, body: unknown, sent: readonly OutgoingEvent[], profile: RivoProfile): BatchAnswer | null {
  const ok = status >= 200 && status < 300;
  const obj = isObject(body) ? body : {};
  const data = Array.isArray(obj.data) ? obj.data : null;
  const errors = Array.isArray(obj.errors) ? obj.errors : null;
  if (ok && data === null && errors === null) return { status, items: sent.map(() => ({ outcome: 'applied', eventId: null })) };

  const keys = sent.map((e) => parseKeysFromNote(e.internal_note)[0] ?? null);
  const applied = new Map<number, string | null>();
  const conflicting = new Set<number>();
  for (const resource of data ?? []) {
    const attrs = resourceAttributes(resource);
    if (!attrs) continue;
    let eventId: string | null = null;
    try {
      eventId = parseEvent(attrs, '/points_events/batch').id;
    } catch {
      eventId = null;
    }
    const noteKeys = parseKeysFromNote(typeof attrs.internal_note === 'string' ? attrs.internal_note : null);
    keys.forEach((k, i) => {
      if (k === null || !noteKeys.includes(k)) return;
      if (applied.has(i)) conflicting.add(i); // the same key created twice: let the read-back count it
      applied.set(i, eventId);
    });
  }
  const refused = new Map<number, string>();
  for (const e of errors ?? []) {
    if (!isObject(e)) continue;
    const index = typeof e.index === 'number' ? e.index : typeof e.index === 'string' && /^\d+$/.test(e.index) ? Number(e.index) : Number.NaN;
    if (!Number.isInteger(index) || index < 0 || index >= sent.length) continue;
    const detail = [e.status, e.detail ?? e.message ?? e.title ?? e.error].filter((x) => x !== undefined && x !== null).map(String).join(' ');
    refused.set(index, detail || 'refused');
  }
  if (!ok && refused.size === 0 && applied.size === 0) return null;

  const atomic = !ok && profile.batchAtomicity === 'atomic';
  const items = sent.map((_, i): BatchItemOutcome => {
    const a = applied.has(i);
    const r = refused.get(i);
    if (conflicting.has(i) || (a && r !== undefined)) return { outcome: 'unknown' };
    if (a) return { outcome: 'applied', eventId: applied.get(i) ?? null };
    if (r !== undefined) return { outcome: 'refused', reason: `Rivo ${status} ${r}` };
    if (atomic) return { outcome: 'not_applied', reason: `Rivo ${status}: the batch was refused for another item (this store's batches are atomic)` };
    return { outcome: 'unknown' };
  });
  return { status, items };
}

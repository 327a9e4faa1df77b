import { decimalToCents } from './money.js';
import type { Params } from './http-util.js';

/**
 * Reading one points event out of a request body, form or JSON alike, with the validation Rivo's docs imply.
 * The tally check (would the customer go negative?) needs the customer and lives in the state.
 */

export const SOCIAL_SOURCES = [
  'facebook_like',
  'facebook_share',
  'instagram_follow',
  'twitter_follow',
  'twitter_share',
  'tiktok_follow',
  'youtube_subscribe',
  'pinterest_follow',
] as const;
export const EVENT_SOURCES: readonly string[] = ['manual', 'custom_action', 'referral_complete', 'visit_url', ...SOCIAL_SOURCES];

/** Rivo's docs type points_amount as int32. */
const INT32_MAX = 2_147_483_647;

export interface EventInput {
  customerIdentifier: string;
  source: string;
  pointsDiff: number;
  creditsDiffCents: number;
  internalNote: string | null;
  externalNote: string | null;
  customActionName: string | null;
  appliedAt: string;
  /** `expires_at` as sent (normalised), or null. Whether Rivo accepts it on a created event is [unconfirmed]. */
  expiresAt: string | null;
  /** As received, for the record. */
  skipEmailRaw: unknown;
  skipEmail: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** A form sends null as "" (see http/client formEncode): an empty string means absent. */
function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function text(v: unknown): string | null {
  if (!present(v)) return null;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** Boolean true or the string "true" (any case): what suppresses the email. Anything else sends it. */
export function isSkipEmail(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
}

/** The event's fields: either the body itself or wrapped in `points_event` (Rails' usual nesting). */
export function unwrapEvent(body: Params): Params {
  const inner = body.points_event;
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Params) : body;
}

export function parseEventInput(raw: unknown, now: Date): Parsed<EventInput> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, errors: ['points event must be an object'] };
  const f = raw as Params;
  const errors: string[] = [];

  const identifier = text(f.customer_identifier)?.trim() ?? '';
  if (identifier === '') errors.push("customer_identifier can't be blank");

  const source = text(f.source)?.trim() ?? '';
  if (source === '') errors.push("source can't be blank");
  else if (!EVENT_SOURCES.includes(source)) errors.push(`source is not included in the list (${source})`);

  const customActionName = text(f.custom_action_name);
  if ((source === 'custom_action' || source === 'visit_url') && !customActionName) {
    errors.push(`custom_action_name is required for source ${source}`);
  }

  let pointsDiff = 0;
  if (present(f.points_amount)) {
    const p = f.points_amount;
    const n = typeof p === 'number' ? p : typeof p === 'string' && /^\s*[+-]?\d+\s*$/.test(p) ? Number(p) : Number.NaN;
    if (!Number.isInteger(n)) errors.push('points_amount must be an integer');
    else if (Math.abs(n) > INT32_MAX) errors.push('points_amount is out of range');
    else pointsDiff = n;
  }

  let creditsDiffCents = 0;
  if (present(f.credits_amount)) {
    const c = decimalToCents(f.credits_amount);
    if (c === undefined) errors.push('credits_amount must be a decimal with at most 2 decimal places');
    else creditsDiffCents = c;
  }
  if (!present(f.points_amount) && !present(f.credits_amount)) errors.push('points_amount or credits_amount is required');

  let appliedAt = now.toISOString();
  if (present(f.applied_at)) {
    const s = text(f.applied_at) ?? '';
    const t = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN;
    if (!Number.isFinite(t)) errors.push('applied_at must be an ISO 8601 date-time');
    else appliedAt = new Date(t).toISOString();
  }

  let expiresAt: string | null = null;
  if (present(f.expires_at)) {
    const s = text(f.expires_at) ?? '';
    const t = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN;
    if (!Number.isFinite(t)) errors.push('expires_at must be an ISO 8601 date-time');
    else expiresAt = new Date(t).toISOString();
  }

  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    value: {
      customerIdentifier: identifier,
      source,
      pointsDiff,
      creditsDiffCents,
      internalNote: text(f.internal_note),
      externalNote: text(f.external_note),
      customActionName,
      appliedAt,
      expiresAt,
      skipEmailRaw: f.skip_email,
      skipEmail: isSkipEmail(f.skip_email),
    },
  };
}

/**
 * The list inside a batch body, whichever way it was encoded: a JSON array, a form array
 * (`points_events[][customer_identifier]=…`), an index-keyed form hash (`points_events[0][…]`), or the column form
 * of the docs' field table (`points_events[customer_identifier][]=…`). Undefined when there is no list at all.
 */
export function batchItems(body: Params): unknown[] | undefined {
  const v = body.points_events;
  if (Array.isArray(v)) return v;
  if (v === null || typeof v !== 'object') return undefined;
  const hash = v as Params;
  const keys = Object.keys(hash);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => hash[k]);
  }
  if (keys.length > 0 && keys.every((k) => Array.isArray(hash[k]))) {
    const n = Math.max(...keys.map((k) => (hash[k] as unknown[]).length));
    return Array.from({ length: n }, (_, i) => Object.fromEntries(keys.map((k) => [k, (hash[k] as unknown[])[i]])));
  }
  // A single event given as a hash: Rails would read it as one row.
  return [hash];
}

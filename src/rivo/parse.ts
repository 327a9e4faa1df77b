import type { RivoCustomerSnapshot, RivoTier } from '../domain.js';
import { BadResponseError } from '../http/errors.js';
import type { RivoEvent } from './api.js';
import { formatCents } from '../util/money.js';

/**
 * Rivo's answers, JSON:API-shaped (`{ data: { id, type, attributes } }`), turned into the domain's types.
 * Amounts are exact: credits arrive as decimal strings ("25.0") and become integer cents without floating point.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A parse failure: the server answered 2xx with something Rivo does not send. Never uncertain: only reads parse. */
export class RivoShapeError extends BadResponseError {}

function shapeError(path: string, detail: string, method = 'GET'): RivoShapeError {
  return new RivoShapeError({ system: 'rivo', method, path, retryable: false, uncertain: false, detail });
}

/** One JSON:API resource flattened: `attributes` over the envelope's `id`; a bare object is taken as it is. */
export function resourceAttributes(resource: unknown): Json | null {
  if (!isObject(resource)) return null;
  const attrs = isObject(resource.attributes) ? resource.attributes : resource;
  return { ...attrs, id: attrs.id ?? resource.id };
}

/**
 * The single resource of an answer: `data` (JSON:API), or `customer` (the shape some Rivo integrations document,
 * seed 001). Null when neither is there.
 */
export function singleResource(body: unknown): Json | null {
  if (!isObject(body)) return null;
  if (isObject(body.data)) return resourceAttributes(body.data);
  if (isObject(body.customer)) return resourceAttributes(body.customer);
  return null;
}

export function requireResource(attrs: Json | null, path: string): Json {
  if (!attrs) throw shapeError(path, 'expected a JSON:API resource ({ data: { … } })');
  return attrs;
}

export function listResources(body: unknown, path: string): Json[] {
  if (!isObject(body) || !Array.isArray(body.data)) throw shapeError(path, 'expected a JSON:API list ({ data: [ … ] })');
  return body.data.map((item) => {
    const attrs = resourceAttributes(item);
    if (!attrs) throw shapeError(path, 'a list item is not an object');
    return attrs;
  });
}

/**
 * A decimal amount (string or number) in cents, exactly: "25.0" -> 2500, "-12.5" -> -1250, "2.4" -> 240.
 * More than two decimals are rounded half away from zero ("0.005" -> 1), which Rivo's two-place credits never need.
 */
/** A count in a listing's `meta` (`total_count`, `total_pages`, `per_page`): a whole number ≥ 0, or null when absent or not one. */
export function metaCount(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export function decimalToCents(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const text = typeof value === 'number' ? (Number.isFinite(value) ? value.toFixed(6) : '') : typeof value === 'string' ? value.trim() : '';
  const m = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const sign = m[1] === '-' ? -1 : 1;
  const whole = Number(m[2] || '0');
  const decimals = (m[3] ?? '').padEnd(3, '0');
  let cents = whole * 100 + Number(decimals.slice(0, 2));
  if (Number(decimals[2]) >= 5) cents += 1;
  if (!Number.isSafeInteger(cents)) return null;
  return cents === 0 ? 0 : sign * cents;
}

/** Cents as the two-place decimal string Rivo's `credits_amount` takes: 1250 -> "12.50", -5 -> "-0.05". */
export const centsToDecimal: (cents: number) => string = formatCents;

function integer(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^[+-]?\d+(\.0+)?$/.test(value.trim())) return Math.trunc(Number(value));
  return null;
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}

function id(value: unknown): string | null {
  const t = text(value);
  return t === null || t === '' ? null : t;
}

export function parseCustomer(attrs: Json, path: string): RivoCustomerSnapshot {
  const customerId = id(attrs.id) ?? id(attrs.customer_id);
  if (!customerId) throw shapeError(path, 'customer without an id');
  const points = integer(attrs.points_tally ?? 0);
  if (points === null) throw shapeError(path, `customer ${customerId}: points_tally is not an integer`);
  const lifetimeRaw = attrs.lifetime_earnings_tally;
  const lifetime = lifetimeRaw === null || lifetimeRaw === undefined ? null : integer(lifetimeRaw);
  if (lifetimeRaw !== null && lifetimeRaw !== undefined && lifetime === null)
    throw shapeError(path, `customer ${customerId}: lifetime_earnings_tally is not an integer`);
  const credits = attrs.credits_tally === null || attrs.credits_tally === undefined ? 0 : decimalToCents(attrs.credits_tally);
  if (credits === null) throw shapeError(path, `customer ${customerId}: credits_tally is not a decimal`);
  const tier = isObject(attrs.vip_tier) ? attrs.vip_tier : null;
  const tierAttrs = tier ? resourceAttributes(tier) : null;
  return {
    id: customerId,
    email: text(attrs.email),
    pointsTally: points,
    lifetimeTally: lifetime,
    creditsCents: credits,
    tierId: tierAttrs ? id(tierAttrs.id) : null,
    tierName: tierAttrs ? text(tierAttrs.name) : null,
    dob: text(attrs.dob) ?? text(attrs.customer_dob),
    loyaltyStatus: text(attrs.loyalty_status),
  };
}

export function parseEvent(attrs: Json, path: string): RivoEvent {
  const eventId = id(attrs.id);
  if (!eventId) throw shapeError(path, 'points event without an id');
  // points_diff is the signed change; points_amount is documented as a magnitude, so it is only a fallback.
  const points = integer(attrs.points_diff ?? attrs.points_amount ?? 0);
  if (points === null) throw shapeError(path, `points event ${eventId}: points_diff is not an integer`);
  const creditsRaw = attrs.credits_diff ?? attrs.credits_amount;
  const credits = creditsRaw === null || creditsRaw === undefined ? 0 : decimalToCents(creditsRaw);
  if (credits === null) throw shapeError(path, `points event ${eventId}: credits_diff is not a decimal`);
  const customer = isObject(attrs.customer) ? resourceAttributes(attrs.customer) : null;
  return {
    id: eventId,
    customerIdentifier: id(attrs.customer_identifier) ?? id(attrs.customer_id) ?? (customer ? id(customer.id) : null),
    pointsDiff: points,
    creditsDiffCents: credits,
    internalNote: text(attrs.internal_note),
    source: text(attrs.source),
    appliedAt: text(attrs.applied_at),
    createdAt: text(attrs.created_at),
    revokedAt: text(attrs.revoked_at),
    expiresAt: text(attrs.expires_at),
  };
}

export function parseTier(attrs: Json, path: string): RivoTier {
  const tierId = id(attrs.id);
  const name = text(attrs.name);
  if (!tierId || name === null) throw shapeError(path, 'VIP tier without id or name');
  return { id: tierId, name };
}

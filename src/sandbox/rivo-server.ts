import type http from 'node:http';
import type { FaultInjector } from './faults.js';
import { BadRequest, jsonAnswer, positiveInt, str, type Answer, type Params } from './http-util.js';
import { RateLimiter } from './rate-window.js';
import type { Random } from './rng.js';
import { batchItems, unwrapEvent } from './rivo-events.js';
import { isRefusal, type RivoState } from './rivo-state.js';
import { createSideServer, type RequestCtx, type Waits } from './side-server.js';
import type { StatsCollector } from './stats.js';
import type { RivoCustomerAttributes, RivoEventRecord, RivoTierRecord } from './types.js';
import type { AwardRecord, EarningRuleRecord } from './rivo-awards.js';

/** The Rivo merchant API stand-in (shared/reference/rivo-api.md, seeds 000–003). */

export const RIVO_PREFIX = '/merchant_api/v1';
const MAX_LIMIT = 250;
const MAX_PAGE = 500;
const DEFAULT_PER_PAGE = 50;
const MAX_BATCH = 10;

export interface RivoServerDeps {
  state: RivoState;
  apiKey: string;
  /** Requests per sliding second; null: no limit. */
  rps: number | null;
  latencyMs: number;
  faults: FaultInjector;
  stats: StatsCollector;
  /** Decides whether a 429 carries Retry-After (unconfirmed for Rivo, so about half do). */
  headerRng: Random;
  waits: Waits;
}

export function createRivoServer(deps: RivoServerDeps): http.Server {
  const limiter = deps.rps === null ? undefined : new RateLimiter(deps.rps, 1_000);
  const tooMany = (retryAfter: boolean): Answer =>
    jsonAnswer(429, { error: 'Too many requests' }, retryAfter ? { 'retry-after': '1' } : {});
  return createSideServer(
    {
      prefix: RIVO_PREFIX,
      latencyMs: () => deps.latencyMs,
      onArrival: (_path, now) => deps.stats.rivoArrival(now),
      onAnswered: (status) => deps.stats.answered('rivo', status),
      // The raw key only: a `Bearer` prefix is refused like a wrong key.
      authenticate: (headers) => (headers.authorization === deps.apiKey ? undefined : jsonAnswer(401, { error: 'Unauthorized' })),
      admit: (now) => {
        if (!limiter || limiter.admit(now).allowed) return { headers: {} };
        return { headers: {}, reject: tooMany(deps.headerRng.chance(0.5)) };
      },
      rateLimitFault: () => tooMany(true),
      faults: deps.faults,
      route: (ctx) => {
        const r = match(ctx);
        if (!r) return jsonAnswer(404, { error: 'Not Found' });
        deps.stats.rivoHandled(ctx.method, r.batch);
        return r.handle(deps.state);
      },
    },
    deps.waits,
  );
}

interface Matched {
  batch: boolean;
  handle: (state: RivoState) => Answer;
}

function match(ctx: RequestCtx): Matched | undefined {
  const seg = ctx.path.split('/').slice(1).map(decodeSegment);
  const [a, b, c, d, e] = seg;
  const m = ctx.method;
  const one = (handle: Matched['handle']): Matched => ({ batch: false, handle });
  if (a === 'customers') {
    if (seg.length === 1 && m === 'GET') return one((s) => listCustomers(s, ctx));
    if (seg.length === 2 && b && m === 'GET') return one((s) => getCustomer(s, b));
    if (seg.length === 2 && b && m === 'PUT') return one((s) => updateCustomer(s, b, ctx.body()));
    if (seg.length === 3 && b && c === 'vip_tier' && m === 'POST')
      return one((s) => (s.behaviour.tierEndpointMissing ? jsonAnswer(404, { error: 'Not Found' }) : setTier(s, b, ctx.body())));
    // The other award path a store may use (RivoBehaviour.awardPath).
    if (seg.length === 5 && b && c === 'earning_rules' && d && e === 'award' && m === 'POST')
      return one((s) => (s.behaviour.awardPath === 'customers' ? award(s, d, b) : jsonAnswer(404, { error: 'Not Found' })));
  }
  if (a === 'earning_rules') {
    if (seg.length === 1 && m === 'GET') return one((s) => jsonAnswer(200, { data: s.earning.list().map(ruleResource), links: { next: null } }));
    if (seg.length === 3 && b && c === 'award' && m === 'POST')
      return one((s) => (s.behaviour.awardPath === 'earning_rules' ? award(s, b, ctx.body().customer_identifier) : jsonAnswer(404, { error: 'Not Found' })));
  }
  if (a === 'vip_tiers' && m === 'GET') {
    if (seg.length === 1) return one((s) => jsonAnswer(200, { data: s.tiers().map(tierResource) }));
    if (seg.length === 2 && b) return one((s) => getTier(s, b));
  }
  if (a === 'points_events') {
    if (seg.length === 1 && m === 'POST') return one((s) => createEvent(s, ctx.body()));
    if (seg.length === 1 && m === 'GET') return one((s) => listEvents(s, ctx));
    if (seg.length === 2 && b === 'batch' && m === 'POST') return { batch: true, handle: (s) => createBatch(s, ctx.body()) };
  }
  return undefined;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadRequest('malformed percent-encoding in the path');
  }
}

// --- resources ---

function customerResource(c: RivoCustomerAttributes) {
  return { type: 'customer', id: String(c.id), attributes: c };
}

function tierResource(t: RivoTierRecord) {
  return { type: 'vip_tier', id: String(t.id), attributes: t };
}

/** The fields a listing serves ([code] in rivo-api.md); how the event was asked to email is not among them. */
function eventResource(e: RivoEventRecord) {
  return {
    type: 'points_event',
    id: String(e.id),
    attributes: {
      id: e.id,
      customer_identifier: e.customer_identifier,
      points_amount: e.points_amount,
      points_diff: e.points_diff,
      credits_amount: e.credits_amount,
      credits_diff: e.credits_diff,
      source: e.source,
      internal_note: e.internal_note,
      external_note: e.external_note,
      applied_at: e.applied_at,
      created_at: e.created_at,
      expires_at: e.expires_at,
      revoked_at: e.revoked_at,
    },
  };
}

function ruleResource(r: EarningRuleRecord) {
  const { source: _source, ...attributes } = r;
  return { type: 'earning_rule', id: r.id, attributes };
}

function awardResource(a: AwardRecord) {
  const { id, customer_id: _c, event_id: _e, ...attributes } = a;
  return { type: 'earning_history_entry', id, attributes };
}

function award(state: RivoState, ruleId: string, identifier: unknown): Answer {
  const r = state.earning.award(ruleId, identifier, new Date());
  return r.status === 201 ? jsonAnswer(201, { data: awardResource(r.award) }) : jsonAnswer(r.status, { error: r.error });
}

function notFound(what: string): Answer {
  return jsonAnswer(404, { error: `${what} not found` });
}

function invalid(errors: string[]): Answer {
  return jsonAnswer(422, { errors });
}

// --- pagination ---

interface OffsetPage {
  page: number;
  perPage: number;
}

/** `cap`: the most a page serves, silently (a store may cap below the documented 250); links and meta say it. */
function offsetPage(pagination: Params, cap = MAX_LIMIT): OffsetPage | Answer {
  const page = positiveInt(pagination.page) ?? 1;
  const perPage = positiveInt(pagination.per_page) ?? DEFAULT_PER_PAGE;
  if (Number.isNaN(page) || Number.isNaN(perPage)) return invalid(['pagination[page] and pagination[per_page] must be positive integers']);
  if (page > MAX_PAGE) return invalid([`pagination[page] must be less than or equal to ${MAX_PAGE}`]);
  return { page, perPage: Math.min(perPage, MAX_LIMIT, Math.max(1, Math.floor(cap))) };
}

function offsetLinks(baseUrl: string, path: string, extra: string, p: OffsetPage, total: number) {
  const lastPage = Math.max(1, Math.ceil(total / p.perPage));
  const url = (page: number) => `${baseUrl}${path}?${extra}pagination[page]=${page}&pagination[per_page]=${p.perPage}`;
  return {
    links: {
      self: url(p.page),
      first: url(1),
      prev: p.page > 1 ? url(Math.min(p.page - 1, lastPage)) : null,
      next: p.page < lastPage && p.page < MAX_PAGE ? url(p.page + 1) : null,
      last: url(Math.min(lastPage, MAX_PAGE)),
    },
    meta: { page: p.page, per_page: p.perPage, total_count: total, total_pages: lastPage },
  };
}

function paginationOf(query: Params): Params {
  const p = query.pagination;
  return p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as Params) : {};
}

// --- handlers ---

/**
 * The cursors each store served with RivoBehaviour.customerCursorOpaque: numbers, but not ids (a token for the last id
 * of its page, from a counter), so a client that takes any id for a cursor is found out.
 */
const cursorsOf = new WeakMap<RivoState, Map<number, number>>();
const OPAQUE_CURSOR_BASE = 900_000_000;

function listCustomers(state: RivoState, ctx: RequestCtx): Answer {
  const pagination = paginationOf(ctx.query);
  const sinceRaw = str(pagination.since_id);
  if (sinceRaw !== undefined && sinceRaw !== '') {
    if (!/^\d+$/.test(sinceRaw)) return invalid(['pagination[since_id] must be a non-negative integer']);
    const limit = positiveInt(pagination.limit) ?? DEFAULT_PER_PAGE;
    if (Number.isNaN(limit)) return invalid(['pagination[limit] must be a positive integer']);
    const capped = Math.min(limit, MAX_LIMIT);
    const asked = Number(sinceRaw);
    const opaque = state.behaviour.customerCursorOpaque;
    const cursors = cursorsOf.get(state) ?? new Map<number, number>();
    cursorsOf.set(state, cursors);
    // An opaque cursor it did not serve (an id, say) lists from the start.
    const since = opaque && asked !== 0 ? (cursors.get(asked) ?? 0) : asked;
    const ids = state.ids();
    const start = firstAbove(ids, since);
    const page = ids.slice(start, start + capped);
    const data = page.map((id) => customerResource(state.customer(id) as RivoCustomerAttributes));
    const last = start + capped < ids.length ? (page.at(-1) ?? null) : null;
    let next = last;
    if (last !== null && opaque) {
      next = OPAQUE_CURSOR_BASE + cursors.size + 1;
      cursors.set(next, last);
    }
    return jsonAnswer(200, { data, links: { next_since_id: next } });
  }
  const p = offsetPage(pagination);
  if (!('page' in p)) return p;
  const ids = state.ids();
  const data = ids.slice((p.page - 1) * p.perPage, p.page * p.perPage).map((id) => customerResource(state.customer(id) as RivoCustomerAttributes));
  return jsonAnswer(200, { data, ...offsetLinks(ctx.baseUrl, '/customers', '', p, ids.length) });
}

/** Index of the first id above `since` in an ascending list. */
function firstAbove(ids: number[], since: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as number) <= since) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function getCustomer(state: RivoState, identifier: string): Answer {
  const c = state.customer(identifier);
  return c ? jsonAnswer(200, { data: customerResource(c) }) : notFound('Customer');
}

/** `{ dob }` at the top level or nested under `customer` (Rails' wrap_parameters accepts both). */
function updateCustomer(state: RivoState, identifier: string, body: Params): Answer {
  const fields = nested(body, 'customer');
  if (!state.resolve(identifier)) return notFound('Customer');
  if (!('dob' in fields)) return invalid(['no updatable attribute given (dob)']);
  const r = state.setDob(identifier, fields.dob);
  return isRefusal(r) ? refusalAnswer(r) : jsonAnswer(200, { data: customerResource(r) });
}

function setTier(state: RivoState, identifier: string, body: Params): Answer {
  const fields = nested(body, 'customer');
  const r = state.setTier(identifier, fields.vip_tier_id);
  return isRefusal(r) ? refusalAnswer(r) : jsonAnswer(200, { data: customerResource(r) });
}

function getTier(state: RivoState, id: string): Answer {
  const t = /^\d+$/.test(id) ? state.tier(Number(id)) : undefined;
  return t ? jsonAnswer(200, { data: tierResource(t) }) : jsonAnswer(404, { message: 'VIP tier not found' });
}

function createEvent(state: RivoState, body: Params): Answer {
  const r = state.createEvent(unwrapEvent(body), new Date());
  return isRefusal(r) ? refusalAnswer(r) : jsonAnswer(201, { data: eventResource(r) });
}

function createBatch(state: RivoState, body: Params): Answer {
  const items = batchItems(body);
  if (!items || items.length === 0) return invalid(['points_events must be a non-empty array']);
  if (items.length > MAX_BATCH) return invalid([`points_events can contain at most ${MAX_BATCH} events (got ${items.length})`]);
  const { created, failures } = state.createBatch(items, new Date());
  if (failures.length === 0) return jsonAnswer(201, { data: created.map(eventResource) });
  const errors = failures.map((f) => ({ index: f.index, status: f.status, detail: f.errors.join('; ') }));
  // A store that answers 2xx for a batch with failed items, listing them item by item beside what it created.
  if (state.behaviour.batchItemErrorsIn2xx) return jsonAnswer(200, { data: created.map(eventResource), errors });
  // In partial mode some items did apply: say which, the way a lenient API would.
  return jsonAnswer(422, state.behaviour.batchAtomicity === 'partial' ? { errors, data: created.map(eventResource) } : { errors });
}

function listEvents(state: RivoState, ctx: RequestCtx): Answer {
  const filters = nested(ctx.query, 'filters');
  const identifier = str(filters.customer_identifier);
  let customerId: number | undefined;
  let extra = '';
  if (identifier !== undefined && identifier !== '') {
    const c = state.resolve(identifier);
    if (!c) return jsonAnswer(404, { message: 'Customer not found' });
    customerId = c.id;
    extra = `filters[customer_identifier]=${encodeURIComponent(identifier)}&`;
  }
  const p = offsetPage(paginationOf(ctx.query), state.behaviour.perPageCap);
  if (!('page' in p)) return p;
  const events = state.eventsListed(customerId);
  const data = events.slice((p.page - 1) * p.perPage, p.page * p.perPage).map(eventResource);
  return jsonAnswer(200, { data, ...offsetLinks(ctx.baseUrl, '/points_events', extra, p, events.length) });
}

function nested(body: Params, key: string): Params {
  const inner = body[key];
  return inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Params) : body;
}

function refusalAnswer(r: { status: 404 | 422; errors: string[] }): Answer {
  return r.status === 404 ? jsonAnswer(404, { error: r.errors.join('; ') }) : invalid(r.errors);
}

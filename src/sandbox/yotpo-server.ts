import type http from 'node:http';
import type { FaultInjector } from './faults.js';
import { BadRequest, jsonAnswer, positiveInt, str, type Answer, type Params } from './http-util.js';
import { RateLimiter } from './rate-window.js';
import type { Random } from './rng.js';
import { createSideServer, type Admission, type RequestCtx, type Waits } from './side-server.js';
import type { StatsCollector } from './stats.js';
import type { YotpoRecord } from './types.js';
import type { YotpoState } from './yotpo-state.js';

/** The Yotpo Loyalty stand-in (shared/reference/yotpo-loyalty-api.md). */

export const YOTPO_PREFIX = '/api/v2';
const DEFAULT_PER_PAGE = 50;
// per_page=100 is known to work; larger is unconfirmed, so the stand-in clamps (a client asking 250 gets 100).
const MAX_PER_PAGE = 100;

export interface YotpoServerDeps {
  state: YotpoState;
  guid: string;
  apiKey: string;
  /** Requests per sliding minute; null: no limit. */
  rpm: number | null;
  latencyMs: number;
  faults: FaultInjector;
  stats: StatsCollector;
  /** Decides whether a 429 carries Retry-After (it is undocumented, so a client must cope either way). */
  headerRng: Random;
  waits: Waits;
}

export function createYotpoServer(deps: YotpoServerDeps): http.Server {
  const limiter = deps.rpm === null ? undefined : new RateLimiter(deps.rpm, 60_000);
  return createSideServer(
    {
      prefix: YOTPO_PREFIX,
      latencyMs: () => deps.latencyMs,
      onArrival: (path, now) => deps.stats.yotpoArrival(path, now),
      onAnswered: (status) => deps.stats.answered('yotpo', status),
      authenticate: (headers) =>
        headers['x-guid'] === deps.guid && headers['x-api-key'] === deps.apiKey
          ? undefined
          : jsonAnswer(401, { error: 'Unauthorized', message: 'Invalid GUID or API key' }),
      admit: (now) => admit(limiter, now, deps.headerRng),
      rateLimitFault: () => {
        const limit = String(deps.rpm ?? 100);
        const headers: Record<string, string> = {
          'ratelimit-limit': limit,
          'ratelimit-remaining': '0',
          'ratelimit-reset': '1',
          'x-ratelimit-limit-minute': limit,
          'x-ratelimit-remaining-minute': '0',
        };
        if (deps.headerRng.chance(0.5)) headers['retry-after'] = '1';
        return jsonAnswer(429, { message: 'API rate limit exceeded' }, headers);
      },
      faults: deps.faults,
      route: (ctx) => route(deps.state, ctx),
    },
    deps.waits,
  );
}

function admit(limiter: RateLimiter | undefined, now: number, rng: Random): Admission {
  if (!limiter) return { headers: {} };
  const a = limiter.admit(now);
  const resetSecs = String(Math.max(1, Math.ceil(a.resetMs / 1000)));
  const headers: Record<string, string> = {
    'ratelimit-limit': String(a.limit),
    'ratelimit-remaining': String(a.remaining),
    'ratelimit-reset': resetSecs,
    'x-ratelimit-limit-minute': String(a.limit),
    'x-ratelimit-remaining-minute': String(a.remaining),
  };
  if (a.allowed) return { headers };
  if (rng.chance(0.5)) headers['retry-after'] = resetSecs;
  return { headers, reject: jsonAnswer(429, { message: 'API rate limit exceeded' }, headers) };
}

function route(state: YotpoState, ctx: RequestCtx): Answer {
  if (ctx.method !== 'GET') return jsonAnswer(404, { error: 'Not Found' });
  switch (ctx.path) {
    case '/customers/recent':
      return state.listEndpoints.includes('recent') ? listRecent(state, ctx.query) : jsonAnswer(404, { error: 'Not Found' });
    case '/customers/all':
      return state.listEndpoints.includes('all') ? listAll(state, ctx.query) : jsonAnswer(404, { error: 'Not Found' });
    case '/customers':
      return oneCustomer(state, ctx.query);
    case '/vip_tiers':
      return jsonAnswer(200, state.tiers());
    default:
      return jsonAnswer(404, { error: 'Not Found' });
  }
}

function perPage(query: Params): number {
  const n = positiveInt(query.per_page);
  if (Number.isNaN(n)) throw new BadRequest('per_page must be a positive integer');
  return Math.min(n ?? DEFAULT_PER_PAGE, MAX_PER_PAGE);
}

function serve(record: YotpoRecord): YotpoRecord {
  return structuredClone(record);
}

/** Cursor pagination. The cursor is opaque to clients; inside it is the listing position. */
function listRecent(state: YotpoState, query: Params): Answer {
  const limit = perPage(query);
  const cursor = str(query.page_info);
  let after = 0;
  if (cursor !== undefined && cursor !== '') {
    const decoded = decodeCursor(cursor);
    if (decoded === undefined) return jsonAnswer(400, { errors: ['page_info is invalid'] });
    after = decoded;
  }
  const page = state.pageAfter(after, limit);
  const last = page.items.at(-1);
  return jsonAnswer(200, {
    customers: page.items.map((i) => serve(i.record)),
    metadata: { next_page_info: page.more && last ? encodeCursor(last.seq) : null },
  });
}

function encodeCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ after: seq, v: 1 })).toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    return typeof v.after === 'number' && Number.isInteger(v.after) && v.after >= 0 ? v.after : undefined;
  } catch {
    return undefined;
  }
}

/** Page-number pagination from 1, with the optional `last_seen_at` lower bound used for delta pulls. */
function listAll(state: YotpoState, query: Params): Answer {
  const limit = perPage(query);
  const page = positiveInt(query.page) ?? 1;
  if (Number.isNaN(page)) return jsonAnswer(400, { errors: ['page must be a positive integer'] });
  let since: number | undefined;
  const lastSeen = str(query.last_seen_at);
  if (lastSeen !== undefined && lastSeen !== '') {
    since = Date.parse(lastSeen);
    if (!Number.isFinite(since)) return jsonAnswer(400, { errors: ['last_seen_at must be an ISO 8601 date'] });
  }
  const records = state.filtered(since);
  const totalPages = Math.max(1, Math.ceil(records.length / limit));
  return jsonAnswer(200, {
    customers: records.slice((page - 1) * limit, page * limit).map(serve),
    links: { total_pages: totalPages },
  });
}

function oneCustomer(state: YotpoState, query: Params): Answer {
  const email = str(query.customer_email);
  const id = str(query.customer_id);
  const phone = str(query.phone_number);
  let record: YotpoRecord | undefined;
  if (email) record = state.byEmail(email);
  else if (id) record = state.byShopifyId(id);
  else if (phone) record = state.byPhone(phone);
  else return jsonAnswer(400, { errors: ['customer_email, customer_id or phone_number is required'] });
  if (!record) return jsonAnswer(404, { message: 'Customer not found' });
  const out: Record<string, unknown> = serve(record);
  if (str(query.with_history) === 'true') {
    const history = state.historyOf(record);
    if (history === 'not_found') return jsonAnswer(404, { message: 'Customer not found' });
    out.history_items = history;
  }
  if (str(query.with_referral_code) === 'true') out.referral_code = `r${Buffer.from(record.email.trim().toLowerCase()).toString('base64url').slice(0, 10)}`;
  return jsonAnswer(200, out);
}

import http, { type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { YotpoClient, type YotpoClientOptions } from '../../src/yotpo/client.js';

/** Distinctive credentials: any of them in a message, a log line or the DB is a leak. */
export const GUID = 'guid-LEAKCHECK-5f1e0c2a';
export const API_KEY = 'apikey-LEAKCHECK-93b7d4e1';

export const tmpDir = (tag = 'extract') => mkdtempSync(join(tmpdir(), `y2r-${tag}-`));
export const tmpDbPath = () => join(tmpDir(), 'migration.sqlite');

/** The built-in defaults with a test DB, overridable per test. */
export function testConfig(dbPath: string, yotpo: Partial<Config['yotpo']> = {}, extra: Partial<Config> = {}): Config {
  const { config } = loadConfig({ env: {}, cwd: tmpDir('cfg'), flags: { db: dbPath } });
  return { ...config, ...extra, yotpo: { ...config.yotpo, ...yotpo } };
}

/** A client with a generous budget and short backoff, so retry tests take milliseconds. */
export function testClient(baseUrl: string, options: Partial<YotpoClientOptions> = {}): YotpoClient {
  return new YotpoClient({
    baseUrl,
    guid: GUID,
    apiKey: API_KEY,
    rpm: 60_000,
    timeoutMs: 2_000,
    retry: { maxRetries: 4, baseDelayMs: 5, maxDelayMs: 40 },
    ...options,
  });
}

export interface Seen {
  at: number;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface Reply {
  status?: number;
  json?: unknown;
  /** Raw body (HTML pages, broken JSON). */
  text?: string;
  headers?: Record<string, string>;
  /** Cut the connection without answering. */
  destroy?: boolean;
}

export interface FakeServer {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1:0 that knows how many requests came before each one. */
export async function startFake(handle: (req: Seen, n: number) => Reply | Promise<Reply>): Promise<FakeServer> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const entry: Seen = { at: Date.now(), path: url.pathname.replace(/^\/api\/v2/, ''), query: url.searchParams, headers: req.headers };
    seen.push(entry);
    req.resume();
    req.on('end', async () => {
      const reply = await handle(entry, seen.length - 1);
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      const body = reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
      res.writeHead(reply.status ?? 200, {
        'content-type': reply.text !== undefined ? 'text/html' : 'application/json',
        ...reply.headers,
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/v2`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function customer(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email: `customer${i}@example.com`,
    third_party_id: String(7_000_000_000_000 + i),
    first_name: `First${i}`,
    last_name: `Last${i}`,
    points_balance: 100 + i,
    points_earned: 200 + i,
    credit_balance: null,
    vip_tier_name: i % 3 === 0 ? 'Gold' : null,
    birthday_month: (i % 12) + 1,
    birth_day: (i % 28) + 1,
    birthday_year: null,
    opt_in: true,
    ...extra,
  };
}

export const customers = (n: number, from = 0) => Array.from({ length: n }, (_, i) => customer(from + i));

export interface YotpoRoutesOptions {
  /** Which list endpoints answer; the other is a 404. Default both. */
  endpoints?: ('recent' | 'all')[];
}

/**
 * A minimal Yotpo over an array (read at request time, so tests may change it between runs): recent with an
 * opaque offset cursor, all with page numbers and total_pages.
 */
export function yotpoRoutes(records: unknown[], options: YotpoRoutesOptions = {}) {
  const endpoints = options.endpoints ?? ['recent', 'all'];
  return (req: Seen): Reply => {
    const perPage = Number(req.query.get('per_page') ?? 50);
    if (req.headers['x-guid'] !== GUID || req.headers['x-api-key'] !== API_KEY) return { status: 401, json: { error: 'Unauthorized' } };
    if (req.path === '/customers/recent' && endpoints.includes('recent')) {
      const cursor = req.query.get('page_info');
      const offset = cursor ? Number(cursor.slice(3)) : 0;
      const page = records.slice(offset, offset + perPage);
      const more = offset + perPage < records.length;
      return { json: { customers: page, metadata: { next_page_info: more ? `off${offset + perPage}` : null } } };
    }
    if (req.path === '/customers/all' && endpoints.includes('all')) {
      const page = Number(req.query.get('page') ?? 1);
      return {
        json: {
          customers: records.slice((page - 1) * perPage, page * perPage),
          links: { total_pages: Math.max(1, Math.ceil(records.length / perPage)) },
        },
      };
    }
    return { status: 404, json: { error: 'Not Found' } };
  };
}

/** The recent-page offset or all-page number a request asked for ("first" for the first recent page). */
export function pageOf(s: Seen): string {
  if (s.path === '/customers/all') return `page ${s.query.get('page')}`;
  return s.query.get('page_info') ?? 'first';
}

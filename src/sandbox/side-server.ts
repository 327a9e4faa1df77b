import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FaultInjector } from './faults.js';
import { BadRequest, jsonAnswer, parseBody, parseQuery, readBody, writeAnswer, type Answer, type Params } from './http-util.js';

/**
 * The request pipeline both stand-ins share, in the order a real service would meet a request:
 * arrival → latency → path prefix → auth → rate limit → injected fault → handler → (slow / lost answer) → answer
 * (a late apply: the socket is dropped first and the handler runs later).
 * Only the handler differs between Yotpo and Rivo.
 */

export interface RequestCtx {
  method: string;
  /** Below the base path, e.g. `/customers/123`; no trailing slash. */
  path: string;
  /** Query string, bracket keys nested (`pagination[page]` → `{pagination:{page}}`). */
  query: Params;
  headers: IncomingHttpHeaders;
  /** The parsed body; throws BadRequest (→ 400) when it cannot be parsed. */
  body: () => Params;
  /** Absolute base URL of this stand-in, for links in answers. */
  baseUrl: string;
}

export interface Admission {
  reject?: Answer;
  /** Headers every answer to this request carries (rate-limit state). */
  headers: Record<string, string>;
}

export interface SideSpec {
  prefix: string;
  latencyMs: () => number;
  onArrival: (path: string, now: number) => void;
  onAnswered: (status: number) => void;
  authenticate: (headers: IncomingHttpHeaders) => Answer | undefined;
  admit: (now: number) => Admission;
  /** The answer to an injected 429 (each side has its own rate-limit headers). */
  rateLimitFault: () => Answer;
  faults: FaultInjector;
  route: (ctx: RequestCtx) => Answer;
}

/** Timers of slow answers and latency, cancelled on close so shutting down never waits for them. */
export class Waits {
  private readonly timers = new Set<NodeJS.Timeout>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

export function createSideServer(spec: SideSpec, waits: Waits): http.Server {
  const server = http.createServer((req, res) => {
    handle(spec, waits, req, res).catch(() => {
      // Only reachable through a bug in the sandbox itself: never leave the client hanging.
      if (!res.headersSent) writeAnswer(res, jsonAnswer(500, { error: 'sandbox failure' }));
      else res.destroy();
    });
  });
  // Clients keep connections alive; the server must not be the one to cut them between requests.
  server.keepAliveTimeout = 30_000;
  return server;
}

async function handle(spec: SideSpec, waits: Waits, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const arrivedAt = Date.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  const inPrefix = url.pathname === spec.prefix || url.pathname.startsWith(`${spec.prefix}/`);
  const path = (inPrefix ? url.pathname.slice(spec.prefix.length) : url.pathname).replace(/\/+$/, '') || '/';
  spec.onArrival(path, arrivedAt);

  let raw: Buffer;
  try {
    raw = await readBody(req);
  } catch {
    req.socket.destroy();
    return;
  }
  const latency = spec.latencyMs();
  if (latency > 0) await waits.sleep(latency);

  const send = (answer: Answer, headers: Record<string, string> = {}) => {
    spec.onAnswered(answer.status);
    writeAnswer(res, answer, headers);
  };

  if (!inPrefix) return send(jsonAnswer(404, { error: 'Not Found' }));
  const denied = spec.authenticate(req.headers);
  if (denied) return send(denied);
  const admission = spec.admit(Date.now());
  if (admission.reject) return send(admission.reject);

  const fault = spec.faults.decide(method);
  switch (fault.before?.kind) {
    case 'reset':
      req.socket.destroy();
      return;
    case '429':
      return send(spec.rateLimitFault());
    case '5xx':
      return send(serverError(fault.before.status));
    case 'html':
      if (fault.slowMs > 0) await waits.sleep(fault.slowMs);
      return send(htmlErrorPage(), admission.headers);
    default:
      break;
  }

  const apply = (): Answer => {
    try {
      const host = req.headers.host ?? 'localhost';
      return spec.route({
        method,
        path,
        query: parseQuery(url.searchParams),
        headers: req.headers,
        body: () => parseBody(req.headers['content-type'], raw),
        baseUrl: `http://${host}${spec.prefix}`,
      });
    } catch (err) {
      return err instanceof BadRequest ? jsonAnswer(400, { error: err.message }) : jsonAnswer(500, { error: 'Internal Server Error' });
    }
  };

  // The client sees its connection drop now; the write lands later (a close of the sandbox first cancels it).
  if (fault.lateApplyMs && fault.lateApplyMs > 0) {
    req.socket.destroy();
    await waits.sleep(fault.lateApplyMs);
    apply();
    return;
  }

  const answer = apply();

  // Whatever the handler applied stays applied from here on: a slow or lost answer does not undo it.
  if (fault.slowMs > 0) await waits.sleep(fault.slowMs);
  if (fault.lostAnswer) {
    req.socket.destroy();
    return;
  }
  send(answer, admission.headers);
}

/** 5xx bodies differ the way they do behind real load balancers: JSON from the app, HTML from a proxy. */
function serverError(status: 500 | 502 | 503): Answer {
  if (status === 502) {
    return {
      status,
      text: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
      contentType: 'text/html',
    };
  }
  if (status === 503) return jsonAnswer(503, { message: 'Service Unavailable' });
  return jsonAnswer(500, { error: 'Internal Server Error' });
}

/** A CDN or maintenance page served with 200: a client must not read it as data. */
function htmlErrorPage(): Answer {
  return {
    status: 200,
    contentType: 'text/html; charset=utf-8',
    text: '<!DOCTYPE html><html><head><title>We will be back soon</title></head><body><h1>Something went wrong</h1><p>Please try again in a few minutes.</p></body></html>',
  };
}

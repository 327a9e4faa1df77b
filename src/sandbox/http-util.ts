import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a handler wants sent. Handlers return answers instead of writing, so faults can act after a write applied. */
export interface Answer {
  status: number;
  /** Serialised as JSON. */
  json?: unknown;
  /** Sent as is (HTML error pages and the like). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export function jsonAnswer(status: number, body: unknown, headers?: Record<string, string>): Answer {
  return { status, json: body, headers };
}

/** A request the sandbox cannot even parse: the pipeline answers 400. */
export class BadRequest extends Error {}

const MAX_BODY_BYTES = 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequest('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export type Params = Record<string, unknown>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isHash(v: unknown): v is Params {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Rack's `params_hash_has_key?`: does `hash` already hold the (possibly nested) key? */
function hashHasKey(hash: Params, key: string): boolean {
  if (key.includes('[]')) return false;
  let h: unknown = hash;
  for (const part of key.split(/[[\]]+/)) {
    if (part === '') continue;
    if (!isHash(h) || !(part in h)) return false;
    h = h[part];
  }
  return true;
}

/**
 * Rails/Rack bracket parameters, the way a Rails API (Rivo's) reads a form body or query string:
 * `a[b]=1` → `{a:{b:'1'}}`, `a[]=1` → `{a:['1']}`, and `a[][x]=1&a[][y]=2&a[][x]=3` → `{a:[{x,y},{x}]}`
 * (a new element starts when the last one already has the key). Port of Rack's `normalize_params`.
 */
function normalize(params: Params, name: string, value: string): Params {
  const m = /^[[\]]*([^[\]]+)\]*/.exec(name);
  const k = m?.[1] ?? '';
  const after = m ? name.slice(m[0].length) : '';
  if (k === '' || FORBIDDEN_KEYS.has(k)) return params;

  if (after === '') {
    params[k] = value;
  } else if (after === '[') {
    params[name] = value;
  } else if (after === '[]') {
    const list = params[k] ?? [];
    if (!Array.isArray(list)) throw new BadRequest(`expected an array for ${k}`);
    list.push(value);
    params[k] = list;
  } else {
    const arrayChild = /^\[\]\[([^[\]]+)\]$/.exec(after) ?? /^\[\](.+)$/.exec(after);
    if (arrayChild) {
      const childKey = arrayChild[1] as string;
      const list = params[k] ?? [];
      if (!Array.isArray(list)) throw new BadRequest(`expected an array for ${k}`);
      const last: unknown = list[list.length - 1];
      if (isHash(last) && !hashHasKey(last, childKey)) normalize(last, childKey, value);
      else list.push(normalize({}, childKey, value));
      params[k] = list;
    } else {
      const child = params[k] ?? {};
      if (!isHash(child)) throw new BadRequest(`expected a hash for ${k}`);
      params[k] = normalize(child, after, value);
    }
  }
  return params;
}

export function parseBracketParams(pairs: Iterable<[string, string]>): Params {
  const out: Params = {};
  for (const [name, value] of pairs) normalize(out, name, value);
  return out;
}

export function parseQuery(search: URLSearchParams): Params {
  return parseBracketParams(search.entries());
}

/**
 * The body as the server reads it: JSON or bracket form by Content-Type; with no usable Content-Type, whatever it
 * parses as. Always an object (a bare JSON array or scalar is refused: no endpoint takes one).
 */
export function parseBody(contentType: string | undefined, raw: Buffer): Params {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const asJson = (): Params => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new BadRequest('the body is not valid JSON');
    }
    if (!isHash(v)) throw new BadRequest('the JSON body must be an object');
    return v;
  };
  const asForm = (): Params => parseBracketParams(new URLSearchParams(text).entries());
  if (type.endsWith('json')) return asJson();
  if (type === 'application/x-www-form-urlencoded') return asForm();
  try {
    return asJson();
  } catch {
    return asForm();
  }
}

export function writeAnswer(res: ServerResponse, answer: Answer, extraHeaders: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const body = answer.text ?? (answer.json === undefined ? '' : JSON.stringify(answer.json));
  const contentType = answer.contentType ?? (answer.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8');
  res.writeHead(answer.status, {
    ...extraHeaders,
    ...answer.headers,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** First value of a query parameter when it is a plain string (bracket keys come back nested). */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Parses a positive integer parameter; undefined when absent, NaN when present but not one. */
export function positiveInt(v: unknown): number | undefined {
  const s = str(v);
  if (s === undefined || s === '') return undefined;
  return /^\d+$/.test(s.trim()) && Number(s) > 0 ? Number(s) : Number.NaN;
}

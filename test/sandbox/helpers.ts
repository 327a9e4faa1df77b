import type { Sandbox } from '../../src/sandbox/index.js';

/** Rails bracket form encoding, written here so the contract tests do not lean on the product's own client. */
export function formEncode(value: unknown, prefix = ''): string {
  const pairs: string[] = [];
  const enc = (s: string) => encodeURIComponent(s).replace(/%5B/g, '[').replace(/%5D/g, ']');
  if (Array.isArray(value)) for (const v of value) pairs.push(formEncode(v, `${prefix}[]`));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) pairs.push(formEncode(v, prefix ? `${prefix}[${k}]` : k));
  else if (value !== undefined) pairs.push(`${enc(prefix)}=${encodeURIComponent(value === null ? '' : String(value))}`);
  return pairs.filter(Boolean).join('&');
}

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function toRes(r: Response): Promise<Res> {
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

export function yotpoHeaders(sb: Sandbox): Record<string, string> {
  return { 'x-guid': sb.credentials.yotpoGuid, 'x-api-key': sb.credentials.yotpoApiKey, accept: 'application/json' };
}

export async function yget(sb: Sandbox, path: string, headers: Record<string, string> = yotpoHeaders(sb)): Promise<Res> {
  return toRes(await fetch(`${sb.yotpoUrl}${path}`, { headers }));
}

export function rivoAuth(sb: Sandbox): Record<string, string> {
  return { authorization: sb.credentials.rivoApiKey, accept: 'application/json' };
}

export async function rget(sb: Sandbox, path: string, headers: Record<string, string> = rivoAuth(sb)): Promise<Res> {
  return toRes(await fetch(`${sb.rivoUrl}${path}`, { headers }));
}

export async function rsend(
  sb: Sandbox,
  method: 'POST' | 'PUT',
  path: string,
  body: unknown,
  encoding: 'json' | 'form' = 'json',
  headers: Record<string, string> = rivoAuth(sb),
): Promise<Res> {
  const init: RequestInit = {
    method,
    headers: {
      ...headers,
      'content-type': encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
    },
    body: encoding === 'json' ? JSON.stringify(body) : typeof body === 'string' ? body : formEncode(body),
  };
  return toRes(await fetch(`${sb.rivoUrl}${path}`, init));
}

/** Rejects with the transport error when the server drops the connection. */
export async function transportError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { message?: string; cause?: { code?: string; message?: string } };
    return `${e.message ?? ''} ${e.cause?.code ?? ''} ${e.cause?.message ?? ''}`;
  }
  throw new Error('expected the request to fail at the transport level');
}

export function event(identifier: string | number, points: number, extra: Record<string, unknown> = {}) {
  return { customer_identifier: String(identifier), source: 'manual', points_amount: points, skip_email: true, ...extra };
}

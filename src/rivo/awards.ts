import type { HttpClient } from '../http/client.js';
import type { RivoEvent } from './api.js';
import { listResources, singleResource } from './parse.js';

/**
 * Rivo's earning rules and the award of one to a customer (rivo-api.md "Earning rules and one-time actions",
 * seed 003). Every assumption about them lives here:
 *  - the award's path and body are [unconfirmed]: `awardRequest` is the one function that builds them, behind the
 *    `rivo.awardPath` switch (`earning_rules`: `POST /earning_rules/{id}/award` with `{customer_identifier}`, the
 *    modelled one; `customers`: `POST /customers/{identifier}/earning_rules/{id}/award`);
 *  - which answer means what (`readAwardAnswer`): 201 approved or pending, 409 already awarded, 403/404/422 refused;
 *    anything else on the first award of a run says the path is wrong for this store;
 *  - how the points event an award booked is recognised in the customer's listing (`isAwardEvent`).
 */

export type AwardPath = 'earning_rules' | 'customers';

/** Only these categories can be awarded through the API (seed 003); the platform awards the others itself. */
export const AWARDABLE_CATEGORIES: readonly string[] = ['social', 'engagement'];

export interface EarningRule {
  id: string;
  name: string;
  category: string;
  action: string | null;
  /** Base points, before the VIP multiplier; null when the listing does not say. */
  points: number | null;
  active: boolean;
  /** Days before an award's points are approved (0 or null: at once). */
  approvalTime: number | null;
}

export type AwardAnswer =
  /** 201: awarded. `points` is what Rivo says it granted (null when the answer does not say). */
  | { outcome: 'awarded'; status: 'approved' | 'pending'; points: number | null; pointsDueAt: string | null; awardId: string | null }
  /** 409: the customer already has this rule. */
  | { outcome: 'already' }
  /** 403 excluded customer, 404 unknown customer or inactive rule, 422 category not awardable, 400. */
  | { outcome: 'refused'; status: number; error: string }
  /** 405, or a 404 that names no customer or rule: the path is not this store's. */
  | { outcome: 'no_endpoint'; status: number; error: string };

/** The HTTP statuses the award answers with a meaning (others are errors: 5xx uncertain, 401 auth…). */
const ANSWERED = new Set([200, 201, 400, 403, 404, 405, 409, 422]);

export function isAwardable(rule: EarningRule): boolean {
  return rule.active && AWARDABLE_CATEGORIES.includes(rule.category.toLowerCase());
}

export async function listEarningRules(http: Pick<HttpClient, 'request'>): Promise<EarningRule[]> {
  const res = await http.request({ method: 'GET', path: '/earning_rules' });
  return listResources(res.data, '/earning_rules').map((a) => ({
    id: String(a.id),
    name: typeof a.name === 'string' ? a.name : String(a.id),
    category: typeof a.category === 'string' ? a.category : 'unknown',
    action: typeof a.action === 'string' ? a.action : null,
    points: typeof a.points === 'number' && Number.isFinite(a.points) ? a.points : null,
    active: a.active !== false,
    approvalTime: typeof a.approval_time === 'number' ? a.approval_time : null,
  }));
}

/** [unconfirmed] The one place the award's path and body are decided. */
export function awardRequest(path: AwardPath, ruleId: string, customerIdentifier: string): { path: string; body: Record<string, string> } {
  if (path === 'customers')
    return { path: `/customers/${encodeURIComponent(customerIdentifier)}/earning_rules/${encodeURIComponent(ruleId)}/award`, body: { customer_identifier: customerIdentifier } };
  return { path: `/earning_rules/${encodeURIComponent(ruleId)}/award`, body: { customer_identifier: customerIdentifier } };
}

/**
 * Awards one rule to one customer. Throws the HTTP layer's error when there is no answer to trust (5xx, timeout, a
 * dropped connection: `uncertain`), like every write; the caller settles it by sending again (a 409 then proves it
 * landed) and reading back.
 */
export async function awardRule(http: Pick<HttpClient, 'request'>, path: AwardPath, ruleId: string, customerIdentifier: string): Promise<AwardAnswer> {
  const req = awardRequest(path, ruleId, customerIdentifier);
  const res = await http.request({ method: 'POST', path: req.path, body: req.body, encoding: 'json', okStatus: (s) => ANSWERED.has(s) });
  return readAwardAnswer(res.status, res.data);
}

/** What an award's answer means. Pure. */
export function readAwardAnswer(status: number, body: unknown): AwardAnswer {
  const error = errorText(body);
  if (status === 200 || status === 201) {
    const a = singleResource(body) ?? {};
    const pending = String(a.status ?? '').toLowerCase() === 'pending';
    const points = typeof a.points === 'number' && Number.isInteger(a.points) ? a.points : null;
    return {
      outcome: 'awarded',
      status: pending ? 'pending' : 'approved',
      points,
      pointsDueAt: typeof a.points_due_at === 'string' ? a.points_due_at : null,
      awardId: a.id === undefined || a.id === null ? null : String(a.id),
    };
  }
  if (status === 409) return { outcome: 'already' };
  // A 404 that names neither a customer nor a rule is a route Rivo does not have (Rails answers "Not Found").
  if (status === 405 || (status === 404 && !/customer|rule/i.test(error))) return { outcome: 'no_endpoint', status, error };
  return { outcome: 'refused', status, error };
}

/** The points event an approved award booked, as the sandbox models it: its internal note names the rule. */
export function isAwardEvent(e: RivoEvent, ruleId: string): boolean {
  const note = e.internalNote ?? '';
  const escaped = ruleId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`earning rule ${escaped}(?![A-Za-z0-9_-])`, 'i').test(note) && e.pointsDiff > 0;
}

function errorText(body: unknown): string {
  if (body === null || typeof body !== 'object') return typeof body === 'string' ? body.slice(0, 200) : '';
  const b = body as Record<string, unknown>;
  const e = b.error ?? b.message ?? b.errors;
  return (typeof e === 'string' ? e : JSON.stringify(e ?? body)).slice(0, 200);
}

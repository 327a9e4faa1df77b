import { describe, expect, it } from 'vitest';
import type { EventRow } from '../../../src/ledger/types.js';
import { packUnits, sendableNow, type PackRules, type Unit } from '../../../src/load/policy/pack.js';

let n = 0;
function ev(customer: string, kind: EventRow['kind'], points = 10): EventRow {
  n++;
  return {
    key: `${customer}:${kind}:${n}`,
    customer_key: customer,
    rivo_id: `r-${customer}`,
    kind,
    role: kind === 'points' ? (points < 0 ? 'spent' : 'earned') : kind,
    generation: 1,
    points_amount: kind === 'points' ? points : 0,
    credits_cents: 0,
    value: kind === 'points' ? null : 'v',
    applied_at: null,
    internal_note: '',
    external_note: null,
    status: 'planned',
    attempts: 0,
    batch_id: null,
    rivo_event_id: null,
    last_error: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    done_at: null,
  };
}

const rules = (over: Partial<PackRules> = {}): PackRules => ({ sendMode: 'batch', batchSize: 3, negativeBelowZero: true, singleOnly: new Set(), ...over });
/** Each unit as its kind and the customers with their event count, e.g. `batch a2 b1`. */
const shape = (units: Unit[]) =>
  units.map((u) => (u.kind === 'batch' ? `batch ${u.customers.map((c) => `${c.key}${c.events.length}`).join(' ')}` : `${u.kind} ${u.customer.key}${u.customer.events.length}`));
const never = () => false;

describe('packUnits: customers into requests', () => {
  it('shares a batch between customers up to batchSize events, never splitting a customer across two units', () => {
    const customers = [
      { key: 'a', planned: [ev('a', 'points'), ev('a', 'points')] },
      { key: 'b', planned: [ev('b', 'points')] },
      { key: 'c', planned: [ev('c', 'points'), ev('c', 'points')] },
      { key: 'd', planned: [ev('d', 'points')] },
    ];
    expect(shape(packUnits(customers, rules(), never))).toEqual(['batch a2 b1', 'batch c2 d1']);
  });

  it('a customer with more than batchSize events gets a unit of its own', () => {
    const big = { key: 'big', planned: [1, 2, 3, 4].map(() => ev('big', 'points')) };
    expect(shape(packUnits([{ key: 'a', planned: [ev('a', 'points')] }, big], rules(), never))).toEqual(['batch big4', 'batch a1']);
  });

  it('single mode, and a customer whose batch was refused, go one event per request', () => {
    const customers = [
      { key: 'a', planned: [ev('a', 'points')] },
      { key: 'b', planned: [ev('b', 'points'), ev('b', 'points')] },
    ];
    expect(shape(packUnits(customers, rules({ sendMode: 'single' }), never))).toEqual(['single a1', 'single b2']);
    expect(shape(packUnits(customers, rules({ singleOnly: new Set(['b']) }), never))).toEqual(['single b2', 'batch a1']);
  });

  it('tier and birthday updates go only once every points event landed, and never beside open points', () => {
    const customers = [
      { key: 'a', planned: [ev('a', 'points'), ev('a', 'tier')] },
      { key: 'b', planned: [ev('b', 'tier'), ev('b', 'birthday')] },
      { key: 'c', planned: [ev('c', 'birthday')] },
    ];
    const landed = new Set(['b']);
    const asked: string[] = [];
    const units = packUnits(customers, rules(), (k) => (asked.push(k), landed.has(k)));
    expect(shape(units)).toEqual(['updates b2', 'batch a1']);
    // The ledger is asked only about customers with nothing to send now.
    expect(asked).toEqual(['b', 'c']);
  });
});

describe('sendableNow: debits wait for additions in a batch unless the store takes a debit below zero', () => {
  const points = [ev('a', 'points', 100), ev('a', 'points', -40)];
  it('holds the debit back in batch mode on an unmeasured store', () => {
    expect(sendableNow(points, { sendMode: 'batch', negativeBelowZero: null }).map((e) => e.points_amount)).toEqual([100]);
    expect(sendableNow(points, { sendMode: 'batch', negativeBelowZero: false }).map((e) => e.points_amount)).toEqual([100]);
  });
  it('sends the debit once only debits are left', () => {
    expect(sendableNow([points[1]!], { sendMode: 'batch', negativeBelowZero: null }).map((e) => e.points_amount)).toEqual([-40]);
  });
  it('sends both when the store is known to take a debit below zero, or one by one in single mode', () => {
    expect(sendableNow(points, { sendMode: 'batch', negativeBelowZero: true })).toHaveLength(2);
    expect(sendableNow(points, { sendMode: 'single', negativeBelowZero: null })).toHaveLength(2);
  });
});

describe('packUnits: tier and birthday carried with the points', () => {
  it('carries the updates when the unit holds every planned points event of the customer', () => {
    const tier = ev('a', 'tier');
    const units = packUnits([{ key: 'a', planned: [ev('a', 'points'), ev('a', 'points', -5), tier] }], rules({ negativeBelowZero: true }), never);
    expect(units[0]!.kind === 'batch' && units[0]!.customers[0]!.followUps).toEqual([tier]);
  });

  it('carries nothing while debits are held back for a later request (the points are not all in this unit)', () => {
    const units = packUnits([{ key: 'a', planned: [ev('a', 'points'), ev('a', 'points', -5), ev('a', 'tier')] }], rules({ negativeBelowZero: null }), never);
    expect(units[0]!.kind === 'batch' && units[0]!.customers[0]!.events).toHaveLength(1);
    expect(units[0]!.kind === 'batch' && units[0]!.customers[0]!.followUps).toBeUndefined();
  });
});


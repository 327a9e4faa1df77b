import { describe, expect, it } from 'vitest';
import { decideReadBack, updateApplied } from '../../../src/load/policy/settle-rule.js';

const listed = (entries: Record<string, string[]>) => new Map(Object.entries(entries).map(([k, ids]) => [k, ids.map((id) => ({ id }))]));

describe('decideReadBack: what a read-back proves', () => {
  it('found once: done, with Rivo\'s event id', () => {
    expect(decideReadBack(['k1'], listed({ k1: ['e9'] }), new Map(), null)).toEqual({
      done: [{ key: 'k1', rivoEventId: 'e9' }],
      duplicates: [],
      resend: [],
      held: null,
    });
  });

  it('found more than once: a duplicate, never done silently and never resent', () => {
    const d = decideReadBack(['k1'], listed({ k1: ['e1', 'e2'] }), new Map(), null);
    expect(d.duplicates).toEqual([{ key: 'k1', rivoEventIds: ['e1', 'e2'] }]);
    expect(d.done).toEqual([]);
    expect(d.resend).toEqual([]);
  });

  it('proven absent (the listing is complete): resent', () => {
    const d = decideReadBack(['k1', 'k2'], listed({ k1: [], k2: ['e5'] }), new Map(), null);
    expect(d.resend).toEqual(['k1']);
    expect(d.held).toBeNull();
    expect(d.done).toEqual([{ key: 'k2', rivoEventId: 'e5' }]);
  });

  it('not found but absence unproven: held with the reason, nothing resent', () => {
    const d = decideReadBack(['k1', 'k2'], listed({ k2: ['e5'] }), new Map(), 'the listing ended early');
    expect(d.resend).toEqual([]);
    expect(d.held).toEqual({ keys: ['k1'], reason: 'the listing ended early' });
    // What was found is still decided: an unproven listing only stops the conclusion "absent".
    expect(d.done).toEqual([{ key: 'k2', rivoEventId: 'e5' }]);
  });

  it('an unproven listing that found every key holds nothing', () => {
    const d = decideReadBack(['k1'], listed({ k1: ['e1'] }), new Map(), 'tallies do not add up');
    expect(d.held).toBeNull();
    expect(d.resend).toEqual([]);
  });

  it('a key confirmed earlier that now shows twice is reported as a duplicate', () => {
    const d = decideReadBack(['k1'], listed({ k1: ['e1'] }), listed({ old: ['e3', 'e4'], fine: ['e7'] }), null);
    expect(d.duplicates).toEqual([{ key: 'old', rivoEventIds: ['e3', 'e4'] }]);
  });
});

describe('updateApplied: whether a tier or birthday update is in Rivo', () => {
  it('compares the tier id', () => {
    expect(updateApplied({ tierId: '9003', dob: null }, { kind: 'tier', value: '9003' })).toBe(true);
    expect(updateApplied({ tierId: '9001', dob: null }, { kind: 'tier', value: '9003' })).toBe(false);
  });

  it('compares the birthday by day, whatever time part Rivo adds', () => {
    expect(updateApplied({ tierId: null, dob: '1990-04-07T00:00:00Z' }, { kind: 'birthday', value: '1990-04-07' })).toBe(true);
    expect(updateApplied({ tierId: null, dob: '1990-04-08' }, { kind: 'birthday', value: '1990-04-07' })).toBe(false);
  });

  it('a customer Rivo does not know carries nothing', () => {
    expect(updateApplied(null, { kind: 'tier', value: '9003' })).toBe(false);
  });
});

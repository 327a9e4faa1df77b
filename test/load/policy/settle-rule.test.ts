import { describe, expect, it } from 'vitest';
import { decideReadBack, decideUpdate, updateApplied } from '../../../src/load/policy/settle-rule.js';

const listed = (entries: Record<string, string[]>) => new Map(Object.entries(entries).map(([k, ids]) => [k, ids.map((id) => ({ id }))]));

describe('decideReadBack: what a read-back proves', () => {
  it('found once: done, with Rivo\'s event id', () => {
    expect(decideReadBack(['k1'], listed({ k1: ['e9'] }), new Map(), null, 'after-delay')).toEqual({
      done: [{ key: 'k1', rivoEventId: 'e9' }],
      duplicates: [],
      resend: [],
      held: null,
      waiting: [],
    });
  });

  it('found more than once: a duplicate, never done silently and never resent', () => {
    const d = decideReadBack(['k1'], listed({ k1: ['e1', 'e2'] }), new Map(), null, 'after-delay');
    expect(d.duplicates).toEqual([{ key: 'k1', rivoEventIds: ['e1', 'e2'] }]);
    expect(d.done).toEqual([]);
    expect(d.resend).toEqual([]);
  });

  it('proven absent (the listing is complete): resent', () => {
    const d = decideReadBack(['k1', 'k2'], listed({ k1: [], k2: ['e5'] }), new Map(), null, 'after-delay');
    expect(d.resend).toEqual(['k1']);
    expect(d.held).toBeNull();
    expect(d.done).toEqual([{ key: 'k2', rivoEventId: 'e5' }]);
  });

  it('not found but absence unproven: held with the reason, nothing resent', () => {
    const d = decideReadBack(['k1', 'k2'], listed({ k2: ['e5'] }), new Map(), 'the listing ended early', 'after-delay');
    expect(d.resend).toEqual([]);
    expect(d.held).toEqual({ keys: ['k1'], reason: 'the listing ended early' });
    // What was found is still decided: an unproven listing only stops the conclusion "absent".
    expect(d.done).toEqual([{ key: 'k2', rivoEventId: 'e5' }]);
  });

  it('an unproven listing that found every key holds nothing', () => {
    const d = decideReadBack(['k1'], listed({ k1: ['e1'] }), new Map(), 'tallies do not add up', 'after-delay');
    expect(d.held).toBeNull();
    expect(d.resend).toEqual([]);
  });

  it('a key confirmed earlier that now shows twice is reported as a duplicate', () => {
    const d = decideReadBack(['k1'], listed({ k1: ['e1'] }), listed({ old: ['e3', 'e4'], fine: ['e7'] }), null, 'after-delay');
    expect(d.duplicates).toEqual([{ key: 'old', rivoEventIds: ['e3', 'e4'] }]);
  });
});

describe('decideReadBack: an early read (before settleDelayMs) only confirms', () => {
  it('found once or twice: settled at once, as after the delay', () => {
    const d = decideReadBack(['k1', 'k2'], listed({ k1: ['e1'], k2: ['e2', 'e3'] }), new Map(), null, 'early');
    expect(d.done).toEqual([{ key: 'k1', rivoEventId: 'e1' }]);
    expect(d.duplicates).toEqual([{ key: 'k2', rivoEventIds: ['e2', 'e3'] }]);
    expect(d.waiting).toEqual([]);
  });

  it('not found in a complete listing: waits, never resent before the delay', () => {
    const d = decideReadBack(['k1', 'k2'], listed({ k2: ['e5'] }), new Map(), null, 'early');
    expect(d.resend).toEqual([]);
    expect(d.held).toBeNull();
    expect(d.waiting).toEqual(['k1']);
    expect(d.done).toEqual([{ key: 'k2', rivoEventId: 'e5' }]);
  });

  it('not found in an unproven listing: waits too (held is a conclusion of the read after the delay)', () => {
    const d = decideReadBack(['k1'], new Map(), new Map(), 'the listing ended early', 'early');
    expect(d.held).toBeNull();
    expect(d.resend).toEqual([]);
    expect(d.waiting).toEqual(['k1']);
  });

  it('after the delay, nothing waits', () => {
    expect(decideReadBack(['k1'], new Map(), new Map(), null, 'after-delay').waiting).toEqual([]);
  });
});

describe('decideUpdate: a tier or birthday read back', () => {
  it('the value in place: done, early or late', () => {
    expect(decideUpdate({ tierId: '9003', dob: null }, { kind: 'tier', value: '9003' }, 'early')).toBe('done');
    expect(decideUpdate({ tierId: null, dob: '1990-04-07' }, { kind: 'birthday', value: '1990-04-07' }, 'after-delay')).toBe('done');
  });

  it('another value: wait when early, absent (sent again) only after the delay', () => {
    expect(decideUpdate({ tierId: '9001', dob: null }, { kind: 'tier', value: '9003' }, 'early')).toBe('wait');
    expect(decideUpdate({ tierId: '9001', dob: null }, { kind: 'tier', value: '9003' }, 'after-delay')).toBe('absent');
    expect(decideUpdate(null, { kind: 'tier', value: '9003' }, 'early')).toBe('wait');
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

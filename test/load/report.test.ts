import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../../src/load/engine.js';
import type { LoadSummary } from '../../src/load/loader.js';
import { formatCredits, formatDuration, formatLoadSummary, formatProgress } from '../../src/load/report.js';

const summary = (over: Partial<LoadSummary> = {}): LoadSummary => ({
  migrationId: 'm1',
  outcome: 'done',
  aborted: false,
  interruptedAtStart: 0,
  rounds: 1,
  requests: 12,
  durationMs: 3000,
  events: { total: 40, done: 40, planned: 0, uncertain: 0, rejected: 0, landedThisRun: 40 },
  settled: { found: 0, absent: 0, duplicates: 0, unreadable: 0, held: 0 },
  isolatedBatches: 0,
  completions: 0,
  overTarget: 0,
  points: { done: 5000, pending: 0 },
  creditsCents: { done: 1250, pending: 0 },
  customers: { withEvents: 20, done: 20, byState: { migrated: 20 }, notPlanned: 0 },
  duplicates: { total: 0, thisRun: [] },
  rejected: [],
  pending: [],
  exhausted: [],
  ...over,
});

describe('human output', () => {
  it('formats durations and credit', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(372)).toBe('6m 12s');
    expect(formatDuration(7320)).toBe('2h 02m');
    expect(formatCredits(-1205)).toBe('-12.05');
  });

  it('shows progress with an ETA until done', () => {
    const p: LoadProgress = { phase: 'send', round: 1, eventsDone: 25, eventsTotal: 100, eventsUncertain: 2, eventsRejected: 0, customersDone: 10, customersTotal: 40, requests: 30, rate: 9.8, etaSeconds: 372 };
    expect(formatProgress('load', p)).toBe('load: 25/100 writes (25%), 10/40 customers, 30 requests, 9.8/s, 2 being settled, ETA 6m 12s');
    expect(formatProgress('load', { ...p, phase: 'done', etaSeconds: null })).not.toMatch(/ETA/);
  });

  it('a clean load is one finished line and the totals', () => {
    const lines = formatLoadSummary(summary());
    expect(lines[0]).toMatch(/^load finished: 40\/40 writes in Rivo, 20\/20 customers complete, 12 requests in 3s/);
    expect(lines.join('\n')).not.toMatch(/DUPLICATE|still pending|refused/);
  });

  it('says out loud what needs a person: duplicates, refusals, pending writes with their last error', () => {
    const lines = formatLoadSummary(
      summary({
        outcome: 'pending',
        events: { total: 40, done: 36, planned: 2, uncertain: 1, rejected: 1, landedThisRun: 30 },
        duplicates: { total: 1, thisRun: [{ customerKey: 'c1', key: 'k1', rivoEventIds: ['1', '2'] }] },
        rejected: [{ customerKey: 'c2', key: 'k2', reason: 'Rivo 422 {"errors":["points_tally cannot be negative"]}' }],
        pending: [{ customerKey: 'c3', key: 'k3', status: 'uncertain', lastError: '503 busy' }],
        exhausted: [{ customerKey: 'c3', lastError: '503 busy' }],
      }),
    ).join('\n');
    expect(lines).toMatch(/did not finish/);
    expect(lines).toMatch(/DUPLICATES: 1 event/);
    expect(lines).toMatch(/c1: k1 x2 \(Rivo ids 1, 2\)/);
    expect(lines).toMatch(/c2: Rivo 422.*cannot be negative/);
    expect(lines).toMatch(/3 write\(s\) still pending \(1 customer\(s\) kept failing\); run `load` again/);
    expect(lines).toMatch(/c3: uncertain \(last error: 503 busy\)/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKey, parseKeysFromNote } from '../../src/mapper/keys.js';
import { startSandbox, type RivoEventRecord, type Sandbox } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, tail, workspace, type CliResult, type Workspace } from './cli.js';
import { expectedFor, expectExactMigration, expectRolledBack, type Expectation } from './expect.js';

/**
 * Issue 15, history replay, as a new user tries it: `{"mapping":{"history":true}}`, each step a `yotpo-to-rivo`
 * process against one sandbox whose Rivo loses answers, fails and resets connections. Dry run (cost first) →
 * migrate → delta after Yotpo changed → rollback.
 */

const CUSTOMERS = 60;

let sb: Sandbox;
let ws: Workspace;
let e0: Expectation;
/** Customers chosen for the literal history and for each fallback. */
let ann: string;
const fallbacks = new Map<string, RegExp>();

const readCsv = (path: string) => parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
const historyKeysOf = (events: RivoEventRecord[]) => events.flatMap((e) => parseKeysFromNote(e.internal_note)).filter((k) => parseKey(k)?.role === 'history');

beforeAll(async () => {
  ensureBuilt();
  sb = await startSandbox({ customers: CUSTOMERS, seed: 15, yotpo: { rpm: 6000 }, rivo: { rps: 200 } });
  // Single events: one request per history item, so the faults below meet many of them.
  ws = workspace(sb, { name: 'history', config: { mapping: { history: true }, rivo: { sendMode: 'single' } } });
  const e = expectedFor(sb);
  const matched = [...e.records.values()].filter((o) => o.kind === 'matched').map((o) => o.key);
  // Ann: a history written out here (incomplete: it explains 700 of her 850 lifetime and 405 of her 455 balance).
  ann = matched[0]!;
  sb.yotpo.update(ann, { points_balance: 455, points_earned: 850, credit_balance: '12.50' });
  sb.yotpo.setHistory(ann, [
    { created_at: '2016-06-28T18:41:13.000Z', date: '2016-06-28', action: 'Create an Account', points: 200, status: 'Approved', action_name: 'create_account', completed_at: '2016-06-28T18:41:13.000Z' },
    { created_at: '2016-08-28T18:41:13.000Z', date: '2016-08-28', action: '$5 Coupon', points: -250, status: 'FIVEOFF-XYZ' },
    { created_at: '2016-07-02T09:00:00.000Z', date: '2016-07-02', action: 'Made a purchase', points: 500, status: 'Approved' },
    { created_at: '2017-02-01T00:00:00.000Z', date: '2017-02-01', action: 'Points expired', points: -45, status: 'Expired' },
  ]);
  const cases: [string, Parameters<typeof sb.yotpo.setHistory>[1], RegExp][] = [
    ['exceeds', 'exceeds_lifetime', /^fallback: its earnings \(\d+\) exceed the lifetime to carry \(\d+\)/],
    ['not add up', 'not_add_up', /^fallback: the history does not add up/],
    ['pending', 'pending_matters', /^fallback: items not approved \(item \d+ \+40 "Pending"\)/],
    ['unreadable', 'unreadable', /^fallback: history unreadable: customer .*: history item \d+: points "ten" is not a whole number$/],
    ['404', 'not_found', /^fallback: no history: Yotpo answered 404/],
  ];
  cases.forEach(([, c, re], i) => {
    const key = matched[i + 1]!;
    // Enough points that each derived case is what it says (a zero balance has no history to speak of).
    sb.yotpo.update(key, { points_balance: 300 + i, points_earned: 900 + i });
    sb.yotpo.setHistory(key, c);
    fallbacks.set(key, re);
  });
  e0 = expectedFor(sb);
}, 180_000);

afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

async function cli(command: string[], extra: string[] = []): Promise<CliResult> {
  const r = await runIn(ws, command, [...extra, '--json']);
  expect(r.signal, tail(r)).toBeNull();
  return r;
}
const exitFor = (e: Expectation) => (e.counts.invalid + e.counts.conflict + e.counts.unmatched > 0 ? 3 : 0);
const rivoIdOf = (key: string) => (e0.records.get(key) as { rivoId: number }).rivoId;
const lookupsAnswered = () => [...sb.yotpo.historyLookups.values()];

describe('history replay: dry run, migrate with Rivo faults, delta, rollback', () => {
  it('replays every migrated customer\'s history exactly once, with dates and notes, and totals exactly as without history', async () => {
    const valid = e0.counts.customers - e0.counts.invalid;

    // --- 1. dry run: the cost is said before any lookup; nothing written to Rivo ---
    const dry = await cli(['migrate', '--dry-run']);
    expect(dry.code, tail(dry)).toBe(exitFor(e0));
    const costLine = dry.stderr.split('\n').find((l) => l.startsWith('History: '));
    expect(valid).toBe(58);
    expect(costLine, tail(dry)).toBe('History: 58 lookups ≈ 1s at 6000/min (one Yotpo request per customer, inside the Yotpo budget)');
    // Counted before the first lookup: a count made after any of them would be short of every valid customer.
    expect(sb.stats().rivo.eventsCreated).toBe(0);
    expect(lookupsAnswered()).toHaveLength(valid);
    expect(lookupsAnswered().every((n) => n === 1)).toBe(true);
    const planJson = JSON.parse(readFileSync(join(ws.out, 'plan.json'), 'utf8'));
    expect(planJson.history.cost).toMatchObject({ lookups: valid, rpm: 6000 });
    // The plan's own cross-checks hold with history events in it.
    expect(planJson.checks).toMatchObject({ customersAddUp: true, pointsAddUp: true, creditsAddUp: true });
    expect(planJson.history.lookups).toEqual({ found: 56, not_found: 1, unreadable: 1, failed: 0 });
    expect([planJson.history.replayed, planJson.history.fallback]).toEqual([51, 5]);
    expect(planJson.history.fallbackReasons).toEqual({ 'earnings exceed lifetime': 1, 'does not add up': 1, 'items not approved': 1, 'unreadable items': 1, 'not found in Yotpo': 1 });
    const planCsv = readCsv(join(ws.out, 'plan.csv'));
    const statusOf = (key: string) => planCsv.find((r) => r.yotpo_key === key)!.history_status;
    expect(statusOf(ann)).toBe('replayed (4 events + 2 balancing)');
    for (const [key, re] of fallbacks) expect(statusOf(key)).toMatch(re);
    const html = readFileSync(join(ws.out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>History replay</h2>');
    for (const key of fallbacks.keys()) expect(html).toContain(key);

    // --- 2. migrate, against a Rivo that loses answers, fails and resets ---
    sb.setFaults({ lostAnswer: 0.08, error5xx: 0.05, reset: 0.03, only: ['rivo'] });
    const full = await cli(['migrate']);
    expect(full.code, tail(full)).toBe(exitFor(e0));
    sb.setFaults({});
    // The faults hit: writes whose answer was lost were settled by reading back.
    expect(full.json.load.settled.found + full.json.load.settled.absent, tail(full)).toBeGreaterThan(0);
    expectExactMigration(sb, e0, 'after the migration with history');
    // The dry run's lookups were enough: nobody was looked up twice.
    expect(lookupsAnswered().every((n) => n === 1)).toBe(true);

    // Ann's events in Rivo, written out: the four items at their Yotpo dates with Yotpo's words; then, dated now, a
    // balancing earn (lifetime 850 - 700 earned = 150), a balancing spend (200 + 500 - 250 - 45 + 150 - 455 = 100),
    // and her credit.
    const annEvents = sb.rivo
      .allEvents()
      .filter((e) => e.customer_id === rivoIdOf(ann) && e.revoked_at === null)
      .sort((a, b) => a.applied_at.localeCompare(b.applied_at) || a.id - b.id);
    const dated = annEvents.filter((e) => e.applied_at < '2020');
    expect(dated.map((e) => [e.points_diff, e.applied_at, e.external_note, parseKey(parseKeysFromNote(e.internal_note)[0]!)!.role])).toEqual([
      [200, '2016-06-28T18:41:13.000Z', 'Create an Account', 'history'],
      [500, '2016-07-02T09:00:00.000Z', 'Made a purchase', 'history'],
      [-250, '2016-08-28T18:41:13.000Z', '$5 Coupon', 'history'],
      [-45, '2017-02-01T00:00:00.000Z', 'Points expired', 'history'],
    ]);
    expect(annEvents.filter((e) => e.applied_at >= '2020').map((e) => [e.points_diff, e.credits_diff]).sort()).toEqual([
      [-100, 0],
      [0, 12.5],
      [150, 0],
    ].sort());

    // Every replayed customer's Rivo events carry one history key per approved item; no fallback customer has one.
    const events = sb.rivo.allEvents().filter((e) => e.revoked_at === null);
    for (const row of planCsv.filter((r) => r.history_status?.startsWith('replayed'))) {
      const mine = events.filter((e) => e.customer_id === Number(row.rivo_id));
      const n = Number(/^replayed \((\d+) events/.exec(row.history_status!)![1]);
      expect(historyKeysOf(mine), row.yotpo_key).toHaveLength(n);
    }
    for (const key of fallbacks.keys()) expect(historyKeysOf(events.filter((e) => e.customer_id === rivoIdOf(key))), key).toEqual([]);
    // And they are the items Yotpo served: each approved item (pending ones are not counted by Yotpo) is one Rivo
    // event with its points, its date as applied_at, and its action as the customer-facing note.
    for (const row of planCsv.filter((r) => r.history_status?.startsWith('replayed'))) {
      const served = sb.yotpo.historyServed(sb.yotpo.byEmail(row.yotpo_key!)!) as { points: number; created_at: string; action: string; status: string }[];
      const want = served.filter((i) => i.status !== 'Pending' && i.points !== 0).map((i) => [i.points, new Date(i.created_at).toISOString(), i.action]);
      const have = events
        .filter((e) => e.customer_id === Number(row.rivo_id) && historyKeysOf([e]).length === 1)
        .map((e) => [e.points_diff, e.applied_at, e.external_note]);
      expect(have.sort(), row.yotpo_key).toEqual(want.sort());
    }
    expect(planCsv.filter((r) => r.history_status?.startsWith('replayed'))).toHaveLength(51);

    // `show` says what became of Ann's history.
    const show = await cli(['show', ann]);
    expect(show.json.customers[0].history.status).toBe('replayed (4 events + 2 balancing)');

    // --- 3. delta: Yotpo changed; only the difference goes out, no history lookup is made again ---
    sb.yotpo.update(ann, { points_balance: 535, points_earned: 930 });
    const e1 = expectedFor(sb);
    const before = sb.rivo.allEvents().length;
    const delta = await cli(['migrate']);
    expect(delta.code, tail(delta)).toBe(exitFor(e1));
    expectExactMigration(sb, e1, 'after the delta');
    const added = sb.rivo.allEvents().slice(before);
    expect(added.map((e) => [e.customer_id, e.points_diff])).toEqual([[rivoIdOf(ann), 80]]);
    expect(lookupsAnswered().every((n) => n === 1)).toBe(true);

    // --- 4. rollback: everything the migration sent is compensated ---
    const rb = await cli(['rollback'], ['--yes']);
    expect([0, 3], tail(rb)).toContain(rb.code);
    expectRolledBack(sb);
  }, 240_000);
});

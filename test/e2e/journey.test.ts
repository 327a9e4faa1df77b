import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKey, parseKeysFromNote } from '../../src/mapper/keys.js';
import { startSandbox, type Sandbox, type YotpoRecord } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, tail, workspace, type CliResult, type Workspace } from './cli.js';
import { duplicateKeys, expectedFor, expectExactMigration, expectRolledBack, tallies, tallyDifferences, wholePoints, type Expectation } from './expect.js';

/**
 * Issue 6: the merchant's whole journey, each step a separate `yotpo-to-rivo` process against one sandbox:
 * dry run → pilot → verify → full migration → verify → balances change in Yotpo → delta → rollback (refused
 * without --yes, then done) → verify; `status --json` along the way.
 */

const CUSTOMERS = 150;
const SEED = 11;

let sb: Sandbox;
let ws: Workspace;
let e0: Expectation;

beforeAll(async () => {
  ensureBuilt();
  sb = await startSandbox({ customers: CUSTOMERS, seed: SEED, yotpo: { rpm: 6000 }, rivo: { rps: 200 } });
  ws = workspace(sb, { name: 'journey' });
  e0 = expectedFor(sb);
}, 180_000);

afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

const attention = (e: Expectation) => e.counts.invalid + e.counts.conflict + e.counts.unmatched;
const exitFor = (e: Expectation) => (attention(e) > 0 ? 3 : 0);

async function cli(command: string[], extra: string[] = []): Promise<CliResult> {
  const r = await runIn(ws, command, [...extra, '--json']);
  expect(r.signal, tail(r)).toBeNull();
  expect(r.json, `no JSON summary on stdout\n${tail(r)}`).toBeTypeOf('object');
  return r;
}

function readCsv(path: string): Record<string, string>[] {
  return parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

/** Rivo customers whose points, lifetime or credits differ from before the migration. */
function changedSinceBefore(): number[] {
  const before = new Map(sb.shop.rivoCustomers.map((c) => [c.id, tallies(c)] as const));
  return tallyDifferences(sb, before)
    .map((line) => Number(line.split(' ')[0]!.replace(':', '')))
    .filter((id, i, all) => all.indexOf(id) === i)
    .sort((a, b) => a - b);
}

describe('journey: dry run, pilot, migrate, verify, delta, rollback', () => {
  it('walks the whole journey with exact outcomes at every step', async () => {
    // The shop has every kind of awkward customer the expectation must cover.
    expect(e0.counts.invalid).toBeGreaterThan(0);
    expect(e0.counts.conflict).toBeGreaterThanOrEqual(2);
    expect(e0.counts.unmatched).toBeGreaterThan(0);
    expect(e0.counts.records).toBe(CUSTOMERS);
    // Precondition for the pilot: none of the first 5 records is half of a conflict (a pilot cannot know the twin
    // that comes later; see the report).
    const first5 = sb.shop.yotpoCustomers.slice(0, 5).map((r) => r.email.trim());
    for (const k of first5) expect(e0.records.get(k)?.kind).not.toBe('conflict');

    // --- 1. dry run: reads both sides, writes nothing to Rivo, writes the reconciliation report ---
    const dry = await cli(['migrate', '--dry-run']);
    expect(dry.code, tail(dry)).toBe(exitFor(e0));
    expect(sb.stats().rivo.writes).toBe(0);
    expect(sb.stats().rivo.eventsCreated).toBe(0);
    expect(changedSinceBefore()).toEqual([]);
    for (const f of ['plan.csv', 'plan.json', 'report.html']) expect(existsSync(join(ws.out, f)), f).toBe(true);
    const planJson = JSON.parse(readFileSync(join(ws.out, 'plan.json'), 'utf8'));
    expect(planJson.customers).toBe(e0.counts.customers);
    expect(planJson.checks).toMatchObject({ customersAddUp: true, pointsAddUp: true, creditsAddUp: true });
    expect(planJson.states.invalid).toBe(e0.counts.invalid);
    expect(planJson.states.conflict).toBe(e0.counts.conflict);
    expect(planJson.states.unmatched).toBe(e0.counts.unmatched);
    expect(planJson.states.pending + planJson.states.nothing_to_migrate).toBe(e0.counts.matched);
    expect(planJson.states.migrated).toBe(0);
    const planCsv = readCsv(join(ws.out, 'plan.csv'));
    expect(planCsv).toHaveLength(e0.counts.customers);
    for (const row of planCsv) {
      const want = e0.records.get(row.yotpo_key!);
      expect(want, `plan.csv row ${row.yotpo_key} not a Yotpo record`).toBeDefined();
      if (want!.kind === 'invalid') {
        expect(row.state).toBe('invalid');
        expect(row.reason).toContain(want!.field);
      } else if (want!.kind === 'matched') expect(['pending', 'nothing_to_migrate']).toContain(row.state);
      else expect(row.state).toBe(want!.kind);
    }

    const st0 = await cli(['status']);
    expect(st0.json.customers.total).toBe(e0.counts.customers);
    expect(st0.json.customers.byState).toMatchObject({ migrated: 0, invalid: e0.counts.invalid, conflict: e0.counts.conflict, unmatched: e0.counts.unmatched });
    expect(st0.json.points.done).toBe(0);
    expect(st0.json.events.byStatus.done).toBe(0);

    // --- 2. pilot: --limit 5 changes at most the first five customers, each exactly ---
    const pilot = await cli(['migrate'], ['--limit', '5']);
    expect([0, 3], tail(pilot)).toContain(pilot.code);
    const pilotIds = first5.map((k) => e0.records.get(k)).flatMap((o) => (o?.kind === 'matched' ? [o.rivoId] : []));
    const owing = pilotIds.filter((id) => {
      const w = e0.rivo.get(id)!;
      const b = tallies(sb.shop.rivoCustomers.find((c) => c.id === id)!);
      return w.points !== b.points || w.lifetime !== b.lifetime || w.creditsCents !== b.creditsCents;
    });
    expect(owing.length).toBeGreaterThan(0);
    expect(changedSinceBefore()).toEqual([...owing].sort((a, b) => a - b));
    const pilotWant = new Map([...owing].map((id) => [id, e0.rivo.get(id)!] as const));
    expect(tallyDifferences(sb, pilotWant)).toEqual([]);
    expect(duplicateKeys(sb.rivo.allEvents())).toEqual([]);

    const v1 = await cli(['verify']);
    expect([0, 3], tail(v1)).toContain(v1.code);
    expect(v1.json.outcomes.mismatch, tail(v1)).toBe(0);
    expect(v1.json.outcomes.missing).toBe(0);
    expect(v1.json.duplicates).toBe(0);

    // --- 3. the full migration ---
    const full = await cli(['migrate']);
    expect(full.code, tail(full)).toBe(exitFor(e0));
    expectExactMigration(sb, e0, 'after the full migration');

    const st1 = await cli(['status']);
    const sumB = [...e0.records.values()].filter((o) => o.kind === 'matched').map((o) => wholePoints(recordOf(o.key).points_balance)!);
    expect(st1.json.customers.byState.migrated + st1.json.customers.byState.nothing_to_migrate).toBe(e0.counts.matched);
    expect(st1.json.customers.byState).toMatchObject({ pending: 0, rejected: 0, invalid: e0.counts.invalid, conflict: e0.counts.conflict, unmatched: e0.counts.unmatched });
    expect(st1.json.customers.attention).toBe(attention(e0));
    expect(st1.json.points).toMatchObject({ done: sumB.reduce((a, b) => a + b, 0), pending: 0 });
    expect(st1.json.events.byStatus).toMatchObject({ planned: 0, in_flight: 0, uncertain: 0, rejected: 0 });

    const v2 = await cli(['verify']);
    expect(v2.code, tail(v2)).toBe(exitFor(e0));
    const verifyJson = JSON.parse(readFileSync(join(ws.out, 'verify.json'), 'utf8'));
    expect(verifyJson.outcomes).toMatchObject({ mismatch: 0, missing: 0, not_checked: 0 });
    expect(verifyJson.outcomes.match).toBe(e0.counts.matched);
    expect(verifyJson.duplicates).toBe(0);
    expect(verifyJson.keys.duplicated).toBe(0);
    expect(verifyJson.keys.found).toBe(verifyJson.keys.expected);
    expect(verifyJson.allMatch).toBe(true);
    expect(existsSync(join(ws.out, 'verify.csv'))).toBe(true);

    // --- 4. balances change in Yotpo: one up (earned too), one down (a redemption), one to zero, one credit ---
    const normal = sb.yotpo
      .customers()
      .filter((r) => !sb.shop.cases[r.email] && e0.records.get(r.email.trim())?.kind === 'matched')
      .filter((r) => wholePoints(r.points_earned)! >= wholePoints(r.points_balance)! && wholePoints(r.points_balance)! >= 10);
    expect(normal.length).toBeGreaterThanOrEqual(4);
    const [up, down, zero, credit] = normal as [YotpoRecord, YotpoRecord, YotpoRecord, YotpoRecord];
    const B = (r: YotpoRecord) => wholePoints(r.points_balance)!;
    const L = (r: YotpoRecord) => wholePoints(r.points_earned)!;
    sb.yotpo.update(up.email, { points_balance: B(up) + 250, points_earned: L(up) + 250 });
    sb.yotpo.update(down.email, { points_balance: B(down) - 7 });
    sb.yotpo.update(zero.email, { points_balance: 0 });
    sb.yotpo.update(credit.email, { credit_balance: '7.25' });
    // …and an unmatched customer appears in Rivo (Shopify synced them late): the next run migrates them, never dropped.
    const late = sb.yotpo.customers().find((r) => e0.records.get(r.email.trim())?.kind === 'unmatched')!;
    const lateTp = late.third_party_id ?? late.thirty_party_id;
    const lateRivo = sb.rivo.addCustomer({
      ...(typeof lateTp === 'string' ? { id: Number(lateTp) } : {}),
      email: late.email.trim().toLowerCase(),
      points_tally: 40,
      credits_tally: '2.5',
      lifetime_earnings_tally: 90,
    });
    const rivoBefore1 = [...sb.shop.rivoCustomers, lateRivo];
    const e1 = expectedFor(sb, rivoBefore1);
    expect(e1.records.get(late.email.trim())?.kind).toBe('matched');
    const changedIds = new Set([up, down, zero, credit, late].map((r) => (e1.records.get(r.email.trim()) as { rivoId: number }).rivoId));
    const keysBefore = new Set(sb.rivo.allEvents().flatMap((e) => parseKeysFromNote(e.internal_note)));

    const delta = await cli(['migrate']);
    expect(delta.code, tail(delta)).toBe(exitFor(e1));
    expectExactMigration(sb, e1, 'after the delta');
    const newEvents = sb.rivo.allEvents().filter((e) => parseKeysFromNote(e.internal_note).some((k) => !keysBefore.has(k)));
    expect(new Set(newEvents.map((e) => e.customer_id))).toEqual(changedIds);
    // Deltas are a new generation of keys; the late customer's first migration is generation 0.
    for (const e of newEvents)
      for (const k of parseKeysFromNote(e.internal_note)) expect(parseKey(k)?.generation, k).toBe(e.customer_id === lateRivo.id ? 0 : 1);
    const pointsDelta = (id: number) => newEvents.filter((e) => e.customer_id === id).reduce((a, e) => a + e.points_diff, 0);
    expect(pointsDelta(sb.rivo.customer(up.third_party_id as string)!.id)).toBe(250);
    expect(pointsDelta(sb.rivo.customer(down.third_party_id as string)!.id)).toBe(-7);
    expect(pointsDelta(sb.rivo.customer(zero.third_party_id as string)!.id)).toBe(-B(zero));

    // --- 5. rollback: refused without --yes (nothing sent), then done ---
    const writes = sb.stats().rivo.writes;
    const asked = await cli(['rollback']);
    expect(asked.code, tail(asked)).toBe(2);
    expect(asked.json.sent).toBe(false);
    expect(sb.stats().rivo.writes).toBe(writes);
    expectExactMigration(sb, e1, 'after the refused rollback');

    const rolled = await cli(['rollback'], ['--yes']);
    expect(rolled.code, tail(rolled)).toBe(0);
    expectRolledBack(sb, rivoBefore1);

    const st2 = await cli(['status']);
    expect(st2.json.points.rolledBack).toBe(-st2.json.points.done);
    expect(st2.json.credits.rolledBack).toBe(-st2.json.credits.done);
    expect(st2.json.points.rollbackPending).toBe(0);

    const v3 = await cli(['verify']);
    expect([0, 3], tail(v3)).toContain(v3.code);
    expect(v3.json.duplicates, tail(v3)).toBe(0);
    expect(v3.json.outcomes.mismatch, tail(v3)).toBe(0);

    // A rolled-back migration refuses to migrate again (that would send the points a second time).
    const again = await cli(['migrate']);
    expect(again.code, tail(again)).toBe(2);
    expectRolledBack(sb, rivoBefore1);
  }, 180_000);
});

function recordOf(key: string): YotpoRecord {
  return sb.yotpo.customers().find((r) => r.email.trim() === key)!;
}

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { CaseLabel } from '../../src/sandbox/shop.js';

/**
 * `migrate --dry-run` on a shop full of awkward cases: nothing is written to Rivo, and every awkward record shows up in
 * plan.csv in the state the rules give it, with a reason a merchant can act on.
 */

type Row = Record<string, string>;
let sb: Sandbox;
let rows: Row[];
let plan: any;
let exitCode: number;
/** A plain customer given a 29 February birthday without a year before the run. */
let leapling: string;

beforeAll(async () => {
  sb = await startSandbox({ customers: 400, seed: 3, awkward: 0.4 });
  const dir = mkdtempSync(join(tmpdir(), 'y2r-dry-'));
  vi.stubEnv('YOTPO_GUID', sb.credentials.yotpoGuid);
  vi.stubEnv('YOTPO_API_KEY', sb.credentials.yotpoApiKey);
  vi.stubEnv('RIVO_API_KEY', sb.credentials.rivoApiKey);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  leapling = String(sb.shop.yotpoCustomers.find((y) => !sb.shop.cases[String(y.email)])!.email);
  sb.yotpo.update(leapling, { birthday_month: 2, birth_day: 29, birthday_year: null });
  const out = join(dir, 'out');
  exitCode = await run(['migrate', '--dry-run', '--db', join(dir, 'm.sqlite'), '--out', out, '--yotpo-base-url', sb.yotpoUrl, '--rivo-base-url', sb.rivoUrl, '--yotpo-rpm', '6000', '--rivo-rps', '500']);
  rows = parse(readFileSync(join(out, 'plan.csv')), { columns: true }) as Row[];
  plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await sb.close();
});

/** The plan.csv row of a Yotpo record (its key is the email as Yotpo gives it, trimmed). */
function rowOf(email: unknown): Row {
  const key = String(email).trim();
  const row = rows.find((r) => r.yotpo_key === key);
  if (!row) throw new Error(`no plan.csv row for ${key}`);
  return row;
}

function recordsWith(label: CaseLabel, without: CaseLabel[] = []) {
  const found = sb.shop.yotpoCustomers.filter((y) => {
    const labels = sb.shop.cases[String(y.email)] ?? [];
    return labels.includes(label) && !without.some((w) => labels.includes(w));
  });
  expect(found.length, `the shop has ${label} cases`).toBeGreaterThan(0);
  return found;
}

describe('migrate --dry-run on awkward customers', () => {
  it('writes nothing to Rivo, exits 3 (customers need attention), and the totals add up', () => {
    expect(sb.stats().rivo.writes).toBe(0);
    expect(sb.stats().rivo.eventsCreated).toBe(0);
    expect(exitCode).toBe(3);
    expect(rows).toHaveLength(sb.shop.yotpoCustomers.length);
    expect(plan.customers).toBe(sb.shop.yotpoCustomers.length);
    expect(plan.checks).toMatchObject({ customersAddUp: true, pointsAddUp: true, creditsAddUp: true });
    const byState = rows.reduce<Record<string, number>>((acc, r) => ((acc[r.state!] = (acc[r.state!] ?? 0) + 1), acc), {});
    for (const [state, n] of Object.entries(byState)) expect(plan.states[state], state).toBe(n);
  });

  it('invalid balances are invalid, with the field and the value in the reason', () => {
    for (const y of recordsWith('invalid_balance')) {
      const r = rowOf(y.email);
      expect(r.state).toBe('invalid');
      expect(r.reason).toMatch(/points_balance/);
      expect(r.reason).toMatch(/missing|negative|whole number|not a number|empty/);
    }
  });

  it('two records for one person are both held as conflict, naming the other record', () => {
    for (const y of recordsWith('conflict')) {
      const r = rowOf(y.email);
      expect(r.state).toBe('conflict');
      expect(r.reason).toMatch(/identityMap/);
      expect(Number(r.events_planned)).toBe(0);
    }
  });

  it('customers Rivo does not know are unmatched, saying what was tried', () => {
    for (const y of recordsWith('unmatched', ['conflict'])) {
      const r = rowOf(y.email);
      expect(r.state).toBe('unmatched');
      expect(r.reason).toMatch(/no Rivo customer with/);
    }
  });

  it('emails differing in case or spaces, missing Shopify ids and the misspelled id field still match', () => {
    for (const label of ['email_case', 'email_spaces', 'no_shopify_id', 'thirty_party_id'] as const)
      for (const y of recordsWith(label, ['conflict', 'invalid_balance', 'unmatched'])) {
        const r = rowOf(y.email);
        expect(r.state, `${label} ${String(y.email)}`).toBe('pending');
        expect(r.rivo_id).not.toBe('');
      }
  });

  it('lifetime below the balance is planned with a note that lifetime cannot be exact', () => {
    for (const y of recordsWith('lifetime_below_balance', ['conflict', 'unmatched'])) {
      const r = rowOf(y.email);
      expect(r.state).toBe('pending');
      expect(r.reason).toMatch(/lifetime in Yotpo \(\d+\) is below the balance/);
      expect(Number(r.events_points)).toBe(Number(y.points_balance));
    }
  });

  it('huge balances, store credit, non-members and zero balances carry exactly what Yotpo holds', () => {
    for (const y of recordsWith('huge_balance', ['conflict', 'unmatched'])) expect(Number(rowOf(y.email).events_points)).toBe(50_000_000);
    for (const y of recordsWith('store_credit', ['conflict', 'unmatched'])) expect(rowOf(y.email).target_credit).toBe(Number(y.credit_balance).toFixed(2));
    for (const y of recordsWith('non_member', ['conflict', 'unmatched'])) expect(rowOf(y.email).state).toBe('pending');
    for (const y of recordsWith('zero_balance', ['conflict', 'unmatched'])) {
      const r = rowOf(y.email);
      expect(Number(r.target_points)).toBe(0);
      expect(r.state).toBe(Number(y.points_earned) > 0 ? 'pending' : 'nothing_to_migrate');
    }
  });

  it('tiers are matched by name in any case; a tier Rivo lacks is a warning, never silent', () => {
    for (const y of recordsWith('tier_case', ['conflict', 'unmatched'])) expect(rowOf(y.email).predicted_tier).toBe('GOLD');
    for (const y of recordsWith('tier_missing', ['conflict', 'unmatched'])) expect(rowOf(y.email).reason).toMatch(/tier "Diamond" not set/);
    expect(plan.tiers.unmapped.Diamond).toBeGreaterThan(0);
  });

  it('birthdays without a year get the placeholder year, 29 February included', () => {
    for (const y of recordsWith('birthday_no_year', ['conflict', 'unmatched', 'invalid_balance'])) {
      const r = rowOf(y.email);
      const mmdd = `${String(y.birthday_month).padStart(2, '0')}-${String(y.birth_day).padStart(2, '0')}`;
      expect(r.predicted_dob?.slice(5)).toBe(mmdd);
    }
    expect(rowOf(leapling).predicted_dob).toBe('2000-02-29');
  });

  it('unicode names come through as given', () => {
    for (const y of recordsWith('unicode_name')) expect(rowOf(y.email).first_name).toBe(y.first_name);
  });
});

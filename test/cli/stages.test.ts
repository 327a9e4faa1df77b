import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/**
 * The stages one at a time through the real CLI boundary (`run(argv)` is what the bin calls), against the sandbox:
 * extract → plan → load → verify, then `retry` once Rivo learns a customer it did not know, and `check`.
 */

let sb: Sandbox;
let dir: string;
let common: string[];

beforeEach(async () => {
  sb = await startSandbox({ customers: 60, seed: 21, awkward: 0 });
  dir = mkdtempSync(join(tmpdir(), 'y2r-stages-'));
  writeFileSync(join(dir, 'fast.json'), JSON.stringify({ rivo: { settleDelayMs: 20, timeoutMs: 3000 }, yotpo: { timeoutMs: 3000 } }));
  vi.stubEnv('YOTPO_GUID', sb.credentials.yotpoGuid);
  vi.stubEnv('YOTPO_API_KEY', sb.credentials.yotpoApiKey);
  vi.stubEnv('RIVO_API_KEY', sb.credentials.rivoApiKey);
  common = [
    '--config', join(dir, 'fast.json'),
    '--db', join(dir, 'm.sqlite'),
    '--out', join(dir, 'out'),
    '--yotpo-base-url', sb.yotpoUrl,
    '--rivo-base-url', sb.rivoUrl,
    '--yotpo-rpm', '6000',
    '--rivo-rps', '200',
  ];
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await sb.close();
});

const states = () => {
  const db = new Database(join(dir, 'm.sqlite'), { readonly: true });
  try {
    return Object.fromEntries((db.prepare('SELECT state, count(*) AS n FROM customers GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]));
  } finally {
    db.close();
  }
};

describe('the stages one at a time', () => {
  it('extract, plan (no writes), load, verify: every customer ends exactly where the rules say', async () => {
    const before = new Map(sb.rivo.customers().map((c) => [String(c.id), c.points_tally]));
    expect(await run(['extract', ...common])).toBe(0);
    expect(states()).toEqual({ pending: 60 });

    const writesBefore = sb.stats().rivo.writes;
    expect(await run(['plan', ...common])).toBe(0);
    expect(sb.stats().rivo.writes).toBe(writesBefore); // planning reads Rivo only
    expect(states().pending).toBe(60);

    expect(await run(['load', ...common])).toBe(0);
    expect(states()).toEqual({ migrated: 60 });
    for (const y of sb.shop.yotpoCustomers) {
      const id = String(y.third_party_id);
      expect(sb.rivo.customer(id)?.points_tally, id).toBe((before.get(id) ?? 0) + Number(y.points_balance));
    }
    expect(sb.stats().rivo.emailsSent).toBe(0);

    expect(await run(['verify', ...common])).toBe(0);
    // A second load owes nothing and sends nothing.
    const writes = sb.stats().rivo.writes;
    expect(await run(['load', ...common])).toBe(0);
    expect(sb.stats().rivo.writes).toBe(writes);
  });

  it('retry: a customer Rivo did not know is migrated once Rivo knows it', async () => {
    const victim = sb.shop.yotpoCustomers[3]!;
    const original = sb.rivo.customer(String(victim.third_party_id))!;
    sb.rivo.removeCustomer(original.id as never);
    expect(await run(['migrate', ...common])).toBe(3); // one customer needs attention
    expect(states()).toMatchObject({ unmatched: 1, migrated: 59 });

    sb.rivo.addCustomer({ id: original.id as never, email: original.email as string, points_tally: 7 });
    expect(await run(['retry', ...common])).toBe(0);
    expect(states()).toEqual({ migrated: 60 });
    expect(sb.rivo.customer(String(original.id))?.points_tally).toBe(7 + Number(victim.points_balance));
  });

  it('migrate after a dry run: customers held there are looked up again beside the first load pass, and migrated once', async () => {
    const victim = sb.shop.yotpoCustomers[5]!;
    const original = sb.rivo.customer(String(victim.third_party_id))!;
    sb.rivo.removeCustomer(original.id as never);
    expect(await run(['migrate', '--dry-run', ...common])).toBe(3);
    expect(states()).toMatchObject({ unmatched: 1, pending: 59 });

    // Rivo learns the customer between the dry run and the run: the held pass (beside the load) plans it.
    sb.rivo.addCustomer({ id: original.id as never, email: original.email as string, points_tally: 11 });
    expect(await run(['migrate', ...common])).toBe(0);
    expect(states()).toEqual({ migrated: 60 });
    expect(sb.rivo.customer(String(original.id))?.points_tally).toBe(11 + Number(victim.points_balance));
    // Every event of the run once, whichever pass sent it.
    const db = new Database(join(dir, 'm.sqlite'), { readonly: true });
    const keys = db.prepare("SELECT key FROM events WHERE status = 'done' AND kind = 'points'").pluck().all() as string[];
    db.close();
    const notes = sb.rivo.allEvents().map((e) => String(e.internal_note ?? ''));
    for (const key of keys) expect(notes.filter((n) => n.includes(`[${key}]`)), key).toHaveLength(1);
  });

  it('migrate after a dry run: a held record Rivo now matches to a pending record\'s customer makes twins, both held before either is credited', async () => {
    const [x, y] = [sb.shop.yotpoCustomers[7]!, sb.shop.yotpoCustomers[8]!];
    const xr = sb.rivo.customer(String(x.third_party_id))!;
    const yr = sb.rivo.customer(String(y.third_party_id))!;
    sb.rivo.removeCustomer(xr.id as never);
    expect(await run(['migrate', '--dry-run', ...common])).toBe(3);
    expect(states()).toMatchObject({ unmatched: 1, pending: 59 });

    // Between the dry run and the run, Rivo's customer of y takes x's email: x (held) now matches it too.
    sb.rivo.removeCustomer(yr.id as never);
    sb.rivo.addCustomer({ id: yr.id as never, email: x.email, points_tally: 13 });
    await run(['migrate', ...common]);
    const db = new Database(join(dir, 'm.sqlite'), { readonly: true });
    const stateOf = (email: string) => db.prepare('SELECT state FROM customers WHERE email_norm = ?').pluck().get(email.trim().toLowerCase());
    const xs = stateOf(x.email);
    const ys = stateOf(y.email);
    db.close();
    expect([xs, ys]).toEqual(['conflict', 'conflict']);
    // The shared Rivo customer was not credited by either record.
    expect(sb.rivo.customer(String(yr.id))?.points_tally).toBe(13);
    expect(sb.rivo.eventsFor(String(yr.id))).toHaveLength(0);
  });

  it('check: exit 0 when both APIs answer, exit 2 with a wrong key, without printing it', async () => {
    expect(await run(['check', ...common])).toBe(0);
    vi.stubEnv('RIVO_API_KEY', 'wrong-key-d41d8cd9');
    const out: string[] = [];
    // The answer is on stdout since `check > file` must hold it; nothing of it, nor the key, on stderr either.
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    expect(await run(['check', ...common])).toBe(2);
    expect(out.join('')).toMatch(/rivo: FAILED/);
    expect(out.join('') + err.join('')).not.toMatch(/d41d8cd9/);
  });

  it('commands that need an existing DB refuse to start a new one (exit 2)', async () => {
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const withoutDb = common.filter((a, i) => a !== '--db' && common[i - 1] !== '--db');
    for (const cmd of ['plan', 'load', 'verify', 'retry', 'status']) {
      out.length = 0;
      expect(await run([cmd, ...withoutDb, '--db', join(dir, `none-${cmd}.sqlite`)]), cmd).toBe(2);
      expect(out.join(''), cmd).toMatch(/No migration DB/);
    }
  });

  it('a flag given twice takes its last value', async () => {
    expect(await run(['extract', ...common, '--db', join(dir, 'second.sqlite')])).toBe(0);
    // The first --db was overridden, not also used: the run created no file there.
    expect(existsSync(join(dir, 'm.sqlite'))).toBe(false);
    const db = new Database(join(dir, 'second.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM customers').pluck().get()).toBe(60);
    db.close();
  });
});

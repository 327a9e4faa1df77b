import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { migrationId as readMigrationId, openDb, type Db } from '../../src/db/open.js';
import type { PlannedEvent, EventRole } from '../../src/domain.js';
import { recordExtractedPage, recordRivoMatch } from '../../src/ledger/customers.js';
import { replacePlan } from '../../src/ledger/events.js';
import { load, type LoadOptions } from '../../src/load/loader.js';
import type { ExtractedRecord } from '../../src/ledger/types.js';
import { eventKey, noteWithKey, parseKeysFromNote } from '../../src/mapper/keys.js';
import { RivoClient } from '../../src/rivo/client.js';
import { parseCustomer } from '../../src/rivo/parse.js';
import { startSandbox, type BatchMode, type FaultOptions, type RivoCustomerAttributes, type Sandbox } from '../../src/sandbox/index.js';
import { asCliAsync } from '../support/exit-codes.js';
import { anExtractedRecord } from '../support/records.js';

/**
 * A migration DB with customers and planned events (written through the ledger, as the planner would), and a Rivo
 * sandbox holding the matching customers. Each spec says what the customer had in Rivo before and what is owed.
 */

export interface CustomerSpec {
  /** Rivo before. */
  points: number;
  creditsCents?: number;
  lifetime?: number | null;
  tierId?: number | null;
  dob?: string | null;
  /** Owed: `earned` (+L) and `spent` (−(L−B)) from Yotpo's balance B and lifetime L, store credit, tier, birthday. */
  balance: number;
  lifetimeEarned?: number;
  credit?: number;
  setTier?: string;
  setDob?: string;
  /** Send to this identifier instead of the real Rivo id (an unknown customer). */
  rivoIdOverride?: string;
}

export interface Customer {
  key: string;
  rivoId: string;
  spec: CustomerSpec;
  before: RivoCustomerAttributes;
  events: PlannedEvent[];
}

export interface Harness {
  sb: Sandbox;
  db: Db;
  dbPath: string;
  config: Config;
  rivo: RivoClient;
  migrationId: string;
  customers: Customer[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  batchMode?: BatchMode;
  /** The stricter Rivo by default here (a debit below zero is refused), so refusal paths can be exercised. */
  refuseNegativeBelowZero?: boolean;
  rivo?: Partial<Config['rivo']>;
  faults?: FaultOptions;
  client?: { timeoutMs?: number; maxRetries?: number; rps?: number };
}

export const MIGRATION_NAME = 'load-test';

export function tmpDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'y2r-load-')), 'migration.sqlite');
}

export function testConfig(over: Partial<Config['rivo']> = {}): Config {
  const { config } = loadConfig({ env: {}, cwd: tmpdir() });
  return {
    ...config,
    migrationName: MIGRATION_NAME,
    // The loader's tests are about batches unless they say otherwise: `auto` (the default) sends single events to a
    // store no pilot has measured.
    rivo: { ...config.rivo, rps: 500, concurrency: 4, settleDelayMs: 20, maxRetries: 4, timeoutMs: 2000, sendMode: 'batch', ...over },
  };
}

function record(key: string, email: string): ExtractedRecord {
  return anExtractedRecord(key, { email, valuesHash: `hash-${key}` });
}

export function plannedEvent(migrationId: string, customerKey: string, role: EventRole, generation: number, fields: Partial<PlannedEvent>): PlannedEvent {
  const key = eventKey({ migrationName: MIGRATION_NAME, migrationId, customerKey, role, generation });
  return {
    key,
    kind: 'points',
    role,
    generation,
    pointsAmount: 0,
    creditsCents: 0,
    value: null,
    appliedAt: null,
    internalNote: noteWithKey('Migrated from Yotpo', key),
    externalNote: 'Points carried over from our previous rewards program',
    ...fields,
  };
}

/** The events the mapper would plan for a spec (lifetime strategy, add mode). */
export function eventsFor(migrationId: string, customerKey: string, spec: CustomerSpec, generation = 0): PlannedEvent[] {
  const L = spec.lifetimeEarned ?? spec.balance;
  const out: PlannedEvent[] = [];
  if (L !== 0) out.push(plannedEvent(migrationId, customerKey, 'earned', generation, { pointsAmount: L }));
  if (L > spec.balance) out.push(plannedEvent(migrationId, customerKey, 'spent', generation, { pointsAmount: -(L - spec.balance) }));
  if (spec.credit) out.push(plannedEvent(migrationId, customerKey, 'credit', generation, { creditsCents: spec.credit }));
  if (spec.setTier) out.push(plannedEvent(migrationId, customerKey, 'tier', generation, { kind: 'tier', value: spec.setTier }));
  if (spec.setDob) out.push(plannedEvent(migrationId, customerKey, 'birthday', generation, { kind: 'birthday', value: spec.setDob }));
  return out;
}

const cents = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

/** A varied population: some with lifetime above balance, some with credit, tiers and birthdays. */
export function population(n: number): CustomerSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    points: (i * 53) % 400,
    creditsCents: (i % 3) * 250,
    lifetime: i % 4 === 0 ? null : 1000 + i,
    tierId: i % 5 === 0 ? 9001 : null,
    dob: i % 6 === 0 ? '1985-01-02' : null,
    balance: 1 + ((i * 37) % 900),
    lifetimeEarned: i % 2 === 0 ? 1 + ((i * 37) % 900) + (i % 7) * 40 : undefined,
    credit: i % 3 === 0 ? 125 * (1 + (i % 4)) : undefined,
    setTier: i % 5 === 0 ? '9002' : undefined,
    setDob: i % 4 === 0 ? `1990-0${1 + (i % 9)}-1${i % 10}` : undefined,
  }));
}

export async function harness(specs: CustomerSpec[], opts: HarnessOptions = {}): Promise<Harness> {
  const sb = await startSandbox({ customers: 1, seed: 11, rivo: { batchMode: opts.batchMode ?? 'atomic', refuseNegativeBelowZero: opts.refuseNegativeBelowZero ?? true }, faults: opts.faults });
  const dbPath = tmpDbPath();
  const db = openDb(dbPath);
  const migrationId = readMigrationId(db);
  const config = testConfig(opts.rivo);
  const rivo = new RivoClient({
    baseUrl: sb.rivoUrl,
    apiKey: sb.credentials.rivoApiKey,
    rps: opts.client?.rps ?? config.rivo.rps,
    concurrency: config.rivo.concurrency,
    timeoutMs: opts.client?.timeoutMs ?? config.rivo.timeoutMs,
    maxRetries: opts.client?.maxRetries ?? config.rivo.maxRetries,
    singleEncoding: config.rivo.singleEncoding,
    batchEncoding: config.rivo.batchEncoding,
    retry: { baseDelayMs: 2, maxDelayMs: 20 },
  });
  const customers: Customer[] = [];
  const records = specs.map((_, i) => record(`yotpo-${i + 1}`, `c${i + 1}@example.com`));
  recordExtractedPage(db, records, { source: 'test', next: null, done: true });
  specs.forEach((spec, i) => {
    const key = records[i]!.key;
    const before = sb.rivo.addCustomer({
      email: `c${i + 1}@example.com`,
      points_tally: spec.points,
      credits_tally: cents(spec.creditsCents ?? 0),
      lifetime_earnings_tally: spec.lifetime === undefined ? spec.points : spec.lifetime,
      vip_tier: spec.tierId ? { id: spec.tierId } : null,
      dob: spec.dob ?? null,
    });
    const rivoId = spec.rivoIdOverride ?? String(before.id);
    recordRivoMatch(db, key, { ...parseCustomer({ ...before }, '/test'), id: rivoId });
    const events = eventsFor(migrationId, key, spec);
    replacePlan(db, key, rivoId, events, `hash-${key}`, []);
    customers.push({ key, rivoId, spec, before, events });
  });
  return {
    sb,
    db,
    dbPath,
    config,
    rivo,
    migrationId,
    customers,
    close: async () => {
      await rivo.close();
      db.close();
      await sb.close();
    },
  };
}

/** Every migration key found in Rivo's notes, with how often. */
export function keysInRivo(sb: Sandbox): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of sb.rivo.allEvents()) for (const k of parseKeysFromNote(e.internal_note)) out.set(k, (out.get(k) ?? 0) + 1);
  return out;
}

export function expectNoKeyTwice(sb: Sandbox): void {
  const twice = [...keysInRivo(sb)].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
}

/** After a complete load: every customer is exactly before + what was owed, and every points event is in Rivo once. */
export function expectMigratedExactly(h: Harness, only?: (c: Customer) => boolean): void {
  const keys = keysInRivo(h.sb);
  for (const c of h.customers) {
    if (only && !only(c)) continue;
    const now = h.sb.rivo.customer(c.rivoId)!;
    const points = c.events.reduce((n, e) => n + e.pointsAmount, 0);
    const credit = c.events.reduce((n, e) => n + e.creditsCents, 0);
    const label = `${c.key} (${c.rivoId})`;
    expect(now.points_tally, label).toBe(c.before.points_tally + points);
    expect(Math.round(Number(now.credits_tally) * 100), label).toBe(Math.round(Number(c.before.credits_tally) * 100) + credit);
    const earned = c.events.filter((e) => e.pointsAmount > 0).reduce((n, e) => n + e.pointsAmount, 0);
    expect(now.lifetime_earnings_tally ?? 0, label).toBe((c.before.lifetime_earnings_tally ?? 0) + earned);
    if (c.spec.setTier) expect(String(now.vip_tier?.id), label).toBe(c.spec.setTier);
    if (c.spec.setDob) expect(now.dob, label).toBe(c.spec.setDob);
    for (const e of c.events.filter((x) => x.kind === 'points')) expect(keys.get(e.key), `${label} ${e.key}`).toBe(1);
  }
  expectNoKeyTwice(h.sb);
}

/** Rivo unchanged for this customer. */
export function expectUntouched(h: Harness, c: Customer): void {
  const now = h.sb.rivo.customer(c.rivoId);
  if (!now) return;
  expect(now.points_tally).toBe(c.before.points_tally);
  expect(now.credits_tally).toBe(c.before.credits_tally);
  expect(h.sb.rivo.eventsFor(c.rivoId)).toEqual([]);
}

export function statuses(db: Db): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of db.prepare('SELECT status, count(*) AS n FROM events GROUP BY status').all() as { status: string; n: number }[]) out[r.status] = r.n;
  return out;
}

/**
 * `load` on a harness, with the short round pauses every load test wants; the summary carries the exit code the CLI
 * gives it (`exitCode`), so a test asserts what the person would get.
 */
export function runLoad(x: Harness, over: Partial<LoadOptions> = {}) {
  return asCliAsync(load({ db: x.db, config: x.config, rivo: x.rivo, migrationId: x.migrationId, roundPause: { baseDelayMs: 5, maxDelayMs: 50 }, ...over }));
}

/** Load options with `rivo.settleDelayMs` set (the settle tests time themselves against it). */
export const withSettleDelay = (h: Harness, ms: number) => ({ config: { ...h.config, rivo: { ...h.config.rivo, settleDelayMs: ms } } });

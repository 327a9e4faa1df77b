import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { duplicateKeys, expectedFor, tallyDifferences } from '../e2e/expect.js';
import { pilotWorld, type PilotWorld } from '../pilot/helpers.js';

/**
 * One-time actions with the sandbox's default Yotpo histories (an account creation and an Instagram follow, each with
 * `action_name` and `completed_at`, then purchases, a redemption, an expiry): the dry run lists the names next to
 * Rivo's awardable rules with suggestions; with history replay on, awarded customers keep their replayed history (the
 * awarded items left out: the award's own event stands for them) and every tally is exact.
 */

let w: PilotWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const planCsv = (world: PilotWorld) =>
  parse(readFileSync(join(world.dir, 'out', 'plan.csv'), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];

describe('one-time actions in the dry run', () => {
  it('lists the completed action names next to the awardable rules, suggests matches, warns unmapped ones, says awards may email', async () => {
    w = await pilotWorld({}, { mapping: { oneTimeActions: { instagram_follow: 'rule_instagram' } } });
    const r = await w.cli(['migrate', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/One-time actions: 3 action name\(s\) completed in the Yotpo histories read; Rivo has 5 awardable earning rule\(s\)\./);
    expect(r.stderr).toMatch(/ {2}instagram_follow \(\d+ customers\): mapped to rule_instagram "Follow on Instagram"/);
    expect(r.stderr).toMatch(/ {2}create_account \(\d+ customers\): unmapped; Rivo's "Create an account" looks alike: map it with "create_account": "rule_signup"/);
    expect(r.stderr).toContain('Rivo may notify each customer of an award (the award endpoint takes no skip_email); nothing is awarded unless mapped in mapping.oneTimeActions.');
    // Repeatable earnings are listed, never warned about (no action_name, no completed_at).
    expect(r.stderr).toMatch(/ {2}Made a purchase \(\d+ customers\): unmapped\n/);
    // The pre-flight checklist says it too (wrapped at the terminal's width).
    expect(r.stderr.replace(/\s+/g, ' ')).toContain('Rivo may notify each customer of an award: the earning rule award endpoint takes no skip_email.');
    expect(w.sb.stats().rivo.writes).toBe(0);
    const rows = planCsv(w).filter((row) => row.one_time_actions);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows)
      expect(row.one_time_actions).toBe('mapped, to award: instagram_follow; unmapped (warning: not awarded, can be earned again in Rivo): create_account');
  });
});

describe('one-time actions with history replay on', () => {
  it('awards first, then replays the rest of the history: exact tallies, no key twice, the award items not replayed', async () => {
    w = await pilotWorld({}, { mapping: { history: true, oneTimeActions: { create_account: 'rule_signup', instagram_follow: 'rule_instagram' } } });
    const m = await w.cli(['migrate', '--json']);
    expect(m.code, m.stderr).toBe(0);
    expect(tallyDifferences(w.sb, expectedFor(w.sb).rivo)).toEqual([]);
    expect(duplicateKeys(w.sb.rivo.allEvents())).toEqual([]);

    const db = new Database(w.db, { readonly: true });
    const awarded = db
      .prepare("SELECT c.third_party_id AS id, c.history_status AS history, count(*) AS n FROM awards a JOIN customers c ON c.key = a.customer_key WHERE a.status = 'awarded' GROUP BY c.key")
      .all() as { id: string; history: string; n: number }[];
    db.close();
    expect(awarded.length).toBeGreaterThan(0);
    for (const a of awarded) {
      expect(a.history).toMatch(/^replayed/);
      const events = w.sb.rivo.eventsFor(a.id);
      const notes = events.map((e) => e.external_note);
      // The awards' own events, and no replayed copy of the awarded items.
      expect(events.filter((e) => /^Earning rule rule_(signup|instagram):/.test(e.internal_note ?? ''))).toHaveLength(a.n);
      if (a.n === 2) expect(notes).not.toContain('Created an account');
      expect(notes).toContain('Made a purchase');
    }
    // Nothing is awarded twice across the store.
    const pairs = w.sb.rivo.earning.awards().map((x) => `${x.customer_id}:${x.earning_rule_id}`);
    expect(new Set(pairs).size).toBe(pairs.length);
  });
});

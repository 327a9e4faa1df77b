import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseKey, parseKeysFromNote } from '../../src/mapper/keys.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, startCli, tail, withFlags, workspace, type Workspace } from './cli.js';
import { expectedFor, expectExactMigration } from './expect.js';

/**
 * The history lookup stopped midway (Ctrl-C, then a kill), as a merchant's run would be: the next run resumes with
 * the customers not looked up yet. The sandbox counts every history lookup it answered, per customer.
 */

let sb: Sandbox | undefined;
let ws: Workspace | undefined;
afterEach(async () => {
  await sb?.close();
  removeWorkspace(ws);
  sb = ws = undefined;
});

const answered = (s: Sandbox) => [...s.yotpo.historyLookups.values()];
const total = (s: Sandbox) => answered(s).reduce((a, b) => a + b, 0);

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('history lookup: stopped and resumed through the CLI', () => {
  it.each([
    ['SIGINT', 0],
    ['SIGKILL', 4],
  ] as const)('after %s midway, a re-run looks up only the customers not done (at most %i again: lookups in flight at the kill)', async (signal, repeatsAllowed) => {
    ensureBuilt();
    // The sandbox holds Yotpo to 300 a minute (a 429 past it), as the CLI's budget says.
    sb = await startSandbox({ customers: 50, seed: 21, awkward: 0, yotpo: { rpm: 300 } });
    // 300 requests a minute: the 50 lookups take about ten seconds, time enough to stop the run among them.
    ws = workspace(sb, { name: 'history-resume', config: { mapping: { history: true } }, rates: ['--yotpo-rpm', '300', '--rivo-rps', '200'] });
    const valid = expectedFor(sb).counts.customers - expectedFor(sb).counts.invalid;
    expect(valid).toBe(50);
    const first = startCli(['migrate', '--dry-run', ...withFlags(ws.args, ['--json'])], { env: ws.env, cwd: ws.dir });
    await until(() => total(sb!) >= 10);
    first.child.kill(signal);
    const r1 = await first.done;
    expect(total(sb), tail(r1)).toBeLessThan(50);
    if (signal === 'SIGINT') {
      expect(r1.stderr, tail(r1)).toMatch(/^History: 50 lookups ≈ 10s at 300\/min/m);
      // Stopped, not done: exit 1 (resume), and it says so.
      expect(r1.code, tail(r1)).toBe(1);
      expect(r1.stderr).toMatch(/^Dry run stopped before the end: nothing was written to Rivo\. Run `yotpo-to-rivo migrate --dry-run` again to resume\./m);
    }
    const afterStop = total(sb);

    const second = await runIn(ws, ['migrate', '--dry-run'], ['--json']);
    expect([0, 3], tail(second)).toContain(second.code);
    // The second run states only what is left, and makes exactly that many lookups.
    const left = Number(/^History: (\d+) lookups/m.exec(second.stderr)?.[1]);
    expect(left).toBeGreaterThanOrEqual(50 - afterStop);
    expect(left).toBeLessThanOrEqual(50 - afterStop + repeatsAllowed);
    expect(total(sb)).toBe(afterStop + left);
    expect(answered(sb)).toHaveLength(50);
    expect(answered(sb).filter((n) => n > 1).length).toBeLessThanOrEqual(repeatsAllowed);
    if (signal === 'SIGINT') expect(answered(sb).every((n) => n === 1)).toBe(true);
    // Inside the budget: the lookups shared the listing's gate.
    expect(sb.stats().yotpo.status429).toBe(0);
    expect(sb.stats().yotpo.maxInAnyWindow).toBeLessThanOrEqual(300);
  }, 120_000);
});

describe('history turned on after a dry run without it', () => {
  it('replaces the unsent balance-only plans with replays, and the migration is exact', async () => {
    ensureBuilt();
    sb = await startSandbox({ customers: 30, seed: 23, awkward: 0 });
    ws = workspace(sb, { name: 'history-later' });
    const dry = await runIn(ws, ['migrate', '--dry-run'], ['--json']);
    expect([0, 3], tail(dry)).toContain(dry.code);
    expect(total(sb)).toBe(0);
    writeFileSync(ws.configPath, JSON.stringify({ ...JSON.parse(readFileSync(ws.configPath, 'utf8')), mapping: { history: true } }));
    const full = await runIn(ws, ['migrate'], ['--json']);
    expect([0, 3], tail(full)).toContain(full.code);
    const e = expectedFor(sb);
    expectExactMigration(sb, e, 'history on after a dry run without it');
    expect(answered(sb)).toHaveLength(30);
    // Every customer with points got its history: no balance-only `earned` event went out for a replayed customer
    // whose history explains its lifetime (the sandbox's histories do).
    const roles = sb.rivo.allEvents().flatMap((ev) => parseKeysFromNote(ev.internal_note).map((k) => parseKey(k)!.role));
    expect(roles.filter((r) => r === 'history').length).toBeGreaterThan(30);
    expect(roles.filter((r) => r === 'earned')).toEqual([]);
  }, 120_000);
});

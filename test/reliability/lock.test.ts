import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, startCli, tail, workspace, type Workspace } from '../e2e/cli.js';
import { duplicateKeys, expectedFor, expectExactMigration } from '../e2e/expect.js';

/**
 * One writer per migration DB: a second `migrate` (or `verify`) on a DB in use exits 2 naming the holder's pid and
 * sends nothing; a lock left by a process killed with SIGKILL is recovered by the next run, which finishes exactly.
 */

let sb: Sandbox;
let ws: Workspace;

beforeAll(async () => {
  ensureBuilt();
  // Slow Rivo answers keep the first run busy long enough to be met by the second.
  sb = await startSandbox({ customers: 120, seed: 9, rivo: { latencyMs: 40 } });
  ws = workspace(sb, { name: 'lock', rates: ['--yotpo-rpm', '6000', '--rivo-rps', '20'] });
}, 180_000);

afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

function lockRow(path: string): { pid: number; command: string } | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return db.prepare('SELECT pid, command FROM lock WHERE id = 1').get() as { pid: number; command: string } | undefined;
  } catch {
    return undefined; // not created yet
  } finally {
    db?.close();
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('lock: one writer per DB', () => {
  it('refuses a second writer naming the holder, and recovers the lock of a killed run', async () => {
    const first = startCli(['migrate', ...ws.args, '--json'], { env: ws.env, cwd: ws.dir });
    const held = await waitFor('the first run to take the lock', () => {
      const row = lockRow(ws.db);
      return row?.pid === first.pid ? row : undefined;
    });
    expect(held.command).toBe('migrate');
    // Let it get into loading.
    await waitFor('the first run to write to Rivo', () => (sb.stats().rivo.eventsCreated > 0 ? true : undefined));

    const second = await runIn(ws, ['migrate'], ['--json']);
    expect(second.code, tail(second)).toBe(2);
    expect(second.stderr).toContain(`process ${first.pid}`);
    expect(second.json).toMatchObject({ command: 'migrate', exitCode: 2 });
    const verify = await runIn(ws, ['verify'], ['--json']);
    expect(verify.code, tail(verify)).toBe(2);
    expect(verify.stderr).toContain(`process ${first.pid}`);
    // status reads without the lock and says who holds it.
    const status = await runIn(ws, ['status'], ['--json']);
    expect(status.json.lock, tail(status)).toMatchObject({ pid: first.pid, command: 'migrate' });
    expect(first.child.exitCode, 'the first run must still be running for this test to mean anything').toBeNull();

    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(lockRow(ws.db)?.pid, 'the killed run leaves its lock row behind').toBe(first.pid);

    const resumed = await runIn(ws, ['migrate'], ['--json', '--rivo-rps', '200']);
    const want = expectedFor(sb);
    expect(resumed.code, tail(resumed)).toBe(want.counts.invalid + want.counts.conflict + want.counts.unmatched > 0 ? 3 : 0);
    expectExactMigration(sb, want, 'after the stale lock was recovered');
    expect(duplicateKeys(sb.rivo.allEvents())).toEqual([]);
    expect(lockRow(ws.db), 'the lock is released at the end').toBeUndefined();
  }, 120_000);
});

import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKey, parseKeysFromNote } from '../../src/mapper/keys.js';
import { startSandbox, type Sandbox, type YotpoRecord } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, startCli, tail, workspace, type Workspace } from './cli.js';
import { duplicateKeys, expectedFor, expectExactMigration, expectRolledBack, wholePoints } from './expect.js';

/**
 * Issue 11, items 1 and 2, as a user meets them: a second DB against a migrated store refuses (nothing sent) and
 * offers `adopt`; `adopt` then `migrate` then a Yotpo change is exact; a rolled-back DB refuses `load`, `retry` and
 * `migrate` without a single write, and its never-sent events are cancelled.
 */

const meta = (path: string, key: string) => {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
  } finally {
    db.close();
  }
};
const eventStatuses = (path: string) => {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return Object.fromEntries((db.prepare('SELECT status, count(*) AS n FROM events GROUP BY status').all() as { status: string; n: number }[]).map((r) => [r.status, r.n]));
  } finally {
    db.close();
  }
};
const exitFor = (e: ReturnType<typeof expectedFor>) => (e.counts.invalid + e.counts.conflict + e.counts.unmatched > 0 ? 3 : 0);

describe('a lost or misplaced DB never credits everyone again', () => {
  let sb: Sandbox;
  let a: Workspace;
  let b: Workspace;
  beforeAll(async () => {
    ensureBuilt();
    sb = await startSandbox({ customers: 80, seed: 23, yotpo: { rpm: 6000 }, rivo: { rps: 200 } });
    a = workspace(sb, { name: 'store-a' });
    b = workspace(sb, { name: 'store-b' });
  }, 180_000);
  afterAll(async () => {
    await sb?.close();
    removeWorkspace(a);
    removeWorkspace(b);
  });

  it('a second DB refuses (exit 2, no write); adopt, then migrate and a delta are exact', async () => {
    const e0 = expectedFor(sb);
    const first = await runIn(a, ['migrate'], ['--json']);
    expect(first.code, tail(first)).toBe(exitFor(e0));
    expect(first.stderr).toContain(`DB ${a.db}: new migration`);
    expect(first.stderr).toMatch(/Rivo store checked: \d+ manual events in 1 request /);
    expectExactMigration(sb, e0, 'after the first migration');
    const idA = meta(a.db, 'migration_id')!;
    const keyed = sb.rivo.allEvents().filter((e) => parseKeysFromNote(e.internal_note).length > 0).length;

    // The same command with another DB: refused before anything is sent, naming the earlier migration.
    const writes = sb.stats().rivo.writes;
    const second = await runIn(b, ['migrate'], ['--json']);
    expect(second.code, tail(second)).toBe(2);
    expect(second.stderr).toContain(`DB ${b.db}: new migration`);
    expect(second.stderr).toContain(`migration ${idA}: ${keyed} events`);
    expect(second.stderr).toContain('adopt');
    expect(sb.stats().rivo.writes, 'nothing sent').toBe(writes);
    expectExactMigration(sb, e0, 'after the refused second DB');
    // `load` on it is refused the same way.
    const load = await runIn(b, ['load'], ['--json']);
    expect(load.code, tail(load)).toBe(2);
    expect(sb.stats().rivo.writes).toBe(writes);

    // Meanwhile a migrated customer's email was edited in Yotpo (same Shopify id): its events in Rivo carry the hash
    // of the old email, so adopt finds them by the Rivo customer instead, and that customer is not credited again.
    const renamed = sb.yotpo
      .customers()
      .find((r) => !sb.shop.cases[r.email] && e0.records.get(r.email.trim())?.kind === 'matched' && typeof r.third_party_id === 'string' && r.third_party_id !== '')!;
    sb.yotpo.update(renamed.email, { email: `edited.${renamed.email.trim()}` });
    const eRenamed = expectedFor(sb);
    expect([...eRenamed.rivo]).toEqual([...e0.rivo]);

    // adopt reads Yotpo itself, then rebuilds the ledger from Rivo's events.
    const adopted = await runIn(b, ['adopt'], ['--json']);
    expect(adopted.code, tail(adopted)).toBe(0);
    expect(adopted.json).toMatchObject({ adopted: true, migrationId: idA, events: keyed, relinked: 1, unmapped: { events: 0 } });
    expect(meta(b.db, 'migration_id')).toBe(idA);
    expect(sb.stats().rivo.writes, 'adopt writes nothing').toBe(writes);

    const cont = await runIn(b, ['migrate'], ['--json']);
    expect(cont.code, tail(cont)).toBe(exitFor(eRenamed));
    expect(cont.stderr).toContain(`DB ${b.db}: continuing migration ${idA}`);
    expect(sb.stats().rivo.eventsCreated, 'nothing more owed: no event sent').toBe(keyed);
    expectExactMigration(sb, e0, 'after migrate on the adopted DB');

    // A Yotpo change, then a delta from the adopted DB: exact, new keys continue the adopted migration.
    const matched = sb.yotpo
      .customers()
      .filter((r) => !sb.shop.cases[r.email] && e0.records.get(r.email.trim())?.kind === 'matched')
      .filter((r) => wholePoints(r.points_earned)! >= wholePoints(r.points_balance)! && wholePoints(r.points_balance)! >= 10);
    const [up, down] = matched.filter((r) => r.third_party_id !== renamed.third_party_id) as [YotpoRecord, YotpoRecord];
    sb.yotpo.update(up.email, { points_balance: wholePoints(up.points_balance)! + 120, points_earned: wholePoints(up.points_earned)! + 120 });
    sb.yotpo.update(down.email, { points_balance: wholePoints(down.points_balance)! - 9 });
    const e1 = expectedFor(sb);
    const before = new Set(sb.rivo.allEvents().map((e) => e.id));
    const delta = await runIn(b, ['migrate'], ['--json']);
    expect(delta.code, tail(delta)).toBe(exitFor(e1));
    expectExactMigration(sb, e1, 'after the delta on the adopted DB');
    expect(duplicateKeys(sb.rivo.allEvents())).toEqual([]);
    const fresh = sb.rivo.allEvents().filter((e) => !before.has(e.id));
    expect(fresh.length).toBeGreaterThan(0);
    for (const e of fresh) for (const k of parseKeysFromNote(e.internal_note)) expect(parseKey(k)).toMatchObject({ migrationId: idA, generation: 1 });
  }, 240_000);
});

describe('a rolled-back DB never writes again', () => {
  let sb: Sandbox;
  let ws: Workspace;
  beforeAll(async () => {
    ensureBuilt();
    sb = await startSandbox({ customers: 150, seed: 29, rivo: { latencyMs: 30 } });
    ws = workspace(sb, { name: 'rolledback', rates: ['--yotpo-rpm', '6000', '--rivo-rps', '15'] });
  }, 180_000);
  afterAll(async () => {
    await sb?.close();
    removeWorkspace(ws);
  });

  it('interrupted migrate, rollback --yes, then load / retry / migrate: exit 2 and zero writes; never-sent events cancelled', async () => {
    const run = startCli(['migrate', ...ws.args], { env: ws.env, cwd: ws.dir });
    const deadline = Date.now() + 60_000;
    while (sb.stats().rivo.eventsCreated < 10) {
      if (Date.now() > deadline) throw new Error(`migrate did not start sending\n${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    run.child.kill('SIGKILL');
    await run.done;
    expect(eventStatuses(ws.db).planned ?? 0, 'the interrupted run left events planned').toBeGreaterThan(0);

    const rolled = await runIn(ws, ['rollback', '--yes'], ['--json']);
    expect(rolled.code, tail(rolled)).toBe(0);
    expectRolledBack(sb);
    const statuses = eventStatuses(ws.db);
    expect(statuses.planned ?? 0, 'planned events are cancelled by rollback').toBe(0);
    expect(statuses.cancelled ?? 0).toBeGreaterThan(0);

    const requests = sb.stats().rivo.requests;
    for (const command of [['load'], ['retry'], ['migrate']]) {
      const r = await runIn(ws, command, ['--json']);
      expect(r.code, `${command[0]}\n${tail(r)}`).toBe(2);
      expect(r.stderr).toMatch(/was rolled back on .*planned and sent nothing/s);
      expect(r.stderr).toContain('new --db');
    }
    expect(sb.stats().rivo.requests, 'not even a read: refused before anything is planned').toBe(requests);
    expect(eventStatuses(ws.db).planned ?? 0).toBe(0);
    expectRolledBack(sb);

    // A new DB may migrate the store again: the earlier migration was rolled back, so the scan lets it through.
    const fresh = workspace(sb, { name: 'after-rollback' });
    try {
      const again = await runIn(fresh, ['migrate'], ['--json', '--rivo-rps', '200']);
      const e = expectedFor(sb);
      expect(again.code, tail(again)).toBe(exitFor(e));
      expect(again.stderr).toContain('only rolled-back migrations');
    } finally {
      removeWorkspace(fresh);
    }
  }, 240_000);
});

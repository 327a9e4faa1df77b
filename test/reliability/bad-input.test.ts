import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RivoCustomerAttributes, type Sandbox, type YotpoRecord } from '../../src/sandbox/index.js';
import { BIN, ensureBuilt, removeWorkspace, runIn, tail, workspace, type CliResult, type Workspace } from '../e2e/cli.js';
import { duplicateKeys, expectedState, expectExactMigration, type Expectation } from '../e2e/expect.js';

/**
 * Bad input, from Yotpo and from the user. A bad Yotpo record never stops a run: it is stored as invalid with a reason
 * naming the field, shown in plan.csv, and everyone else is migrated exactly. A bad page is retried, and when it stays
 * bad the run stops with exit 1 and resumes once Yotpo answers again. Bad usage exits 2 before anything is sent and
 * leaves a foreign or newer DB file untouched.
 */

const workspaces: Workspace[] = [];
const track = (ws: Workspace) => (workspaces.push(ws), ws);

beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => {
  for (const ws of workspaces) removeWorkspace(ws);
});

function readPlanCsv(ws: Workspace): Record<string, string>[] {
  return parse(readFileSync(join(ws.out, 'plan.csv'), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const attention = (e: Expectation) => e.counts.invalid + e.counts.conflict + e.counts.unmatched;

function integrity(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

const base = (email: unknown, extra: Record<string, unknown> = {}): YotpoRecord =>
  ({ email, first_name: 'Test', last_name: 'Case', points_balance: 120, points_earned: 300, credit_balance: null, opt_in: true, ...extra }) as YotpoRecord;

describe('bad Yotpo records', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ customers: 40, seed: 23 });
  });
  afterAll(() => sb?.close());

  it('each invalid record is in plan.csv as invalid with a reason naming the field; the run goes on and the rest is exact', async () => {
    // [plan.csv key, record, the field its reason must name]
    const invalid: [string, unknown, string][] = [
      ['tpid:990000000001', base(undefined, { third_party_id: '990000000001' }), 'email'],
      ['tpid:990000000002', base(12345, { third_party_id: '990000000002' }), 'email'],
      ['tpid:990000000003', base('   ', { third_party_id: '990000000003' }), 'email'],
      ['bad.string@example.com', base('bad.string@example.com', { points_balance: '12abc' }), 'points_balance'],
      ['bad.negative@example.com', base('bad.negative@example.com', { points_balance: -5 }), 'points_balance'],
      ['bad.fraction@example.com', base('bad.fraction@example.com', { points_balance: 10.5 }), 'points_balance'],
      ['bad.enormous@example.com', base('bad.enormous@example.com', { points_balance: 1e13, points_earned: 1e13 }), 'points_balance'],
      ['bad.huge@example.com', base('bad.huge@example.com', { points_balance: 1e308, points_earned: 1e308 }), 'points_balance'],
      ['bad.object@example.com', base('bad.object@example.com', { points_balance: { value: 5 } }), 'points_balance'],
      ['bad.array@example.com', base('bad.array@example.com', { points_balance: [5] }), 'points_balance'],
      ['bad.bool@example.com', base('bad.bool@example.com', { points_balance: true }), 'points_balance'],
      ['bad.empty@example.com', base('bad.empty@example.com', { points_balance: '' }), 'points_balance'],
      ['bad.earned.missing@example.com', base('bad.earned.missing@example.com', { points_earned: undefined }), 'points_earned'],
      ['bad.earned.negative@example.com', base('bad.earned.negative@example.com', { points_earned: -1 }), 'points_earned'],
      ['bad.credit.text@example.com', base('bad.credit.text@example.com', { credit_balance: 'abc' }), 'credit_balance'],
      ['bad.credit.negative@example.com', base('bad.credit.negative@example.com', { credit_balance: '-3.00' }), 'credit_balance'],
      ['bad.credit.cents@example.com', base('bad.credit.cents@example.com', { credit_balance: '1.234' }), 'credit_balance'],
    ];
    // Unusable as records at all: positional keys, a reason saying what they are.
    const notObjects: unknown[] = [null, 'just a string', 42, ['an', 'array']];
    // Unusual but valid; each has a Rivo customer.
    const unusual: YotpoRecord[] = [
      base('num.string@example.com', { points_balance: '455', points_earned: '500' }),
      base(' Zoë.Ångström@例え.jp ', { first_name: '美咲 🎉', last_name: "O'Brien-Ñúñez", points_balance: 77, points_earned: 77 }),
      base('tp.bool@example.com', { third_party_id: true, points_balance: 33 }),
      base('big.valid@example.com', { points_balance: 2_000_000_000, points_earned: 2_000_000_000 }),
      // Valid for the tool (below its 1e12 "absurd" bound) but beyond what one Rivo event takes (the sandbox models
      // a 32-bit points_amount): Rivo refuses it, and the customer is `rejected` with Rivo's reason, never silent.
      base('too.big.for.rivo@example.com', { points_balance: 3_000_000_000, points_earned: 3_000_000_000 }),
      base('credit.trailing@example.com', { credit_balance: '12.500' }),
      // One Yotpo customer listed twice (identical email): the later read is kept.
      base('dup.same@example.com', { points_balance: 100, points_earned: 100 }),
      base('dup.same@example.com', { points_balance: 300, points_earned: 300 }),
      // Two records whose emails differ in case: a conflict, the Rivo customer is left alone.
      base('Dup.Case@example.com', { points_balance: 11 }),
      base('dup.case@example.com', { points_balance: 22 }),
    ];
    for (const [, r] of invalid) sb.yotpo.add(r as YotpoRecord);
    for (const r of notObjects) sb.yotpo.add(r as YotpoRecord);
    for (const r of unusual) sb.yotpo.add(r);
    for (const email of ['num.string@example.com', 'zoë.ångström@例え.jp', 'tp.bool@example.com', 'big.valid@example.com', 'credit.trailing@example.com', 'dup.same@example.com', 'dup.case@example.com', 'bad.string@example.com', 'too.big.for.rivo@example.com'])
      sb.rivo.addCustomer({ email, points_tally: 5, credits_tally: '1.0', lifetime_earnings_tally: 5 });
    const tooBig = sb.rivo.customer('too.big.for.rivo@example.com')!;
    // Rivo refuses that one customer's events: for the expectation it is a customer to leave untouched.
    const rivoBefore: RivoCustomerAttributes[] = sb.rivo.customers().filter((c) => c.id !== tooBig.id);
    const want = expectedState(sb.yotpo.customers(), rivoBefore);
    expect(want.records.get('dup.case@example.com')?.kind).toBe('conflict');
    expect(want.records.get('Zoë.Ångström@例え.jp')?.kind).toBe('matched');
    expect(want.records.get('num.string@example.com')?.kind).toBe('matched');

    const ws = track(workspace(sb, { name: 'bad-records' }));
    const r = await runIn(ws, ['migrate'], ['--json']);
    expect(r.code, tail(r)).toBe(3);
    expectExactMigration(sb, want, 'with bad records');
    expect(sb.rivo.customer(tooBig.id)).toEqual(tooBig);

    const rows = readPlanCsv(ws);
    const byKey = new Map(rows.map((row) => [row.yotpo_key!, row] as const));
    const problems: string[] = [];
    for (const [key, , field] of invalid) {
      const row = byKey.get(key);
      if (!row) problems.push(`${key}: no plan.csv row`);
      else if (row.state !== 'invalid' || !row.reason?.includes(field)) problems.push(`${key}: state ${row.state}, reason ${row.reason}`);
    }
    const positional = rows.filter((row) => row.yotpo_key!.startsWith('pos:'));
    expect(positional.map((row) => row.state)).toEqual(notObjects.map(() => 'invalid'));
    for (const row of positional) expect(row.reason).toMatch(/not an object/);
    expect(problems).toEqual([]);
    // Every record read is accounted for: one row per Yotpo customer (the twice-listed one once).
    expect(rows).toHaveLength(want.counts.customers);
    expect(byKey.get('dup.same@example.com')?.yotpo_points_balance).toBe('300');
    expect(byKey.get('too.big.for.rivo@example.com')?.state).toBe('rejected');
    expect(byKey.get('too.big.for.rivo@example.com')?.reason).toMatch(/Rivo.*out of range/);
    expect(byKey.get('Zoë.Ångström@例え.jp')?.state).toBe('migrated');
    expect(byKey.get('Zoë.Ångström@例え.jp')?.first_name).toBe('美咲 🎉');
    const planJson = JSON.parse(readFileSync(join(ws.out, 'plan.json'), 'utf8'));
    expect(planJson.checks).toMatchObject({ customersAddUp: true, pointsAddUp: true, creditsAddUp: true });
    expect(planJson.states.invalid).toBe(want.counts.invalid);
    expect(planJson.states.rejected).toBe(1);
    expect(planJson.states.conflict).toBe(want.counts.conflict);
  }, 90_000);
});

/** A Yotpo stand-in whose answers the test scripts page by page. */
interface ScriptedYotpo {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

async function scriptedYotpo(answer: (path: string, query: URLSearchParams, count: number) => { status: number; type?: string; body: string }): Promise<ScriptedYotpo> {
  const requests: string[] = [];
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const path = u.pathname.replace(/^\/api\/v2/, '');
    const id = `${path}?${u.searchParams.get('page_info') ?? u.searchParams.get('page') ?? ''}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    requests.push(id);
    const a = answer(path, u.searchParams, counts.get(id)!);
    res.writeHead(a.status, { 'content-type': a.type ?? 'application/json' });
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const person = (i: number): YotpoRecord => base(`paged.${i}@example.com`, { third_party_id: String(7_000_000 + i), points_balance: 10 * i, points_earned: 15 * i });
const page = (records: YotpoRecord[], next: string | null) => ({ status: 200, body: JSON.stringify({ customers: records, metadata: { next_page_info: next } }) });

describe('bad Yotpo pages (a scripted server)', () => {
  let sb: Sandbox;
  const people = Array.from({ length: 9 }, (_, i) => person(i + 1));
  beforeAll(async () => {
    sb = await startSandbox({ customers: 0, seed: 5 });
    for (const p of people) sb.rivo.addCustomer({ id: Number(p.third_party_id), email: p.email, points_tally: 1, lifetime_earnings_tally: 1 });
  });
  afterAll(() => sb?.close());

  const fewRetries = { yotpo: { maxRetries: 2, timeoutMs: 2000 } };

  it('retries a malformed JSON page and an HTML page answered 200, and stores a repeated page once', async () => {
    const y = await scriptedYotpo((path, q, n) => {
      if (path !== '/customers/recent') return { status: 404, body: '{"error":"Not Found"}' };
      switch (q.get('page_info')) {
        case null:
          return page(people.slice(0, 3), 'c2');
        case 'c2':
          return n === 1 ? { status: 200, body: '{"customers":[{"email":"paged.4@exa' } : page(people.slice(3, 6), 'c3');
        case 'c3':
          return n === 1 ? { status: 200, type: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' } : page(people.slice(6, 8), 'c4');
        case 'c4':
          return page(people.slice(6, 8), 'c5'); // the previous page again
        case 'c5':
          return page(people.slice(8), null);
        default:
          return { status: 400, body: '{"errors":["page_info is invalid"]}' };
      }
    });
    try {
      const ws = track(workspace(sb, { name: 'pages', config: fewRetries }));
      const r = await runIn(ws, ['migrate'], ['--json', '--yotpo-base-url', y.url]);
      expect(r.code, tail(r)).toBe(0);
      expect(y.requests.filter((id) => id === '/customers/recent?c2')).toHaveLength(2);
      expect(y.requests.filter((id) => id === '/customers/recent?c3')).toHaveLength(2);
      expect(r.json.extract).toMatchObject({ records: 11, repeated: 2, invalid: 0, done: true });
      expectExactMigration(sb, expectedState(people, sb.shop.rivoCustomers.length ? sb.shop.rivoCustomers : rivoOf(people)));
      expect(readPlanCsv(ws)).toHaveLength(9);
    } finally {
      await y.close();
    }
  }, 60_000);

  it('a page that stays malformed stops the run (exit 1, DB intact); once Yotpo answers, the next run resumes and finishes exactly', async () => {
    let broken = true;
    const y = await scriptedYotpo((path, q) => {
      if (path !== '/customers/recent') return { status: 404, body: '{}' };
      const cursor = q.get('page_info');
      if (cursor === null) return page(people.slice(0, 4), 'p2');
      if (cursor === 'p2') return broken ? { status: 200, body: '{"customers": [ {"email": ' } : page(people.slice(4), null);
      return { status: 400, body: '{}' };
    });
    const fresh = await startSandbox({ customers: 0, seed: 6 });
    for (const p of people) fresh.rivo.addCustomer({ id: Number(p.third_party_id), email: p.email, points_tally: 2 });
    try {
      const ws = track(workspace(fresh, { name: 'pages-broken', config: fewRetries }));
      const failed = await runIn(ws, ['migrate'], ['--json', '--yotpo-base-url', y.url]);
      expect(failed.code, tail(failed)).toBe(1);
      expect(failed.stderr).toMatch(/page_info=p2|not JSON|resume/i);
      expect(integrity(ws.db)).toBe('ok');
      expect(duplicateKeys(fresh.rivo.allEvents())).toEqual([]);
      const status = await runIn(ws, ['status'], ['--json']);
      expect(status.json.extraction.done).toBe(false);
      expect(status.json.customers.total).toBe(4);

      broken = false;
      const resumed = await runIn(ws, ['migrate'], ['--json', '--yotpo-base-url', y.url]);
      expect(resumed.code, tail(resumed)).toBe(0);
      expectExactMigration(fresh, expectedState(people, rivoBeforeOf(people, 2)));
    } finally {
      await y.close();
      await fresh.close();
    }
  }, 60_000);

  it('a cursor that repeats an earlier one, or an /all page repeating the previous one, stops the run instead of looping', async () => {
    const y = await scriptedYotpo((path, q) => {
      if (path === '/customers/recent') return q.get('page_info') === null ? page(people.slice(0, 2), 'loop') : page(people.slice(2, 4), 'loop');
      if (path === '/customers/all') return { status: 200, body: JSON.stringify({ customers: people.slice(0, 3), links: {} }) };
      return { status: 404, body: '{}' };
    });
    // A store of its own: the file's shared sandbox was migrated by earlier tests, and a new DB refuses a migrated store.
    const store = await startSandbox({ customers: 0, seed: 8 });
    try {
      const loop = track(workspace(store, { name: 'cursor-loop', config: fewRetries }));
      const a = await runIn(loop, ['migrate'], ['--json', '--yotpo-base-url', y.url]);
      expect(a.code, tail(a)).toBe(1);
      expect(a.stderr).toMatch(/repeats an earlier cursor/);
      expect(y.requests.length).toBeLessThan(20);

      const all = track(workspace(store, { name: 'all-repeat', config: { ...fewRetries, yotpo: { ...fewRetries.yotpo, listEndpoint: 'all' } } }));
      const b = await runIn(all, ['migrate'], ['--json', '--yotpo-base-url', y.url]);
      expect(b.code, tail(b)).toBe(1);
      expect(b.stderr).toMatch(/repeats the previous one/);
      expect(duplicateKeys(store.rivo.allEvents())).toEqual([]);
    } finally {
      await store.close();
      await y.close();
    }
  }, 60_000);
});

function rivoOf(people: YotpoRecord[]): RivoCustomerAttributes[] {
  return rivoBeforeOf(people, 1, 1);
}

function rivoBeforeOf(people: YotpoRecord[], points: number, lifetime: number | null = null): RivoCustomerAttributes[] {
  return people.map((p) => ({
    id: Number(p.third_party_id),
    email: p.email,
    first_name: null,
    last_name: null,
    points_tally: points,
    credits_tally: '0.0',
    lifetime_earnings_tally: lifetime,
    loyalty_status: 'member',
    vip_tier: null,
    dob: null,
    points_expire_at: null,
    referral_code: 'x',
    orders_count: 0,
    total_spent: 0,
  }));
}

describe('bad usage', () => {
  let sb: Sandbox;
  let ws: Workspace;
  beforeAll(async () => {
    sb = await startSandbox({ customers: 30, seed: 41 });
    ws = track(workspace(sb, { name: 'usage' }));
  });
  afterAll(() => sb?.close());

  /** Runs a command expected to be refused before anything is sent. */
  async function refused(args: string[], env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<CliResult> {
    const before = sb.stats();
    const r = await runIn(ws, args, ['--json', ...extra], env);
    expect(r.code, tail(r)).toBe(2);
    const after = sb.stats();
    expect(after.rivo.writes, 'nothing written to Rivo').toBe(before.rivo.writes);
    return r;
  }

  it('missing credentials: exit 2 naming the variable, before any request', async () => {
    const r = await refused(['migrate'], { YOTPO_API_KEY: '' });
    expect(r.stderr).toContain('YOTPO_API_KEY');
    expect(r.stderr).not.toContain('RIVO_API_KEY:');
    const v = await refused(['verify'], { RIVO_API_KEY: '' });
    expect(v.stderr).toContain('RIVO_API_KEY');
    expect(sb.stats().yotpo.requests + sb.stats().rivo.requests).toBe(0);
  });

  it('malformed config JSON, an unknown key, a secret in the config file, bad numbers: exit 2 naming the problem', async () => {
    const bad = join(ws.dir, 'bad.json');
    writeFileSync(bad, '{ "rivo": { "rps": 5, } ');
    expect((await refused(['migrate'], {}, ['--config', bad])).stderr).toMatch(/JSON/);
    writeFileSync(bad, JSON.stringify({ rivo: { rsp: 5 } }));
    expect((await refused(['migrate'], {}, ['--config', bad])).stderr).toMatch(/rsp/);
    writeFileSync(bad, JSON.stringify({ mapping: { strategy: 'everything' } }));
    expect((await refused(['migrate'], {}, ['--config', bad])).stderr).toMatch(/mapping\.strategy/);
    writeFileSync(bad, JSON.stringify({ rivo: { apiKey: 'x' } }));
    expect((await refused(['migrate'], {}, ['--config', bad])).stderr).toMatch(/rivo\.apiKey/);
    expect((await refused(['migrate'], {}, ['--config', join(ws.dir, 'missing.json')])).stderr).toMatch(/not found/i);
    for (const limit of ['-3', '0', 'abc', '2.5']) expect((await refused(['migrate'], {}, ['--limit', limit])).stderr, `--limit ${limit}`).toMatch(/limit/);
    expect((await refused(['migrate'], {}, ['--rivo-rps', '-1'])).stderr).toMatch(/rivo-rps|rps/);
    expect((await refused(['migrate'], {}, ['--rivo-base-url', 'ftp://example.com'])).stderr).toMatch(/baseUrl|http/);
    expect(sb.stats().yotpo.requests + sb.stats().rivo.requests).toBe(0);
    expect(existsSync(ws.db), 'no DB is created by a refused run').toBe(false);
  });

  it('a DB written by a newer schema, a non-SQLite file and another app\'s SQLite file are refused (exit 2) and left byte for byte', async () => {
    // A real migration DB, then marked as written by a newer version.
    const made = await runIn(ws, ['migrate', '--dry-run'], ['--json']);
    expect([0, 3], tail(made)).toContain(made.code);
    const newer = new Database(ws.db);
    newer.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '099_future', '2030-01-01T00:00:00Z')").run();
    newer.pragma('wal_checkpoint(TRUNCATE)');
    newer.close();
    const hash = sha(ws.db);
    for (const cmd of [['migrate'], ['status'], ['verify'], ['rollback', '--yes']]) {
      const r = await refused(cmd);
      expect(r.stderr, cmd.join(' ')).toMatch(/newer/);
    }
    expect(sha(ws.db)).toBe(hash);

    const text = join(ws.dir, 'notes.txt');
    writeFileSync(text, 'this is not a database\n'.repeat(200));
    const textHash = sha(text);
    expect((await refused(['migrate'], {}, ['--db', text])).stderr).toMatch(/notes\.txt/);
    expect(sha(text)).toBe(textHash);
    expect(existsSync(`${text}-wal`)).toBe(false);

    const other = join(ws.dir, 'other-app.sqlite');
    const o = new Database(other);
    o.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders VALUES (1, 9.5);");
    o.close();
    const otherHash = sha(other);
    expect((await refused(['migrate'], {}, ['--db', other])).stderr).toMatch(/not a yotpo-to-rivo migration DB/);
    expect(sha(other)).toBe(otherHash);
  });
});

describe('unwritable places and a reused DB', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ customers: 40, seed: 43 });
  });
  afterAll(() => sb?.close());

  it('an out dir or DB dir that cannot be created: a message naming it, exit 1 or 2, nothing sent', async () => {
    // A shop of its own: this test ends with a complete migration.
    const own = await startSandbox({ customers: 30, seed: 44 });
    try {
      await unwritable(own);
    } finally {
      await own.close();
    }
  }, 60_000);

  async function unwritable(sb: Sandbox): Promise<void> {
    const ws = track(workspace(sb, { name: 'unwritable' }));
    const blocker = join(ws.dir, 'a-file');
    writeFileSync(blocker, 'x');
    const out = await runIn(ws, ['migrate'], ['--json', '--out', join(blocker, 'reports')]);
    expect(out.code, tail(out)).toBe(2);
    expect(out.stderr).toContain(join(blocker, 'reports'));
    const dbDir = await runIn(ws, ['migrate'], ['--json', '--db', join(blocker, 'data', 'm.sqlite')]);
    expect(dbDir.code, tail(dbDir)).toBe(2);
    expect(dbDir.stderr).toContain(join(blocker, 'data'));
    expect(sb.stats().rivo.writes).toBe(0);
    if (existsSync(ws.db)) expect(integrity(ws.db)).toBe('ok');
    // With places it can write to, the same DB finishes the migration exactly.
    const fine = await runIn(ws, ['migrate'], ['--json']);
    const want = expectedState(sb.yotpo.customers(), sb.shop.rivoCustomers);
    expect(fine.code, tail(fine)).toBe(attention(want) > 0 ? 3 : 0);
    expectExactMigration(sb, want, 'after the out dir was fixed');
  }

  // Root ignores permission bits: run as root (as CI does), the CLI is started as `nobody`, who owns the workspace
  // but may not write into the read-only folders, exactly as a merchant's own account would meet them.
  // The checkout must be readable by `nobody` for that (a clone inside a 0700 folder is not): said and skipped then.
  it('a read-only out dir and a read-only DB dir: a clear message, DB intact', async (ctx) => {
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? { uid: 65534, gid: 65534 } : undefined;
    if (user && spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(BIN)})`], user).status !== 0) {
      console.warn(`skipped: user nobody cannot read ${BIN} (a parent folder is not readable by others)`);
      ctx.skip();
    }
    const ws = track(workspace(sb, { name: 'readonly' }));
    const own = (path: string) => {
      if (user) chownSync(path, user.uid, user.gid);
    };
    own(ws.dir);
    own(ws.configPath);
    mkdirSync(ws.out, { mode: 0o500 });
    own(ws.out);
    const r = await runIn(ws, ['migrate'], ['--json'], {}, { user });
    expect([1, 2], tail(r)).toContain(r.code);
    expect(r.stderr).toContain(ws.out);
    expect(r.stderr).toMatch(/EACCES|cannot write/i);
    expect(sb.stats().rivo.writes).toBe(0);
    if (existsSync(ws.db)) expect(integrity(ws.db)).toBe('ok');
    chmodSync(ws.out, 0o700);

    const roDir = join(ws.dir, 'ro');
    mkdirSync(roDir, { mode: 0o500 });
    own(roDir);
    const d = await runIn(ws, ['migrate'], ['--json', '--db', join(roDir, 'm.sqlite')], {}, { user });
    expect([1, 2], tail(d)).toContain(d.code);
    expect(d.stderr).toContain(roDir);
    expect(existsSync(join(roDir, 'm.sqlite'))).toBe(false);
    expect(sb.stats().rivo.writes).toBe(0);
    chmodSync(roDir, 0o700);
  });

  it('a report that cannot be written at the end: exit 1, DB intact, the re-run finishes without sending anything twice; a different migrationName on the same DB sends nothing again', async () => {
    const ws = track(workspace(sb, { name: 'report-fails' }));
    // plan.csv cannot be replaced by a file: the report fails after the points were loaded.
    mkdirSync(join(ws.out, 'plan.csv', 'occupied'), { recursive: true });
    const failed = await runIn(ws, ['migrate'], ['--json']);
    expect(failed.code, tail(failed)).toBe(1);
    expect(failed.stderr).toContain('plan.csv');
    expect(failed.stderr).toMatch(/intact|run .* again/i);
    expect(integrity(ws.db)).toBe('ok');
    const want = expectedState(sb.yotpo.customers(), sb.shop.rivoCustomers);
    expect(duplicateKeys(sb.rivo.allEvents())).toEqual([]);

    rmSync(join(ws.out, 'plan.csv'), { recursive: true, force: true });
    const again = await runIn(ws, ['migrate'], ['--json']);
    expect(again.code, tail(again)).toBe(attention(want) > 0 ? 3 : 0);
    expectExactMigration(sb, want, 'after the report could be written');

    // The same DB under another migrationName: the ledger is the DB's, so nothing is owed and nothing is sent.
    const renamed = join(ws.dir, 'renamed.json');
    writeFileSync(renamed, JSON.stringify({ migrationName: 'another-name', rivo: { settleDelayMs: 50 } }));
    const events = sb.rivo.allEvents().length;
    const r = await runIn(ws, ['migrate'], ['--json', '--config', renamed]);
    expect([0, 2, 3], tail(r)).toContain(r.code);
    expect(sb.rivo.allEvents().length).toBe(events);
    expectExactMigration(sb, want, 'after a run under another migrationName');
    if (r.code !== 2) {
      // Accepted: it is the same migration (its id lives in the DB). A later delta is then sent once, under the
      // new name's keys, and verify still accounts for every key.
      const someone = [...want.records.values()].find((o) => o.kind === 'matched' && !sb.shop.cases[o.key])!;
      sb.yotpo.update(someone.key, { points_balance: 4321, points_earned: 99_999 });
      const delta = await runIn(ws, ['migrate'], ['--json', '--config', renamed]);
      expect(delta.code, tail(delta)).toBe(attention(want) > 0 ? 3 : 0);
      expectExactMigration(sb, expectedState(sb.yotpo.customers(), sb.shop.rivoCustomers), 'after a delta under another migrationName');
      const v = await runIn(ws, ['verify'], ['--json', '--config', renamed]);
      expect(v.json.outcomes, tail(v)).toMatchObject({ mismatch: 0, missing: 0 });
      expect(v.json.duplicates).toBe(0);
      expect(v.json.keysFound).toBe(v.json.keysExpected);
    }
  }, 90_000);
});

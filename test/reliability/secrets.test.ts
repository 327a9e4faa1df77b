import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, startCli, tail, workspace, type CliResult, type Workspace } from '../e2e/cli.js';
import { expectedFor, expectExactMigration } from '../e2e/expect.js';

/**
 * Credentials come from the environment and are never written anywhere: not to stdout or stderr (human or --json),
 * not to the reports or the log, not to the migration DB or its WAL, whatever happens (success, retries, wrong key,
 * unreachable host, a server that echoes the credential back in its error body).
 */

const SECRETS = {
  YOTPO_GUID: 'sk_live_SECRET_y2r_guid_7d1c9e4b2a',
  YOTPO_API_KEY: 'sk_live_SECRET_y2r_yotpo_5f0a8b3c6d',
  RIVO_API_KEY: 'sk_live_SECRET_y2r_rivo_2e9d4c7a1b',
};
const WRONG_RIVO_KEY = 'sk_live_SECRET_y2r_WRONG_rivo_88aa77bb';

/** A secret and the forms it could be written in (URL-encoded, base64, hex). */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), secret.slice(8)];
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Where each secret was found: `[]` when nowhere. */
function leaks(texts: { where: string; bytes: Buffer | string }[], secrets: string[]): string[] {
  const found: string[] = [];
  for (const { where, bytes } of texts) {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    // UTF-16 too: SQLite may store text that way.
    for (const s of secrets) for (const f of forms(s)) if (buf.includes(f) || buf.includes(Buffer.from(f, 'utf16le'))) found.push(`${where}: ${f}`);
  }
  return found;
}

let sb: Sandbox;
let ws: Workspace;
const outputs: { where: string; bytes: string }[] = [];
const keep = (label: string, r: CliResult) => {
  outputs.push({ where: `${label} stdout`, bytes: r.stdout }, { where: `${label} stderr`, bytes: r.stderr });
  return r;
};

beforeAll(async () => {
  ensureBuilt();
  sb = await startSandbox({
    customers: 70,
    seed: 31,
    credentials: { yotpoGuid: SECRETS.YOTPO_GUID, yotpoApiKey: SECRETS.YOTPO_API_KEY, rivoApiKey: SECRETS.RIVO_API_KEY },
    // Faults make the tool print and store error summaries: the paths a leak would take.
    faults: { error5xx: 0.05, reset: 0.02, lostAnswer: 0.03, htmlError: 0.02 },
  });
  ws = workspace(sb, { name: 'secrets', config: { rivo: { settleDelayMs: 20, timeoutMs: 2000 } } });
  expect(ws.env).toEqual(SECRETS);
}, 180_000);

afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

describe('secrets never leave the environment', () => {
  it('are absent from every output, report, log and DB byte across runs, failures and a crash', async () => {
    // A migration killed mid-run leaves its WAL behind: those bytes are searched too.
    const killed = startCli(['migrate', ...ws.args], { env: ws.env, cwd: ws.dir });
    await new Promise((r) => setTimeout(r, 1500));
    killed.child.kill('SIGKILL');
    keep('killed migrate', await killed.done);
    const walWhileCrashed = existsSync(`${ws.db}-wal`) ? readFileSync(`${ws.db}-wal`) : Buffer.alloc(0);

    let migrate: CliResult | undefined;
    for (let i = 0; i < 4 && (migrate === undefined || migrate.code === 1); i++) migrate = keep('migrate --json', await runIn(ws, ['migrate'], ['--json']));
    expect([0, 3], tail(migrate!)).toContain(migrate!.code);
    expectExactMigration(sb, expectedFor(sb));
    keep('migrate (human)', await runIn(ws, ['migrate']));
    keep('verify', await runIn(ws, ['verify']));
    keep('verify --json', await runIn(ws, ['verify'], ['--json']));
    keep('status', await runIn(ws, ['status']));
    keep('status --json', await runIn(ws, ['status'], ['--json']));
    keep('rollback preview', await runIn(ws, ['rollback'], ['--json']));
    keep('check', await runIn(ws, ['check'], ['--json']));

    const wrong = keep('verify with a wrong key', await runIn(ws, ['verify'], ['--json'], { RIVO_API_KEY: WRONG_RIVO_KEY }));
    expect(wrong.code, tail(wrong)).toBe(2);
    const wrongMigrate = keep('migrate with a wrong key', await runIn(ws, ['migrate'], ['--json'], { RIVO_API_KEY: WRONG_RIVO_KEY }));
    expect(wrongMigrate.code, tail(wrongMigrate)).toBe(2);
    expect(wrongMigrate.stderr).toMatch(/credential|401|unauthori/i);

    // Nothing listens on port 9 (discard) of 127.0.0.1 here: the run fails (exit 1) after its (few) retries.
    const fewRetries = join(ws.dir, 'few-retries.json');
    writeFileSync(fewRetries, JSON.stringify({ rivo: { maxRetries: 1, timeoutMs: 1000 }, yotpo: { maxRetries: 1 } }));
    const unreachable = keep(
      'migrate, Rivo unreachable',
      await runIn(ws, ['migrate'], ['--json', '--config', fewRetries, '--rivo-base-url', 'http://127.0.0.1:9/merchant_api/v1'], { YOTPO_TO_RIVO_DEBUG: '1' }),
    );
    expect(unreachable.code, tail(unreachable)).toBe(1);

    const files = filesUnder(ws.dir).map((f) => ({ where: f, bytes: readFileSync(f) }));
    expect(files.map((f) => f.where)).toEqual(expect.arrayContaining([ws.db, join(ws.out, 'plan.csv'), join(ws.out, 'report.html'), join(ws.out, 'verify.json')]));
    expect(files.some((f) => f.where.endsWith('.log')), 'a log file in the out dir').toBe(true);
    const all = [...outputs, ...files, { where: 'WAL after the crash', bytes: walWhileCrashed }];
    expect(leaks(all, [...Object.values(SECRETS), WRONG_RIVO_KEY])).toEqual([]);
  }, 180_000);

  it('are not echoed when a server quotes the credential back in its error answers', async () => {
    // A Rivo that refuses the key and quotes it, and a Yotpo that fails with the key in a 500 page.
    const echo = http.createServer((req, res) => {
      const got = `${String(req.headers.authorization ?? '')} ${String(req.headers['x-api-key'] ?? '')} ${String(req.headers['x-guid'] ?? '')}`;
      const isRivo = req.url?.startsWith('/rivo');
      res.writeHead(isRivo ? 401 : 500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `Invalid credentials: ${got}` }));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const port = (echo.address() as AddressInfo).port;
    const echoWs = workspace(sb, { name: 'secrets-echo', config: { yotpo: { maxRetries: 1 }, rivo: { maxRetries: 1 } } });
    try {
      const results: CliResult[] = [];
      results.push(await runIn(echoWs, ['migrate'], ['--json', '--rivo-base-url', `http://127.0.0.1:${port}/rivo`]));
      results.push(await runIn(echoWs, ['migrate'], ['--json', '--yotpo-base-url', `http://127.0.0.1:${port}/yotpo`]));
      results.push(await runIn(echoWs, ['check'], ['--json', '--yotpo-base-url', `http://127.0.0.1:${port}/yotpo`, '--rivo-base-url', `http://127.0.0.1:${port}/rivo`]));
      for (const r of results) expect([1, 2], tail(r)).toContain(r.code);
      const texts = [
        ...results.flatMap((r, i) => [
          { where: `echo run ${i} stdout`, bytes: r.stdout },
          { where: `echo run ${i} stderr`, bytes: r.stderr },
        ]),
        ...filesUnder(echoWs.dir).map((f) => ({ where: f, bytes: readFileSync(f) })),
      ];
      expect(leaks(texts, Object.values(SECRETS))).toEqual([]);
    } finally {
      await new Promise((r) => echo.close(r));
      echo.closeAllConnections();
      removeWorkspace(echoWs);
    }
  }, 120_000);
});

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { BIN, ensureBuilt, removeWorkspace, runCli, runIn, tail, workspace, type Workspace } from '../e2e/cli.js';
import { hasChromium, renderedDom } from '../support/chromium.js';

/**
 * What a person keeps and redirects: answers on stdout (`status > status.txt`), one folder per run with the latest
 * reports still where they always were, a report rebuilt offline, one customer's story, the ledger as CSV, a log
 * masked by --redact, and the version.
 */

let sb: Sandbox;
let ws: Workspace;
const runsDir = () => join(ws.out, 'runs');
const runFolders = () => (existsSync(runsDir()) ? readdirSync(runsDir()).sort() : []);

beforeAll(async () => {
  ensureBuilt();
  sb = await startSandbox({ customers: 40, seed: 21 });
  ws = workspace(sb, { name: 'runs' });
}, 180_000);

afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

describe('answers on stdout, reports kept per run', () => {
  it('dry run, then migrate: two run folders, the latest files in place, report.html linking the earlier run', async () => {
    const dry = await runIn(ws, ['migrate', '--dry-run']);
    expect([0, 3], tail(dry)).toContain(dry.code);
    expect(dry.stderr).toMatch(/Pre-flight checklist/);
    expect(dry.stderr).toMatch(/points_event\/created/);
    const afterDry = runFolders();
    expect(afterDry).toHaveLength(1);
    expect(afterDry[0]).toMatch(/^\d{8}T\d{6}Z-migrate-dry-run-\d+$/);
    const dryPlan = readFileSync(join(runsDir(), afterDry[0]!, 'plan.csv'), 'utf8');
    expect(readFileSync(join(ws.out, 'plan.csv'), 'utf8')).toBe(dryPlan);

    const real = await runIn(ws, ['migrate']); // stdin is not a terminal: no question, as before
    expect([0, 3], tail(real)).toContain(real.code);
    const folders = runFolders();
    expect(folders).toHaveLength(2);
    const latest = folders.find((f) => f !== afterDry[0])!;
    expect(latest).toMatch(/-migrate-\d+$/);
    // The dry run's proof of the "before" is intact; the latest files are the real run's.
    expect(readFileSync(join(runsDir(), afterDry[0]!, 'plan.csv'), 'utf8')).toBe(dryPlan);
    for (const f of ['plan.csv', 'plan.json', 'verify.csv', 'verify.json', 'report.html']) {
      expect(existsSync(join(ws.out, f)), f).toBe(true);
      expect(existsSync(join(runsDir(), latest, f)), `runs/${latest}/${f}`).toBe(true);
      expect(statSync(join(ws.out, f)).mode & 0o077, `${f} is owner-only`).toBe(0);
    }
    expect(readFileSync(join(ws.out, 'verify.csv'), 'utf8')).toBe(readFileSync(join(runsDir(), latest, 'verify.csv'), 'utf8'));
    expect(readFileSync(join(ws.out, 'plan.csv'), 'utf8')).not.toBe(dryPlan); // states moved on: migrated

    const top = readFileSync(join(ws.out, 'report.html'), 'utf8');
    expect(top).toContain(`href="runs/${afterDry[0]}/report.html"`);
    expect(top).toContain(`href="runs/${latest}/report.html"`);
    expect(top).toMatch(/Pre-flight checklist/);
    const inRun = readFileSync(join(runsDir(), latest, 'report.html'), 'utf8');
    expect(inRun).toContain(`href="../${afterDry[0]}/report.html"`);
    expect(inRun).toContain('href="../../report.html"');
  }, 120_000);

  it('status, verify and check answer on stdout (a redirect holds them); --json prints one JSON object there', async () => {
    const status = await runIn(ws, ['status']);
    expect(status.stdout).toMatch(/^Migration \S+ {2}\(/);
    expect(status.stdout).toMatch(/Customers: 40/);
    expect(status.stderr).toBe('');

    const verify = await runIn(ws, ['verify']);
    expect(verify.stdout, tail(verify)).toMatch(/Verified \d+ customers against Rivo/);
    expect(verify.stderr).not.toMatch(/Verified \d+ customers/);

    const check = await runIn(ws, ['check']);
    expect(check.code, tail(check)).toBe(0);
    expect(check.stdout).toMatch(/^yotpo: ok: answers .*\nrivo: ok: answers /);

    for (const cmd of ['status', 'verify', 'check']) {
      const r = await runIn(ws, [cmd], ['--json']);
      const lines = r.stdout.trim().split('\n');
      expect(lines, `${cmd} --json: ${r.stdout}`).toHaveLength(1);
      expect(JSON.parse(lines[0]!).command).toBe(cmd);
    }

    // `status > file`: through a real shell redirect.
    const file = join(ws.dir, 'status.txt');
    const sh = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${BIN}" status --db "${ws.db}" > "${file}"`], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect([0, 3], sh.stderr).toContain(sh.status); // 3: the sandbox shop has customers that need attention
    expect(readFileSync(file, 'utf8')).toMatch(/Customers: 40[\s\S]*Next:/);
  }, 120_000);

  it('report rebuilds the reports offline (no credentials, no network), --redact masks them and the log', async () => {
    const before = runFolders().length;
    // No credentials and base URLs that nothing answers: the rebuild must not need them.
    const r = await runCli(['report', '--db', ws.db, '--out', ws.out, '--redact', '--rivo-base-url', 'http://127.0.0.1:9/none'], { cwd: ws.dir });
    expect(r.code, tail(r)).toBe(0);
    expect(runFolders()).toHaveLength(before + 1);
    const html = readFileSync(join(ws.out, 'report.html'), 'utf8');
    expect(html).toMatch(/emails and names redacted/);
    expect(html).not.toMatch(/[a-z]{2,}\.[a-z]+\d*@/); // no whole local part of an email left
    const plan = readFileSync(join(ws.out, 'plan.csv'), 'utf8');
    expect(plan).toMatch(/\*\*\*@/);

    // --redact masks the log too: run something that logs customer keys (emails) with --redact.
    const verify = await runIn(ws, ['verify'], ['--redact']);
    expect([0, 3]).toContain(verify.code);
    const log = readFileSync(join(ws.out, 'yotpo-to-rivo.log'), 'utf8').trim().split('\n');
    const redactedLines = log.filter((l) => JSON.parse(l).command === 'verify').slice(-5);
    expect(redactedLines.length).toBeGreaterThan(0);
    const emails = sb.shop.yotpoCustomers.map((c) => c.email.trim().toLowerCase());
    const lastRun = log.slice(log.findLastIndex((l) => JSON.parse(l).msg === 'start'));
    for (const line of lastRun) for (const e of emails) expect(line.toLowerCase(), 'an email in the --redact log').not.toContain(e);
  }, 120_000);

  it('show: one customer’s story on stdout; export --ledger: the events as CSV, safe for spreadsheets', async () => {
    const someone = sb.shop.yotpoCustomers.find((c) => c.third_party_id && Number(c.points_balance) > 0 && !sb.shop.cases[c.email])!;
    const shown = await runIn(ws, ['show', someone.email.toUpperCase()]);
    expect(shown.code, tail(shown)).toBe(0);
    expect(shown.stdout).toContain(`Shopify id ${someone.third_party_id}`);
    expect(shown.stdout).toMatch(/Identity {5}migrated/);
    expect(shown.stdout).toMatch(/y2r:\S+ +points\/\S+ gen 0 +\d+ pts, [\d.]+ credit +DONE · rivo event \S+/);
    expect(shown.stdout).toMatch(/Verification match at /);
    const byId = await runIn(ws, ['show', String(someone.third_party_id)], ['--json']);
    const j = byId.json;
    expect(j.customers).toHaveLength(1);
    expect(j.customers[0].yotpo.pointsBalance).toBe(Number(someone.points_balance));
    expect(j.customers[0].events.length).toBeGreaterThan(0);
    for (const e of j.customers[0].events) expect(e).toMatchObject({ key: expect.stringMatching(/^y2r:/), status: 'done' });
    const missing = await runIn(ws, ['show', 'nobody@nowhere.example']);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toMatch(/No customer nobody@nowhere\.example/);

    const csvPath = join(ws.dir, 'ledger.csv');
    const ex = await runIn(ws, ['export', '--ledger', csvPath]);
    expect(ex.code, tail(ex)).toBe(0);
    const rows = parse(readFileSync(csvPath, 'utf8'), { columns: true }) as Record<string, string>[];
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(ws.db, { readonly: true });
    const count = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const sample = db.prepare("SELECT e.key, e.status, e.rivo_event_id, c.email FROM events e JOIN customers c ON c.key = e.customer_key WHERE e.status = 'done' LIMIT 1").get() as {
      key: string; status: string; rivo_event_id: string; email: string;
    };
    db.close();
    expect(rows).toHaveLength(count);
    expect(rows.find((r) => r.event_key === sample.key)).toMatchObject({ status: 'done', rivo_event_id: sample.rivo_event_id ?? '', email: sample.email });
    expect(statSync(csvPath).mode & 0o077).toBe(0);
  }, 120_000);

  it('--version prints this package’s version', async () => {
    const r = await runCli(['--version']);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(BIN, '..', '..', '..', '..', 'package.json'), 'utf8')).version);
  });

  it.skipIf(!hasChromium)('the latest report with its runs and checklist renders in Chromium', () => {
    const dom = renderedDom(join(ws.out, 'report.html'));
    expect(dom).toMatch(/<h2>Runs<\/h2>/);
    expect(dom).toMatch(/Pre-flight checklist/);
    expect(dom).toMatch(/<a href="runs\/[^"]+\/report.html">/);
  }, 120_000);
});

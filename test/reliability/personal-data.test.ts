import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runCli, runIn, startCli, tail, withFlags, workspace, type Workspace } from '../e2e/cli.js';

/**
 * Issue 7, personal data: the DB and every report and log file are owner-only (0600) and the directories the tool
 * creates are 0700, even under a permissive umask; `--redact` masks emails (and names) in plan.csv, verify.csv and
 * report.html.
 */

let sb: Sandbox;
const workspaces: Workspace[] = [];
const sandboxes: Sandbox[] = [];

beforeAll(() => ensureBuilt(), 180_000);

// Each test migrates its own store (the same seeded shop): a second DB against a migrated store is refused (issue 11).
beforeEach(async () => {
  sb = await startSandbox({ customers: 50, seed: 17 });
  sandboxes.push(sb);
}, 60_000);

afterAll(async () => {
  for (const s of sandboxes) await s.close();
  for (const ws of workspaces) removeWorkspace(ws);
});

async function waitFor(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const mode = (p: string) => statSync(p).mode & 0o777;
const octal = (m: number) => `0${m.toString(8)}`;

/** Every Yotpo email as a customer would recognise it (trimmed, lower-cased). */
function emails(): string[] {
  return sb.yotpo
    .customers()
    .map((r) => r.email.trim().toLowerCase())
    .filter((e) => e.includes('@'));
}

describe('personal data on disk', () => {
  for (const umask of ['022', '000']) {
    it(`creates the DB 0600, its directory 0700, the out dir 0700 and every report 0600 (umask ${umask})`, async () => {
      const ws = workspace(sb, { name: `modes-${umask}` });
      workspaces.push(ws);
      // Both directories are new: the tool creates them.
      const db = join(ws.dir, 'data', 'migration.sqlite');
      const out = join(ws.dir, 'private', 'reports');
      const args = withFlags(ws.args, ['--db', db, '--out', out]);
      // A run killed mid-way leaves the DB's -wal and -shm files: they hold the same personal data.
      const crashed = startCli(['migrate', ...args], { env: ws.env, cwd: ws.dir, umask });
      await waitFor(() => existsSync(`${db}-wal`));
      await new Promise((r) => setTimeout(r, 300));
      crashed.child.kill('SIGKILL');
      await crashed.done;
      const walModes = [`${db}-wal`, `${db}-shm`].filter(existsSync).map((p) => `${p}: ${octal(mode(p))}`);
      expect(walModes.length).toBeGreaterThan(0);
      expect(walModes.filter((m) => !m.endsWith(': 0600'))).toEqual([]);

      const migrated = await runCli(['migrate', ...args, '--json'], { env: ws.env, cwd: ws.dir, umask });
      expect([0, 3], tail(migrated)).toContain(migrated.code);
      const verified = await runCli(['verify', ...args, '--json'], { env: ws.env, cwd: ws.dir, umask });
      expect([0, 3], tail(verified)).toContain(verified.code);

      const bad: string[] = [];
      const want = (p: string, m: number) => {
        if (existsSync(p) && mode(p) !== m) bad.push(`${p}: ${octal(mode(p))}, expected ${octal(m)}`);
      };
      expect(existsSync(db)).toBe(true);
      want(db, 0o600);
      want(`${db}-wal`, 0o600);
      want(`${db}-shm`, 0o600);
      want(join(ws.dir, 'data'), 0o700);
      want(out, 0o700);
      const files = readdirSync(out);
      expect(files).toEqual(expect.arrayContaining(['plan.csv', 'plan.json', 'report.html', 'verify.csv', 'verify.json']));
      expect(files.some((f) => f.endsWith('.log'))).toBe(true);
      // Each run's own copy sits in runs/<run-id>/: those folders are owner-only too, and every file in them.
      expect(files).toContain('runs');
      const walk = (dir: string) => {
        for (const f of readdirSync(dir, { withFileTypes: true })) {
          const p = join(dir, f.name);
          if (f.isDirectory()) {
            want(p, 0o700);
            walk(p);
          } else want(p, 0o600);
        }
      };
      walk(out);
      expect(readdirSync(join(out, 'runs')).length).toBeGreaterThanOrEqual(2); // migrate and verify each kept theirs
      expect(bad).toEqual([]);
    }, 60_000);
  }

  it('--redact masks every email in plan.csv, verify.csv and report.html', async () => {
    const ws = workspace(sb, { name: 'redact' });
    workspaces.push(ws);
    const migrated = await runIn(ws, ['migrate'], ['--json', '--redact']);
    expect([0, 3], tail(migrated)).toContain(migrated.code);
    const verified = await runIn(ws, ['verify'], ['--json', '--redact']);
    expect([0, 3], tail(verified)).toContain(verified.code);

    const all = emails();
    expect(all.length).toBeGreaterThan(40);
    const found: string[] = [];
    for (const f of ['plan.csv', 'verify.csv', 'report.html', 'plan.json', 'verify.json']) {
      const text = readFileSync(join(ws.out, f), 'utf8').toLowerCase();
      for (const e of all) {
        if (text.includes(e)) found.push(`${f}: ${e}`);
        // The local part alone is personal too (it is the customer's name here).
        const local = e.split('@')[0]!;
        if (local.length > 6 && text.includes(local)) found.push(`${f}: local part of ${e}`);
      }
    }
    expect(found).toEqual([]);
    // Masked, not dropped: each plan.csv row still shows a masked email and initials.
    const rows = parse(readFileSync(join(ws.out, 'plan.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(all.length);
    for (const r of rows) {
      expect(r.email).toMatch(/^.\*\*\*@[^@]+$/u);
      if (r.first_name) expect(r.first_name).toMatch(/^.\.$/u);
      if (r.last_name) expect(r.last_name).toMatch(/^(.\.)( .\.)*$/u);
    }
    expect(readFileSync(join(ws.out, 'report.html'), 'utf8')).toMatch(/\*\*\*@/);

    // Without --redact the same reports do show the emails (the check above can fail).
    const plain = await runIn(ws, ['verify'], ['--json']);
    expect([0, 3], tail(plain)).toContain(plain.code);
    const html = readFileSync(join(ws.out, 'report.html'), 'utf8').toLowerCase();
    expect(all.some((e) => html.includes(e))).toBe(true);
  }, 60_000);
});

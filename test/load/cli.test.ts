import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as cli } from '../../src/cli/main.js';
import { openDb } from '../../src/db/open.js';
import { expectMigratedExactly, harness, MIGRATION_NAME, population, type Harness } from './harness.js';

let h: Harness | undefined;
let stdout: string[] = [];
let stderr: string[] = [];

beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    stderr.push(args.join(' '));
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await h?.close();
  h = undefined;
});

/** The CLI as a user runs it: a config file for the Rivo settings, credentials in the environment. */
async function command(x: Harness, ...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  const configPath = join(dirname(x.dbPath), 'config.json');
  writeFileSync(configPath, JSON.stringify({ migrationName: MIGRATION_NAME, rivo: { rps: 200, settleDelayMs: 10, concurrency: 4 } }));
  vi.stubEnv('YOTPO_GUID', 'g');
  vi.stubEnv('YOTPO_API_KEY', 'y');
  vi.stubEnv('RIVO_API_KEY', x.sb.credentials.rivoApiKey);
  vi.stubEnv('RIVO_BASE_URL', '');
  vi.stubEnv('MIGRATION_DB', '');
  stdout = [];
  const code = await cli([...args, '--db', x.dbPath, '--out', join(dirname(x.dbPath), 'out'), '--config', configPath, '--rivo-base-url', x.sb.rivoUrl, '--json']);
  const line = stdout.join('').trim().split('\n').at(-1) ?? '{}';
  return { code, json: JSON.parse(line) as Record<string, unknown> };
}

describe('CLI load and rollback', () => {
  it('load exits 0 with a JSON summary; rollback without --yes exits 2 and sends nothing; with --yes it rolls back', async () => {
    h = await harness(population(6));
    h.db.close(); // the command opens its own handle, as a separate process would
    const loaded = await command(h, 'load');
    expect(loaded.code, stderr.join('\n')).toBe(0);
    expect(loaded.json).toMatchObject({ command: 'load', exitCode: 0, outcome: 'done' });
    expect(stderr.join('\n')).toMatch(/load finished/);
    expectMigratedExactly(h);

    const writes = h.sb.stats().rivo.writes;
    const asked = await command(h, 'rollback');
    expect(asked.code).toBe(2);
    expect(asked.json).toMatchObject({ command: 'rollback', exitCode: 2, sent: false, preview: { customers: 6 } });
    expect(stderr.join('\n')).toMatch(/Nothing was sent/);
    expect(h.sb.stats().rivo.writes).toBe(writes);

    const done = await command(h, 'rollback', '--yes');
    expect(done.code, stderr.join('\n')).toBe(0);
    expect(done.json).toMatchObject({ command: 'rollback', sent: true, outcome: 'done' });
    for (const c of h.customers) expect(h.sb.rivo.customer(c.rivoId)!.points_tally).toBe(c.before.points_tally);
    h.db = openDb(h.dbPath); // for close()
    // Each writing run is recorded (the preview is not: it wrote nothing).
    expect(h.db.prepare('SELECT command, outcome FROM runs ORDER BY id').all()).toEqual([
      { command: 'load', outcome: 'ok' },
      { command: 'rollback', outcome: 'ok' },
    ]);
  });

  it('load exits 3 when a customer is refused, and never prints the API key', async () => {
    const specs = population(3);
    specs[0] = { points: 0, balance: 0, lifetimeEarned: 0, credit: -100 };
    h = await harness(specs);
    h.db.close();
    const r = await command(h, 'load');
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ outcome: 'attention' });
    expect(stderr.join('\n')).toMatch(/refused by Rivo/);
    const outDir = join(dirname(h.dbPath), 'out');
    const logs = readdirSync(outDir).map((f) => readFileSync(join(outDir, f), 'utf8'));
    expect(logs.length).toBeGreaterThan(0);
    expect([...logs, ...stderr, ...stdout].join('\n')).not.toContain(h.sb.credentials.rivoApiKey);
    h.db = openDb(h.dbPath);
  });

  it('load refuses a missing DB (exit 2) before sending anything', async () => {
    h = await harness([]);
    const missing = join(dirname(h.dbPath), 'nope.sqlite');
    vi.stubEnv('YOTPO_GUID', 'g');
    vi.stubEnv('YOTPO_API_KEY', 'y');
    vi.stubEnv('RIVO_API_KEY', h.sb.credentials.rivoApiKey);
    const code = await cli(['load', '--db', missing, '--out', join(dirname(h.dbPath), 'out'), '--rivo-base-url', h.sb.rivoUrl]);
    expect(code).toBe(2);
    expect(stderr.join('\n')).toMatch(/No migration DB/);
    expect(h.sb.stats().rivo.requests).toBe(0);
  });
});

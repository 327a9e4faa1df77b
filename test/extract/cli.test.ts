import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runExtract } from '../../src/cli/commands/extract.js';
import type { CommonArgs } from '../../src/cli/context.js';
import { openDb } from '../../src/db/open.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { asCliError, ConfigError } from '../support/exit-codes.js';
import { API_KEY, GUID, tmpDir } from './helpers.js';

const RIVO_KEY = 'rivokey-LEAKCHECK-77aa01';

let sb: Sandbox | undefined;
afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

function capture() {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

function args(extra: Partial<CommonArgs>): CommonArgs {
  return { json: false, ...extra };
}

const env = { YOTPO_GUID: GUID, YOTPO_API_KEY: API_KEY, RIVO_API_KEY: RIVO_KEY };

describe('yotpo-to-rivo extract', () => {
  it('extracts, prints progress and a summary on stderr, exits 3 when invalid records were read, releases the lock', async () => {
    sb = await startSandbox({ customers: 250, seed: 5, awkward: 0.3, credentials: { yotpoGuid: GUID, yotpoApiKey: API_KEY } });
    const dir = tmpDir('cli');
    const db = join(dir, 'm.sqlite');
    const err = capture();
    const result = await runExtract(args({ db, yotpoBaseUrl: sb.yotpoUrl, yotpoRpm: 6000 }), { stderr: err.stream, env, cwd: dir });
    expect(result.exitCode).toBe(3);
    expect(result.summary).toMatchObject({ records: 250, added: 250, done: true });
    expect(result.summary.invalid).toBeGreaterThan(0);
    expect(result.summary.invalidInDb).toBe(result.summary.invalid);
    const out = err.text();
    expect(out).toContain('Reading customers from Yotpo at up to 6000 requests per minute');
    expect(out).toMatch(/Yotpo \/customers\/recent: 250 records on \d+ pages \(250 new, 0 changed, 0 unchanged\)/);
    expect(out).toMatch(/invalid: customer ".*": points_balance: /);
    expect(out).toContain('need attention');
    for (const secret of [GUID, API_KEY, RIVO_KEY]) expect(out).not.toContain(secret);
    const check = openDb(db);
    expect(check.prepare('SELECT count(*) FROM lock').pluck().get()).toBe(0);
    expect(check.prepare('SELECT count(*) FROM customers').pluck().get()).toBe(250);
    check.close();
  });

  it('exits 0 on a clean shop, and 2 with a clear message when the CSV lacks required columns', async () => {
    sb = await startSandbox({ customers: 40, seed: 6, awkward: 0, credentials: { yotpoGuid: GUID, yotpoApiKey: API_KEY } });
    const dir = tmpDir('cli2');
    const db = join(dir, 'm.sqlite');
    const ok = await runExtract(args({ db, yotpoBaseUrl: sb.yotpoUrl, yotpoRpm: 6000 }), { stderr: capture().stream, env, cwd: dir });
    expect(ok.exitCode).toBe(0);

    const csv = join(dir, 'export.csv');
    writeFileSync(csv, 'Mail,Points\na@example.com,1\n');
    const err = await runExtract(args({ db, fromCsv: 'export.csv' }), { stderr: capture().stream, env: {}, cwd: dir }).catch(asCliError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as Error).message).toContain('headers found: "Mail", "Points"');
  });

  it('reads a CSV without any credentials', async () => {
    const dir = tmpDir('cli3');
    writeFileSync(join(dir, 'export.csv'), 'Email,Points Balance,Points Earned\na@example.com,10,20\nb@example.com,5,5\n');
    const err = capture();
    const result = await runExtract(args({ db: join(dir, 'm.sqlite'), fromCsv: 'export.csv' }), { stderr: err.stream, env: {}, cwd: dir });
    expect(result).toMatchObject({ exitCode: 0, summary: { records: 2, requests: 0, done: true } });
    expect(err.text()).toContain(`CSV file ${join(dir, 'export.csv')}: 2 records on 1 page`);
  });

  it('stops cleanly when asked to, exit 1, and the next run resumes', async () => {
    sb = await startSandbox({ customers: 300, seed: 8, awkward: 0, credentials: { yotpoGuid: GUID, yotpoApiKey: API_KEY } });
    const dir = tmpDir('cli4');
    const db = join(dir, 'm.sqlite');
    const stop = new AbortController();
    stop.abort();
    const first = await runExtract(args({ db, yotpoBaseUrl: sb.yotpoUrl, yotpoRpm: 6000 }), { stderr: capture().stream, env, cwd: dir, signal: stop.signal });
    expect(first.exitCode).toBe(1);
    expect(first.summary).toMatchObject({ stoppedBy: 'abort', records: 0 });
    const second = await runExtract(args({ db, yotpoBaseUrl: sb.yotpoUrl, yotpoRpm: 6000, limit: 120 }), { stderr: capture().stream, env, cwd: dir });
    expect(second).toMatchObject({ exitCode: 0, summary: { stoppedBy: 'limit', records: 200 } }); // whole pages of 100
    const third = await runExtract(args({ db, yotpoBaseUrl: sb.yotpoUrl, yotpoRpm: 6000 }), { stderr: capture().stream, env, cwd: dir });
    expect(third).toMatchObject({ exitCode: 0, summary: { records: 100, added: 100, done: true } });
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { loadConfig } from '../../src/config/load.js';
import { migrationId, openDb, type Db } from '../../src/db/open.js';
import { parseKeysFromNote } from '../../src/mapper/keys.js';
import type { MigrateContext, StageProgress } from '../../src/migrate/context.js';
import { migrate } from '../../src/migrate/migrate.js';
import { rivoClientFromConfig, type RivoClient } from '../../src/rivo/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { YotpoClient } from '../../src/yotpo/client.js';

/**
 * `src/migrate` runs on its own context, with no CLI session: a plain object built here, the way another front end
 * (or a test) would. It reports how the run ended as a typed outcome and leaves the closing words and the exit code to
 * its caller.
 */

interface Run {
  ctx: MigrateContext;
  lines: string[];
  close(): Promise<void>;
}

let sb: Sandbox | undefined;
let open: Run | undefined;
afterEach(async () => {
  await open?.close();
  await sb?.close();
  open = sb = undefined;
});

function plainContext(s: Sandbox, signal: AbortSignal = new AbortController().signal): Run {
  const dir = mkdtempSync(join(tmpdir(), 'y2r-ctx-'));
  const env = { YOTPO_GUID: s.credentials.yotpoGuid, YOTPO_API_KEY: s.credentials.yotpoApiKey, RIVO_API_KEY: s.credentials.rivoApiKey };
  const flags = { db: join(dir, 'm.sqlite'), out: join(dir, 'out'), yotpoBaseUrl: s.yotpoUrl, rivoBaseUrl: s.rivoUrl, yotpoRpm: 6000, rivoRps: 500 };
  const { config, secrets } = loadConfig({ env, cwd: dir, flags, needsCredentials: true });
  const db: Db = openDb(config.db);
  const lines: string[] = [];
  const stage = (): StageProgress => ({ update: () => {}, stop: (m) => void (m && lines.push(m)) });
  let yotpo: YotpoClient | undefined;
  let rivo: RivoClient | undefined;
  const ctx: MigrateContext = {
    config: { ...config, rivo: { ...config.rivo, settleDelayMs: 20, sendMode: 'batch' } },
    db,
    migrationId: migrationId(db),
    log: pino({ enabled: false }),
    progress: { stage, line: (t) => lines.push(t), recovery: (t) => lines.push(t), settled: () => {} },
    signal,
    yotpo: () => (yotpo ??= YotpoClient.fromConfig(config, secrets)),
    canReadYotpo: true,
    rivo: () => (rivo ??= rivoClientFromConfig(config, secrets)),
    say: (line) => lines.push(line),
    reportRun: { id: 'ctx-test' },
    confirmWrites: async () => false,
  };
  return {
    ctx,
    lines,
    close: async () => {
      await Promise.allSettled([yotpo?.close(), rivo?.close()]);
      db.close();
    },
  };
}

const migrationEventsIn = (s: Sandbox) => s.rivo.allEvents().filter((e) => parseKeysFromNote(e.internal_note).length > 0);

describe('migrate on a context of its own', () => {
  it('a whole run ends `verified`; the closing line and the exit code are left to the caller', async () => {
    sb = await startSandbox({ customers: 40, seed: 21, awkward: 0 });
    open = plainContext(sb);
    const outcome = await migrate(open.ctx, { dryRun: false });
    expect(outcome.kind).toBe('verified');
    if (outcome.kind !== 'verified') return;
    expect(outcome.verify.outcomes).toMatchObject({ mismatch: 0, missing: 0 });
    expect(outcome.load.outcome).toBe('done');
    expect(migrationEventsIn(sb).length).toBeGreaterThan(0);
    // The CLI's words: never said by the library.
    expect(open.lines.join('\n')).not.toMatch(/Migration complete|Migration finished|Not finished/);
    expect(exitCodeFor(outcome)).toBe(0);
  });

  it('a dry run ends `dry_run` with the customers held for the merchant counted, and sends nothing', async () => {
    sb = await startSandbox({ customers: 60, seed: 4, awkward: 0.4 });
    open = plainContext(sb);
    const outcome = await migrate(open.ctx, { dryRun: true });
    expect(outcome.kind).toBe('dry_run');
    if (outcome.kind !== 'dry_run') return;
    expect(outcome.attention).toBeGreaterThan(0);
    expect(migrationEventsIn(sb)).toEqual([]);
    expect(open.lines.join('\n')).not.toMatch(/Dry run: nothing was written/);
    expect(exitCodeFor(outcome)).toBe(3);
  });

  it('a run whose signal is aborted ends `interrupted` (resumable, exit 1), having sent nothing', async () => {
    sb = await startSandbox({ customers: 40, seed: 22, awkward: 0 });
    const stop = new AbortController();
    stop.abort();
    open = plainContext(sb, stop.signal);
    const outcome = await migrate(open.ctx, { dryRun: false });
    expect(outcome.kind).toBe('interrupted');
    expect(migrationEventsIn(sb)).toEqual([]);
    expect(exitCodeFor(outcome)).toBe(1);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';

/**
 * The pilot through the real CLI boundary (`run(argv)`, what the bin calls) against a sandbox on 127.0.0.1, with a
 * staff customer of its own: 7 points, 1.50 store credit, lifetime 40, tier Silver (9002), birthday 1990-04-02.
 */

export const STAFF = 'staff@shop.test';

export interface PilotWorld {
  sb: Sandbox;
  dir: string;
  db: string;
  common: string[];
  staffId: string;
  /** Runs the CLI; returns the exit code, stdout, and stdout's last line parsed when it is JSON. */
  cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }>;
  close(): Promise<void>;
}

export async function pilotWorld(rivo: SandboxOptions['rivo'] = {}, config: Record<string, unknown> = {}): Promise<PilotWorld> {
  const sb = await startSandbox({ customers: 20, seed: 5, awkward: 0, rivo });
  const staff = sb.rivo.addCustomer({
    email: STAFF,
    points_tally: 7,
    credits_tally: '1.50',
    lifetime_earnings_tally: 40,
    vip_tier: { id: 9002 },
    dob: '1990-04-02',
  });
  const dir = mkdtempSync(join(tmpdir(), 'y2r-pilot-'));
  const cfg = { rivo: { settleDelayMs: 20, timeoutMs: 3000 }, yotpo: { timeoutMs: 3000 }, ...config };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  const db = join(dir, 'm.sqlite');
  const common = [
    '--config', join(dir, 'config.json'),
    '--db', db,
    '--out', join(dir, 'out'),
    '--yotpo-base-url', sb.yotpoUrl,
    '--rivo-base-url', sb.rivoUrl,
    '--yotpo-rpm', '6000',
    '--rivo-rps', '200',
  ];
  vi.stubEnv('YOTPO_GUID', sb.credentials.yotpoGuid);
  vi.stubEnv('YOTPO_API_KEY', sb.credentials.yotpoApiKey);
  vi.stubEnv('RIVO_API_KEY', sb.credentials.rivoApiKey);
  return {
    sb,
    dir,
    db,
    common,
    staffId: String(staff.id),
    cli: async (argv) => {
      let stdout = '';
      let stderr = '';
      const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
      const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
      try {
        const code = await run([...argv, ...common]);
        const last = stdout.trim().split('\n').at(-1) ?? '';
        let json: unknown;
        try {
          json = JSON.parse(last);
        } catch {
          json = undefined;
        }
        return { code, stdout, stderr, json };
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
    },
    close: async () => {
      vi.unstubAllEnvs();
      await sb.close();
    },
  };
}

import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { run, serveSandbox } from '../../src/cli/commands/sandbox.js';
import type { CommonArgs } from '../../src/cli/context.js';
import { ConfigError } from '../../src/errors.js';

const baseArgs = (extra: Partial<CommonArgs>): CommonArgs => ({ json: false, ...extra }) as CommonArgs;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function exportsOf(lines: string[]): Record<string, string> {
  return Object.fromEntries(lines.filter((l) => l.startsWith('export ')).map((l) => l.slice(7).split('=', 2) as [string, string]));
}

describe('sandbox command', () => {
  it('prints env lines that reach working stand-ins, and stops when told', async () => {
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const done = serveSandbox(baseArgs({ customers: 40, seed: 3 }), { stop: () => stopped, print: (l) => lines.push(l) });
    await vi.waitFor(() => expect(lines.length).toBeGreaterThan(0));
    const env = exportsOf(lines);
    expect(Object.keys(env).sort()).toEqual(['RIVO_API_KEY', 'RIVO_BASE_URL', 'YOTPO_API_KEY', 'YOTPO_BASE_URL', 'YOTPO_GUID']);
    const y = await fetch(`${env.YOTPO_BASE_URL}/customers/all?page=1&per_page=100`, {
      headers: { 'x-guid': env.YOTPO_GUID!, 'x-api-key': env.YOTPO_API_KEY! },
    });
    expect(((await y.json()) as { customers: unknown[] }).customers).toHaveLength(40);
    const r = await fetch(`${env.RIVO_BASE_URL}/vip_tiers`, { headers: { authorization: env.RIVO_API_KEY! } });
    expect(r.status).toBe(200);
    stop();
    const result = await done;
    expect(result.exitCode).toBe(0);
    expect(result.summary).toEqual(expect.objectContaining({ customers: 40, seed: 3, yotpoUrl: env.YOTPO_BASE_URL, rivoUrl: env.RIVO_BASE_URL }));
    expect((result.summary.stats as { yotpo: { requests: number } }).yotpo.requests).toBe(1);
    await expect(fetch(`${env.RIVO_BASE_URL}/vip_tiers`)).rejects.toThrow();
  });

  it('--port P puts Yotpo on P and Rivo on P+1; a taken port is a usage error', async () => {
    const port = await freePort();
    const lines: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const done = serveSandbox(baseArgs({ customers: 5, port }), { stop: () => stopped, print: (l) => lines.push(l) });
    await vi.waitFor(() => expect(lines.length).toBeGreaterThan(0));
    const env = exportsOf(lines);
    expect(env.YOTPO_BASE_URL).toBe(`http://127.0.0.1:${port}/api/v2`);
    expect(env.RIVO_BASE_URL).toBe(`http://127.0.0.1:${port + 1}/merchant_api/v1`);
    await expect(serveSandbox(baseArgs({ customers: 5, port }), { stop: () => stopped, print: () => {} })).rejects.toThrow(ConfigError);
    stop();
    await done;
    await expect(serveSandbox(baseArgs({ port: 70000 }), { stop: () => stopped, print: () => {} })).rejects.toThrow(ConfigError);
  });

  it('runs until SIGTERM; with --json the banner goes to stderr and stdout stays free for the summary', async () => {
    const errLines: string[] = [];
    const outLines: string[] = [];
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (errLines.push(String(chunk)), true));
    const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (outLines.push(String(chunk)), true));
    try {
      const result = run(baseArgs({ customers: 25, seed: 4, faults: true, json: true }));
      await vi.waitFor(() => expect(errLines.join('')).toContain('export RIVO_API_KEY='));
      expect(errLines.join('')).toContain('faults on');
      process.emit('SIGTERM', 'SIGTERM');
      const { exitCode, summary } = await result;
      expect(exitCode).toBe(0);
      expect(summary).toEqual(expect.objectContaining({ customers: 25, seed: 4, faults: true }));
      expect(outLines).toEqual([]);
      expect(process.listenerCount('SIGTERM')).toBe(0);
    } finally {
      errSpy.mockRestore();
      outSpy.mockRestore();
    }
  });
});

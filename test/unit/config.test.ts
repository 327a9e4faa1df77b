import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'y2r-config-'));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const { config } = loadConfig({ env: {}, cwd: tmp() });
    expect(config.yotpo.rpm).toBe(100);
    expect(config.rivo.rps).toBe(10);
    expect(config.yotpo.baseUrl).toBe('https://loyalty.yotpo.com/api/v2');
    expect(config.rivo.baseUrl).toBe('https://developer-api.rivo.io/merchant_api/v1');
    expect(config.mapping.strategy).toBe('lifetime');
    expect(config.mapping.mode).toBe('add');
    expect(config.db.endsWith('migration.sqlite')).toBe(true);
  });

  it('applies flags over env over the user file over defaults', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ yotpo: { rpm: 50 }, rivo: { rps: 3 }, out: 'from-file' }));
    const env = { YOTPO_RPM: '60', REPORT_DIR: 'from-env' };
    const a = loadConfig({ env, cwd: dir, flags: { config: 'c.json' } }).config;
    expect(a.yotpo.rpm).toBe(60);
    expect(a.rivo.rps).toBe(3);
    expect(a.out).toBe(join(dir, 'from-env'));
    const b = loadConfig({ env, cwd: dir, flags: { config: 'c.json', yotpoRpm: 70, out: 'from-flag' } }).config;
    expect(b.yotpo.rpm).toBe(70);
    expect(b.out).toBe(join(dir, 'from-flag'));
  });

  it('reads .env under the real environment', () => {
    const dir = tmp();
    writeFileSync(join(dir, '.env'), 'RIVO_API_KEY=from-dotenv\nRIVO_RPS=4\n');
    const a = loadConfig({ env: {}, cwd: dir });
    expect(a.secrets.rivoApiKey).toBe('from-dotenv');
    expect(a.config.rivo.rps).toBe(4);
    expect(loadConfig({ env: { RIVO_API_KEY: 'real' }, cwd: dir }).secrets.rivoApiKey).toBe('real');
  });

  it('RIVO_SEND_MODE and --send-mode choose auto, batch or single (flag beats env); another value is a config error', () => {
    const dir = tmp();
    // auto by default (issue 12): batches only once a person confirmed this store's batch events send no email.
    expect(loadConfig({ env: {}, cwd: dir }).config.rivo.sendMode).toBe('auto');
    expect(loadConfig({ env: { RIVO_SEND_MODE: 'auto' }, cwd: dir, flags: { sendMode: 'single' } }).config.rivo.sendMode).toBe('single');
    expect(loadConfig({ env: { RIVO_SEND_MODE: 'single' }, cwd: dir }).config.rivo.sendMode).toBe('single');
    expect(loadConfig({ env: { RIVO_SEND_MODE: 'single' }, cwd: dir, flags: { sendMode: 'batch' } }).config.rivo.sendMode).toBe('batch');
    const err = configError(() => loadConfig({ env: { RIVO_SEND_MODE: 'bulk' }, cwd: dir }));
    expect(err.exitCode).toBe(2);
    expect(err.problems.join('\n')).toMatch(/rivo\.sendMode/);
  });

  it('names every bad field by its dot path', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ yotpo: { rpm: -1, perPagee: 3 }, mapping: { strategy: 'everything' } }));
    const err = configError(() => loadConfig({ env: {}, cwd: dir, flags: { config: 'c.json' } }));
    expect(err.exitCode).toBe(2);
    const text = err.problems.join('\n');
    expect(text).toMatch(/yotpo\.rpm/);
    expect(text).toMatch(/perPagee/);
    expect(text).toMatch(/mapping\.strategy/);
  });

  it('refuses a non-numeric rate from the environment, naming it', () => {
    const err = configError(() => loadConfig({ env: { YOTPO_RPM: 'fast' }, cwd: tmp() }));
    expect(err.problems.join('\n')).toMatch(/yotpo\.rpm/);
  });

  it('requires the three credentials for commands that talk to the APIs, without echoing them', () => {
    const err = configError(() => loadConfig({ env: { YOTPO_GUID: 'g-123' }, cwd: tmp(), needsCredentials: true }));
    expect(err.message).toMatch(/YOTPO_API_KEY/);
    expect(err.message).toMatch(/RIVO_API_KEY/);
    expect(err.message).not.toMatch(/g-123/);
  });

  it('refuses a Bearer-prefixed Rivo key and keys inside a config file', () => {
    const env = { YOTPO_GUID: 'g', YOTPO_API_KEY: 'k', RIVO_API_KEY: 'Bearer secret-value-1' };
    const err = configError(() => loadConfig({ env, cwd: tmp(), needsCredentials: true }));
    expect(err.message).toMatch(/Bearer/);
    expect(err.message).not.toMatch(/secret-value-1/);
    const dir = tmp();
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ rivo: { apiKey: 'abc' } }));
    expect(configError(() => loadConfig({ env: {}, cwd: dir, flags: { config: 'c.json' } })).message).toMatch(/rivo\.apiKey/);
  });

  it('reports a missing or broken config file', () => {
    const dir = tmp();
    expect(configError(() => loadConfig({ env: {}, cwd: dir, flags: { config: 'nope.json' } })).message).toMatch(/not found/);
    writeFileSync(join(dir, 'bad.json'), '{ "yotpo": ');
    expect(configError(() => loadConfig({ env: {}, cwd: dir, flags: { config: 'bad.json' } })).message).toMatch(/JSON/);
  });
});

describe('mapping.history', () => {
  it('is off by default, accepted as a boolean, refused as anything else, and warned about with strategy "balance"', () => {
    expect(loadConfig({ env: {}, cwd: tmp() }).config.mapping.history).toBe(false);
    const dir = tmp();
    writeFileSync(join(dir, 'on.json'), JSON.stringify({ mapping: { history: true } }));
    const on = loadConfig({ env: {}, cwd: dir, flags: { config: 'on.json' } });
    expect(on.config.mapping.history).toBe(true);
    expect(on.warnings.filter((w) => w.startsWith('mapping.history'))).toEqual([]);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ mapping: { history: 'yes' } }));
    const err = configError(() => loadConfig({ env: {}, cwd: dir, flags: { config: 'bad.json' } }));
    expect(err.exitCode).toBe(2);
    expect(err.problems.join('\n')).toMatch(/mapping\.history/);
    writeFileSync(join(dir, 'balance.json'), JSON.stringify({ mapping: { history: true, strategy: 'balance' } }));
    expect(loadConfig({ env: {}, cwd: dir, flags: { config: 'balance.json' } }).warnings).toContain(
      'mapping.history: with mapping.strategy "balance" a replayed history would raise lifetime above the balance, so most customers will get the balance-only events (the plan says which); use strategy "lifetime" to replay histories',
    );
  });
});

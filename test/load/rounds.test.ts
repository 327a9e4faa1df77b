import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { harness, population, runLoad, statuses, type Harness } from './harness.js';

/**
 * `rivo.maxRetries` used to mean two things: retries of one request, and failed rounds a customer may have in a run.
 * `rivo.maxRounds` now says the second; a config file written before it keeps its meaning.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The `rivo` section a user's config file gives, as loadConfig reads it (defaults merged under it). */
function rivoFrom(file: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'y2r-rounds-'));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ rivo: file }));
  const { rivo } = loadConfig({ env: {}, cwd: dir, flags: { config: 'c.json' } }).config;
  return { maxRetries: rivo.maxRetries, maxRounds: rivo.maxRounds };
}

/** Loads against a Rivo that answers every request with a 5xx, and returns how many rounds each customer failed. */
async function roundsFailed(rivo: ReturnType<typeof rivoFrom>): Promise<number[]> {
  h = await harness(population(3), { faults: { error5xx: 1, only: ['rivo'] }, rivo });
  const lines: string[] = [];
  const summary = await runLoad(h, { log: (line) => lines.push(line) });
  expect(summary.exitCode).toBe(1);
  expect(summary.exhausted.length).toBe(3);
  expect(h.sb.rivo.allEvents()).toEqual([]);
  expect(statuses(h.db).in_flight ?? 0).toBe(0);
  return lines.map((l) => /failed (\d+) times in this run/.exec(l)).flatMap((m) => (m ? [Number(m[1])] : []));
}

describe('rivo.maxRetries and rivo.maxRounds', () => {
  it('a config file that sets only maxRetries behaves as before: its number is also the rounds a customer may fail', async () => {
    // Passes on the code before maxRounds existed too: that is the point.
    const rivo = rivoFrom({ maxRetries: 2 });
    expect(rivo.maxRetries).toBe(2);
    expect(await roundsFailed(rivo)).toEqual([2, 2, 2]);
  });

  it('maxRounds sets the rounds a customer may fail on its own, whatever maxRetries says', async () => {
    const rivo = rivoFrom({ maxRetries: 1, maxRounds: 4 });
    expect(rivo).toEqual({ maxRetries: 1, maxRounds: 4 });
    expect(await roundsFailed(rivo)).toEqual([4, 4, 4]);
  });

  it('maxRounds below 1 is refused by its dot path before anything runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'y2r-rounds-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ rivo: { maxRounds: 0 } }));
    expect(() => loadConfig({ env: {}, cwd: dir, flags: { config: 'c.json' } })).toThrow(/rivo\.maxRounds/);
  });
});

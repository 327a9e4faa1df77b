import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/cli.js';

/**
 * `prepare` runs on `npm ci` and `npm install` in a checkout. `npm install --omit=dev` has no TypeScript: it must keep
 * the built dist/ rather than fail on a missing `tsc`, and say what to do when there is no dist/ at all.
 */
function checkoutWithoutTypescript(withDist: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'y2r-prepare-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'scripts', 'prepare.mjs'), join(dir, 'scripts', 'prepare.mjs'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  if (withDist) {
    mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'src', 'cli', 'bin.js'), '');
  }
  return dir;
}

describe('prepare without dev dependencies', () => {
  it('keeps the dist/ that is there (exit 0)', () => {
    const r = spawnSync(process.execPath, ['scripts/prepare.mjs'], { cwd: checkoutWithoutTypescript(true), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/using the dist\/ that is already built/);
  });

  it('without dist/, fails saying how to build it', () => {
    const r = spawnSync(process.execPath, ['scripts/prepare.mjs'], { cwd: checkoutWithoutTypescript(false), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/dist\/ is not built and TypeScript is not installed\. Run `npm ci`/);
  });
});

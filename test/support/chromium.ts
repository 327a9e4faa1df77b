import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's Chromium, which .ci/run installs when it can. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

// This machine has no network: without these flags Chromium keeps trying to reach Google's hosts.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function chromium(args: string[]) {
  const profile = mkdtempSync(join(tmpdir(), 'y2r-chromium-'));
  const res = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: 90_000, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw res.error;
  return res;
}

/** A PNG screenshot of a local HTML file, as a browser renders it. */
export function screenshot(htmlPath: string, pngPath: string, size = '1200,2400'): Buffer {
  chromium([`--screenshot=${pngPath}`, `--window-size=${size}`, `file://${htmlPath}`]);
  if (!existsSync(pngPath)) throw new Error(`chromium wrote no screenshot for ${htmlPath}`);
  return readFileSync(pngPath);
}

/** The DOM after the browser has parsed and laid out the page (what a reader sees, as text). */
export function renderedDom(htmlPath: string): string {
  return chromium(['--dump-dom', `file://${htmlPath}`]).stdout;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

import { copyFileSync, existsSync, readdirSync, renameSync, rmSync, chmodSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensureOutDir, FILE_MODE } from './files.js';

/**
 * Reports kept per run: each run writes its files into `<out>/runs/<run-id>/`, and the same files are published at
 * `<out>/` as the latest (what every earlier version of this tool wrote, and what a merchant opens first). The dry
 * run's report, the proof of the "before", is never overwritten by a later run.
 */

/** The run a report belongs to: its folder name under `<out>/runs/`. */
export interface ReportRun {
  id: string;
}

export const RUNS_DIR = 'runs';

/** `20261201T023855Z-migrate-12`: sorts by time; the DB's run number keeps two runs in one second apart. */
export function runFolderName(command: string, dbRunId: number | string, at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${command.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}-${dbRunId}`;
}

/** Where a report is written first: the run's folder when there is a run, else `outDir` itself (library use, tests). */
export function reportDirs(outDir: string, run: ReportRun | undefined): { dir: string; latest: string | null } {
  const out = ensureOutDir(outDir);
  if (!run) return { dir: out, latest: null };
  ensureOutDir(join(out, RUNS_DIR));
  return { dir: ensureOutDir(join(out, RUNS_DIR, run.id)), latest: out };
}

/** Copies a run's file to the latest location: through a temporary file, renamed over the old one, owner-only. */
export function publishLatest(file: string, latestDir: string): string {
  const target = join(latestDir, basename(file));
  const tmp = join(latestDir, `.${basename(file)}.${process.pid}.tmp`);
  try {
    copyFileSync(file, tmp);
    chmodSync(tmp, FILE_MODE);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return target;
}

export interface RunLink {
  id: string;
  /** Relative to the page that shows it. */
  href: string;
}

/** The runs that left a report, newest first, as links from a page in `<out>/` (`fromRunDir` false) or in a run folder. */
export function runLinks(outDir: string, options: { exclude?: string; fromRunDir: boolean }): RunLink[] {
  const root = join(outDir, RUNS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== options.exclude && existsSync(join(root, d.name, 'report.html')))
    .map((d) => d.name)
    .sort()
    .reverse()
    .map((id) => ({ id, href: options.fromRunDir ? `../${encodeURIComponent(id)}/report.html` : `${RUNS_DIR}/${encodeURIComponent(id)}/report.html` }));
}

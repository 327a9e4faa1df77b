import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { BIN, ensureBuilt, workspace } from '../e2e/cli.js';
import { hasTmux, TmuxScreen } from '../support/tmux.js';

/**
 * `npm start` as a person sees it: the demo (faults on, so uncertain writes, retries and 5xx happen) in a real
 * pseudo-terminal of 120×40 (tmux), asserting on the rendered screen rather than on the bytes written.
 */

const BAR_ROW = /[█░]/;
/** A stage's live line: name, 24 cells, percent, done/total, then " · " parts; nothing else may share its row. */
const WELL_FORMED_BAR = /^\S+ +[█░]{24} +\d+% [\d,]+\/[\d,]+( · .*)?$/;
/** What the loader logs for each request it recovers; on a terminal these are counted, never printed. */
const PER_REQUEST = /has an uncertain outcome|settling \d+ customer\(s\)|was refused \(|retrying/;
const exited = (lines: string[]) => lines.some((l) => /^EXIT=\d+$/.test(l));

const SKIP_NOTE = 'skipped: tmux is not installed (.ci/run installs it with apt-get)';

describe.skipIf(!hasTmux)('the demo in a real terminal (tmux 120×40)', () => {
  let screen: TmuxScreen | undefined;
  beforeAll(() => ensureBuilt(), 180_000);
  afterEach(() => screen?.kill());

  it('one live display: no message glued to a bar, no per-request warning lines, the summary intact', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'y2r-tty-'));
    screen = new TmuxScreen(120, 40);
    screen.start(`${process.execPath} ${BIN} demo --customers 300 --seed 7`, { cwd, env: { TERM: 'xterm-256color', TZ: 'UTC' } });
    const barRowsSeen: string[] = [];
    const problems: string[] = [];
    const final = await screen.until(exited, {
      timeoutMs: 150_000,
      each: (lines) => {
        for (const l of lines) {
          if (BAR_ROW.test(l)) {
            barRowsSeen.push(l);
            if (!WELL_FORMED_BAR.test(l)) problems.push(`a bar row with something else in it: ${JSON.stringify(l)}`);
          }
          if (PER_REQUEST.test(l)) problems.push(`a per-request warning printed: ${JSON.stringify(l)}`);
          if (l.length > 120) problems.push(`a row wider than the terminal: ${l}`);
        }
      },
    });
    expect(problems, final.join('\n')).toEqual([]);
    expect(barRowsSeen.length, 'the live display was never seen').toBeGreaterThan(0);
    expect(final.join('\n')).toMatch(/^EXIT=0$/m);

    // The bars are gone at the end; what remains are whole lines, each starting at the left edge.
    const lines = screen.capture(true);
    expect(lines.filter((l) => BAR_ROW.test(l)), lines.join('\n')).toEqual([]);
    const text = lines.join('\n');
    expect(text).toMatch(/^extract: 300 records read \(300 new, 0 changed, \d+ invalid\) in \d+ pages, \d+ requests$/m);
    expect(text).toMatch(/^plan: \d+ customers: \d+ with events owed \(\d+ events\), .* conflicts$/m);
    expect(text).toMatch(/^load: \d+ events sent \((\d+)\/\1 done\), \d+ requests$/m);
    expect(text).toMatch(/^verify: \d+ match, 0 mismatch, 0 missing, 0 duplicates$/m);
    // Per-request warnings, counted by kind, with the read-back's verdict and where the details are.
    expect(text).toMatch(/^warnings: \d+ uncertain writes?, settled by read-back: \d+ found.* \(details in .*yotpo-to-rivo\.log\)$/m);
    // The closing summary: every line whole, in order, nothing written over it.
    const closing = lines.findIndex((l) => /^Migration (finished; \d+ customers need attention \(see the report\)|complete and verified)\. \d+ migrated.*\.$/.test(l));
    expect(closing, text).toBeGreaterThan(0);
    expect(lines[closing + 1]).toMatch(/^Reports: \/.*plan\.csv, .*report\.html, .*verify\.json$/);
    expect(lines[closing + 2]).toMatch(/^demo: in the sandbox's own ledger: \d+ migration events, \d+ distinct keys \(0 keys seen twice\), 0 "you earned points" emails\.$/);
    expect(lines[closing + 3]).toMatch(/^demo: done\. Open \/.*report\.html in a browser\.$/);
    expect(screen.cursorVisible()).toBe(true);
  }, 180_000);

  it('Ctrl-C twice while the bars are live: exits 130 with the cursor back and the message on a line of its own', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'y2r-tty-int-'));
    screen = new TmuxScreen(120, 40);
    screen.start(`${process.execPath} ${BIN} demo --customers 1500 --seed 3`, { cwd, env: { TERM: 'xterm-256color' } });
    await screen.until((lines) => lines.some((l) => /^load +[█░]{24}/.test(l)), { timeoutMs: 120_000, everyMs: 100 });
    expect(screen.cursorVisible()).toBe(false); // the display hides it while it draws
    // Two signals sent at once may arrive as one: the second follows shortly, while the requests in flight finish.
    screen.keys('C-c');
    await new Promise((r) => setTimeout(r, 60));
    screen.keys('C-c');
    const final = await screen.until(exited, { timeoutMs: 30_000 });
    expect(final.join('\n')).toMatch(/^EXIT=130$/m);
    expect(final.join('\n')).toMatch(/^(\^C)?demo: stopping now; the next run settles whatever was in flight$/m);
    expect(screen.cursorVisible(), final.join('\n')).toBe(true);
    expect(final.filter((l) => BAR_ROW.test(l)), 'bars left on the screen after exit').toEqual([]);
  }, 180_000);

});

describe.skipIf(!hasTmux)('the confirmation before the first write (stdin a terminal)', () => {
  let screen: TmuxScreen | undefined;
  beforeAll(() => ensureBuilt(), 180_000);
  afterEach(() => screen?.kill());

  it('shows the DB, the stores, what will be sent, the estimate and the checklist; "n" sends nothing (exit 2), "y" migrates', async () => {
    const sb = await startSandbox({ customers: 30, seed: 4 });
    try {
      const ws = workspace(sb, { name: 'confirm' });
      const cmd = `${process.execPath} ${BIN} migrate ${ws.args.map((a) => `'${a}'`).join(' ')}`;
      const env = { ...(ws.env as Record<string, string>), TERM: 'xterm-256color' };
      screen = new TmuxScreen(120, 40);
      screen.start(cmd, { cwd: ws.dir, env });
      let lines = await screen.until((l) => l.some((x) => /Send to Rivo now\? \[y\/N\]/.test(x)), { timeoutMs: 60_000 });
      let text = screen.capture(true).join('\n');
      expect(text).toContain(`migration DB   ${ws.db}`);
      expect(text).toMatch(/migration {6}new migration \S+/);
      expect(text).toContain(`from (Yotpo)   ${sb.yotpoUrl}`);
      expect(text).toContain(`to (Rivo)      ${sb.rivoUrl}`);
      expect(text).toMatch(/to send {8}\d+ customers: \d+ points events, \d+ tier\/birthday updates/);
      expect(text).toMatch(/estimated {6}\S+ at 200 requests\/s/);
      expect(text).toMatch(/Pre-flight checklist[\s\S]*points_event\/created[\s\S]*tier unlocked/);
      expect(sb.stats().rivo.writes).toBe(0);
      screen.keys('n', 'Enter');
      lines = await screen.until(exited, { timeoutMs: 30_000 });
      expect(lines.join('\n')).toMatch(/Not confirmed: nothing was sent to Rivo/);
      expect(lines.join('\n')).toMatch(/^EXIT=2$/m);
      expect(sb.stats().rivo.writes).toBe(0);
      screen.kill();

      screen = new TmuxScreen(120, 40);
      screen.start(cmd, { cwd: ws.dir, env });
      await screen.until((l) => l.some((x) => /Send to Rivo now\? \[y\/N\]/.test(x)), { timeoutMs: 60_000 });
      screen.keys('y', 'Enter');
      lines = await screen.until(exited, { timeoutMs: 60_000 });
      text = screen.capture(true).join('\n');
      expect(text, text).toMatch(/^EXIT=[03]$/m);
      expect(text).toMatch(/^Migration (finished|complete)/m);
      expect(sb.stats().rivo.writes).toBeGreaterThan(0);
    } finally {
      await sb.close();
    }
  }, 180_000);
});

describe.skipIf(hasTmux)('the demo in a real terminal', () => {
  it(SKIP_NOTE, () => {
    expect(hasTmux).toBe(false);
  });
});

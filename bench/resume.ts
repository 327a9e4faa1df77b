import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli, sandboxEnv, scratchDir, writeRunConfig, type CliRun } from './lib/cli.js';
import { fmt, isEntry, printTable, quick, type BenchResult } from './lib/figures.js';
import { startSandboxProc } from './lib/sandbox-proc.js';

/**
 * Resuming a run killed at 99%. Two identical shops (same seed) behind sandboxes whose limits equal the budgets:
 *  1. a reference `migrate` runs to the end; the benchmark polls its DB (read-only) and notes when 99% of the
 *     events it ends with were done: the "remaining 1%" is from then to the process's exit (the last sends, the
 *     report and verify);
 *  2. a second `migrate` is SIGKILLed when 99% of that many events are done; a third `migrate` on the same DB
 *     resumes it to the end (settling the writes that were in flight: what Rivo has at once, what it does not after
 *     `settleDelayMs`).
 * Ratio: the resumed run's wall time / the reference's remaining 1% (target <= 1.5, issue 13). The resumed run's exactness is
 * checked from its own verify (no duplicates, no mismatch).
 */

export interface ResumeOptions {
  customers?: number;
  rpm?: number;
  rps?: number;
  settleDelayMs?: number;
  log?: (line: string) => void;
}

interface Sample {
  at: number;
  done: number;
}

function progressOf(db: Database.Database): { done: number; total: number } {
  const r = db.prepare("SELECT coalesce(sum(status = 'done'), 0) AS done, coalesce(sum(status <> 'cancelled'), 0) AS total FROM events").get() as {
    done: number;
    total: number;
  };
  return r;
}

/** Polls the migration DB read-only every `everyMs` until `stop` says so; never writes to it. */
function poller(path: string, everyMs: number, onSample: (s: Sample & { total: number }) => boolean | void): { stop: () => void } {
  let db: Database.Database | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    try {
      if (!db && existsSync(path)) db = new Database(path, { readonly: true, fileMustExist: true });
      if (db) {
        const p = progressOf(db);
        if (onSample({ at: Date.now(), ...p }) === true) stopped = true;
      }
    } catch {
      // the schema may not exist yet, or the file is being created: try again
      db?.close();
      db = undefined;
    }
    if (!stopped) setTimeout(tick, everyMs);
  };
  setTimeout(tick, everyMs);
  return {
    stop: () => {
      stopped = true;
      db?.close();
    },
  };
}

async function migrateOnce(customers: number, o: Required<Omit<ResumeOptions, 'log'>>, dir: string, killAtDone?: number) {
  const sb = await startSandboxProc({ customers, seed: 51, awkward: 0.05, rpm: o.rpm, rps: o.rps, latencyMs: 10 });
  try {
    const config = writeRunConfig(dir, { settleDelayMs: o.settleDelayMs });
    const dbPath = join(dir, 'm.sqlite');
    const args = ['migrate', '--config', config, '--db', dbPath, '--out', join(dir, 'reports'), '--yotpo-base-url', sb.yotpoUrl, '--rivo-base-url', sb.rivoUrl, '--yotpo-rpm', String(o.rpm), '--rivo-rps', String(o.rps)];
    const env = sandboxEnv(sb.credentials);
    const samples: Sample[] = [];
    let total = 0;
    let killedAt: number | null = null;
    let kill: ((s: NodeJS.Signals) => void) | undefined;
    const poll = poller(dbPath, 50, (s) => {
      samples.push({ at: s.at, done: s.done });
      total = s.total;
      if (killAtDone !== undefined && s.done >= killAtDone && kill) {
        killedAt = Date.now();
        kill('SIGKILL');
        return true;
      }
    });
    const first = await runCli(args, { cwd: dir, env, onSpawn: (_pid, k) => (kill = k) });
    poll.stop();
    const endedAt = Date.now();
    let resumed: CliRun | undefined;
    let resumeStats;
    if (killAtDone !== undefined) {
      if (killedAt === null) throw new Error(`the run ended (exit ${first.exitCode}) before 99% of its events were done; nothing to resume`);
      await sb.reset();
      resumed = await runCli(args, { cwd: dir, env });
      resumeStats = await sb.stats();
    }
    return { first, samples, total, endedAt, killedAt, resumed, resumeStats };
  } finally {
    await sb.close();
  }
}

export async function benchResume(options: ResumeOptions = {}): Promise<BenchResult> {
  const customers = options.customers ?? (quick() ? 300 : 600);
  const o = { customers, rpm: options.rpm ?? 600, rps: options.rps ?? 40, settleDelayMs: options.settleDelayMs ?? 5000 };
  const log = options.log ?? (() => undefined);
  log(`resume: ${customers} customers, budgets ${o.rpm}/min and ${o.rps}/s, settleDelayMs ${o.settleDelayMs}: reference run…`);
  const a = scratchDir('resume-ref');
  const b = scratchDir('resume-kill');
  try {
    const ref = await migrateOnce(customers, o, a.dir);
    if (ref.first.exitCode !== 0 && ref.first.exitCode !== 3) throw new Error(`reference migrate exited ${ref.first.exitCode}: ${ref.first.stderrTail}`);
    const threshold = Math.ceil(ref.total * 0.99);
    const at99 = ref.samples.find((s) => s.done >= threshold)?.at;
    if (at99 === undefined) throw new Error('the reference run never reached 99% in the samples');
    const lastOnePctMs = ref.endedAt - at99;
    log(`resume: reference: ${ref.total} events, ${fmt.s(ref.first.wallMs)} in all, the last 1% (from ${threshold} done to exit) ${fmt.s(lastOnePctMs)}; killed run…`);

    const killed = await migrateOnce(customers, o, b.dir, threshold);
    const resumed = killed.resumed!;
    if (resumed.exitCode !== 0 && resumed.exitCode !== 3) throw new Error(`resumed migrate exited ${resumed.exitCode}: ${resumed.stderrTail}`);
    const verify = (resumed.summary?.verify ?? {}) as { duplicates?: number; outcomes?: { mismatch?: number; missing?: number } };
    const load = (resumed.summary?.load ?? {}) as { interruptedAtStart?: number; events?: { landedThisRun?: number }; settled?: { found?: number; absent?: number } };
    const exact = verify.duplicates === 0 && verify.outcomes?.mismatch === 0 && verify.outcomes?.missing === 0;
    const ratio = resumed.wallMs / lastOnePctMs;
    const lines = [
      `resume: killed at ${killed.samples.at(-1)?.done ?? '?'} of ${ref.total} events done; the resumed run took ${fmt.s(resumed.wallMs)} ` +
        `(${load.interruptedAtStart ?? '?'} writes were in flight at the kill and settled: ${load.settled?.found ?? '?'} found, ` +
        `${load.settled?.absent ?? '?'} proven absent and sent again (never left the killed run, per its sent journal, or not found by the read made after settleDelayMs); ` +
        `${load.events?.landedThisRun ?? '?'} events sent; ` +
        `${killed.resumeStats?.yotpo.requests ?? '?'} Yotpo and ${killed.resumeStats?.rivo.requests ?? '?'} Rivo requests); exact: ${exact ? 'yes' : 'NO'} ` +
        `(duplicates ${verify.duplicates ?? '?'}, mismatches ${verify.outcomes?.mismatch ?? '?'})`,
    ];
    lines.forEach((l) => log(l));
    return {
      name: 'resume',
      lines,
      figures: [
        {
          name: `resume after SIGKILL at 99% / last 1% (${customers} customers)`,
          value: `${fmt.s(resumed.wallMs)} / ${fmt.s(lastOnePctMs)}`,
          target: '<= 1.5',
          ratio,
          pass: ratio <= 1.5,
          note:
            `settleDelayMs ${o.settleDelayMs}; the resumed migrate re-reads Yotpo (a complete pass is re-read for a delta), settles the writes in flight, ` +
            `sends the rest and verifies; the last 1% of the reference = from 99% of events done to exit (verify included)`,
        },
        { name: 'resumed run exact (verify: no duplicate, no mismatch)', value: exact ? 'yes' : 'no', target: 'yes', ratio: null, pass: exact },
      ],
    };
  } finally {
    a.cleanup();
    b.cleanup();
  }
}

if (isEntry(import.meta.url)) {
  benchResume({ log: (l) => console.error(l) }).then(
    (r) => printTable([r]),
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : String(err));
      process.exitCode = 1;
    },
  );
}

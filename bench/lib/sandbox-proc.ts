import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pathToFileURL } from 'node:url';
import { startSandbox, type Sandbox, type SandboxStats } from '../../src/sandbox/index.js';
import { StatsCollector } from '../../src/sandbox/stats.js';
import { rivoCustomerAt } from './csv-gen.js';

/**
 * The sandbox in a process of its own, as the real APIs are: the migration under test (another child) and the
 * benchmark's bookkeeping never share its event loop, so the server's clock and rate limits are not disturbed by
 * the client's work. The parent talks to it over the IPC channel. Listens on 127.0.0.1 only.
 */

export interface SandboxProcOptions {
  /** Customers of the seeded shop (the sandbox generator). */
  customers: number;
  seed?: number;
  awkward?: number;
  /** Instead of the generator: this many Rivo customers derived from the CSV generator (bench/lib/csv-gen.ts). */
  csvRivo?: { count: number; seed: number };
  rpm?: number | null;
  rps?: number | null;
  latencyMs?: number;
}

export interface Activity {
  /** Rivo arrivals per 100 ms bucket since the sandbox started, and the start time (ms since epoch). */
  startedAt: number;
  rivoPer100ms: number[];
  /** Arrival time of the first and last Rivo write (POST/PUT) and of the first and last Yotpo request. */
  firstRivoWrite: number | null;
  lastRivoWrite: number | null;
  firstYotpo: number | null;
  lastYotpo: number | null;
  /** Times (ms since start) of the 429 answers, per side. */
  rejected: { side: 'yotpo' | 'rivo'; at: number }[];
}

type Request = { id: number; cmd: 'stats' | 'activity' | 'reset' | 'close' };
type Reply = { id: number; stats?: SandboxStats; activity?: Activity };

export interface SandboxProc {
  yotpoUrl: string;
  rivoUrl: string;
  credentials: { yotpoGuid: string; yotpoApiKey: string; rivoApiKey: string };
  yotpoCustomers: number;
  rivoCustomers: number;
  stats(): Promise<SandboxStats>;
  activity(): Promise<Activity>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the sandbox child and waits for its URLs. */
export async function startSandboxProc(options: SandboxProcOptions): Promise<SandboxProc> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=8192'],
  });
  let nextId = 1;
  const waiting = new Map<number, (r: Reply) => void>();
  const ready = new Promise<{ yotpoUrl: string; rivoUrl: string; credentials: SandboxProc['credentials']; yotpoCustomers: number; rivoCustomers: number }>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the sandbox process exited early (${code})`)));
      child.on('message', (m: { ready?: true; error?: string } & Reply & Record<string, unknown>) => {
        if (m.error) reject(new Error(`sandbox process: ${m.error}`));
        else if (m.ready) resolve(m as never);
        else waiting.get(m.id)?.(m);
      });
    },
  );
  child.send({ start: options });
  const info = await ready;
  const ask = (cmd: Request['cmd']) =>
    new Promise<Reply>((resolve) => {
      const id = nextId++;
      waiting.set(id, (r) => {
        waiting.delete(id);
        resolve(r);
      });
      child.send({ id, cmd } satisfies Request);
    });
  let closed: Promise<void> | undefined;
  return {
    ...info,
    stats: async () => (await ask('stats')).stats!,
    activity: async () => (await ask('activity')).activity!,
    reset: async () => void (await ask('reset')),
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.send({ id: 0, cmd: 'close' } satisfies Request);
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      })),
  };
}

// ---- the child side ----------------------------------------------------------------------------------------------

async function serve(options: SandboxProcOptions): Promise<void> {
  const activity: Activity = { startedAt: Date.now(), rivoPer100ms: [], firstRivoWrite: null, lastRivoWrite: null, firstYotpo: null, lastYotpo: null, rejected: [] };
  // Bookkeeping hooks on the stats collector: the timeline the benchmarks read (bench code only, the sandbox is unchanged).
  const arrival = StatsCollector.prototype.rivoArrival;
  StatsCollector.prototype.rivoArrival = function (this: StatsCollector, now: number) {
    const b = Math.floor((now - activity.startedAt) / 100);
    while (activity.rivoPer100ms.length <= b) activity.rivoPer100ms.push(0);
    activity.rivoPer100ms[b]!++;
    arrival.call(this, now);
  };
  const handled = StatsCollector.prototype.rivoHandled;
  StatsCollector.prototype.rivoHandled = function (this: StatsCollector, method: string, batch: boolean) {
    if (method === 'POST' || method === 'PUT') {
      const now = Date.now();
      activity.firstRivoWrite ??= now;
      activity.lastRivoWrite = now;
    }
    handled.call(this, method, batch);
  };
  const answered = StatsCollector.prototype.answered;
  StatsCollector.prototype.answered = function (this: StatsCollector, side: 'yotpo' | 'rivo', status: number) {
    if (status === 429 && activity.rejected.length < 1000) activity.rejected.push({ side, at: Date.now() - activity.startedAt });
    answered.call(this, side, status);
  };
  const yotpoArrival = StatsCollector.prototype.yotpoArrival;
  StatsCollector.prototype.yotpoArrival = function (this: StatsCollector, path: string, now: number) {
    activity.firstYotpo ??= now;
    activity.lastYotpo = now;
    yotpoArrival.call(this, path, now);
  };

  const sb: Sandbox = await startSandbox({
    customers: options.csvRivo ? 0 : options.customers,
    seed: options.seed ?? 7,
    awkward: options.awkward ?? 0.05,
    host: '127.0.0.1',
    yotpo: { rpm: options.rpm ?? null },
    rivo: { rps: options.rps ?? null, latencyMs: options.latencyMs ?? 0 },
  });
  let rivoCustomers = sb.shop.rivoCustomers.length;
  if (options.csvRivo) {
    rivoCustomers = 0;
    for (let i = 0; i < options.csvRivo.count; i++) {
      const c = rivoCustomerAt(i, options.csvRivo.seed);
      if (c) {
        sb.rivo.addCustomer(c);
        rivoCustomers++;
      }
    }
  }
  activity.startedAt = Date.now();
  process.send!({
    ready: true,
    yotpoUrl: sb.yotpoUrl,
    rivoUrl: sb.rivoUrl,
    credentials: sb.credentials,
    yotpoCustomers: sb.shop.yotpoCustomers.length,
    rivoCustomers,
  });
  process.on('message', (m: Request) => {
    if (m.cmd === 'stats') process.send!({ id: m.id, stats: sb.stats() } satisfies Reply);
    else if (m.cmd === 'activity') process.send!({ id: m.id, activity } satisfies Reply);
    else if (m.cmd === 'reset') {
      sb.resetStats();
      activity.startedAt = Date.now();
      activity.rivoPer100ms = [];
      activity.firstRivoWrite = activity.lastRivoWrite = activity.firstYotpo = activity.lastYotpo = null;
      activity.rejected = [];
      process.send!({ id: m.id } satisfies Reply);
    } else if (m.cmd === 'close') void sb.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void sb.close().then(() => process.exit(0)));
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href && process.send) {
  process.once('message', (m: { start?: SandboxProcOptions }) => {
    if (!m.start) return;
    serve(m.start).catch((err: unknown) => {
      process.send!({ error: err instanceof Error ? err.message : String(err) });
      process.exit(1);
    });
  });
}

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultInjector, type FaultKind, type FaultOptions } from './faults.js';
import { Random, deriveSeed } from './rng.js';
import { createRivoServer, RIVO_PREFIX } from './rivo-server.js';
import { RivoState, type BatchMode, type RivoBehaviour } from './rivo-state.js';
import { generateShop, type GeneratedShop } from './shop.js';
import { Waits } from './side-server.js';
import { StatsCollector, type SandboxStats } from './stats.js';
import { createYotpoServer, YOTPO_PREFIX } from './yotpo-server.js';
import { YotpoState } from './yotpo-state.js';

/**
 * Local stand-ins for Yotpo Loyalty and Rivo, written to shared/reference (not to our client), on real HTTP
 * servers: the demo, end-to-end tests and benchmarks all run against them.
 */

export type { FaultKind, FaultOptions } from './faults.js';
export type { BatchMode, RivoBehaviour, RivoCustomerInput } from './rivo-state.js';
export { DEFAULT_RIVO_BEHAVIOUR, RivoState } from './rivo-state.js';
export { AWARDABLE_CATEGORIES, DEFAULT_EARNING_RULES, DEFAULT_TIER_MULTIPLIERS, EarningRules } from './rivo-awards.js';
export type { AwardRecord, EarningRuleCategory, EarningRuleRecord } from './rivo-awards.js';
export { YotpoState } from './yotpo-state.js';
export { AWKWARD_KINDS, generateShop, RIVO_TIERS, YOTPO_TIERS } from './shop.js';
export type { AwkwardKind, CaseLabel, GeneratedShop, ShopOptions } from './shop.js';
export type { RivoStats, SandboxStats, YotpoStats } from './stats.js';
export type { RivoCustomerAttributes, RivoEventRecord, RivoTierRecord, YotpoHistoryItem, YotpoRecord, YotpoTier } from './types.js';

export interface YotpoOptions {
  /** Requests per sliding minute; null (default): no limit. */
  rpm?: number | null;
  /** Which list endpoints answer (the other answers 404); default both. */
  listEndpoints?: ('recent' | 'all')[];
  latencyMs?: number;
}

/**
 * The Rivo stand-in's settings. Besides rate and latency, each behaviour switch (`RivoBehaviour`, all off by default:
 * the modelled behaviour) makes it act the other way within what Rivo documents: `perPageCap`, `order`,
 * `batchAtomicity`, `batchItemErrorsIn2xx`, `refuseNegativeBelowZero`, `notePrefix`, `batchIgnoresSkipEmail`,
 * `batchChecksAgainstStart`, `lifetimeNet`, `tierEndpointMissing`, `dobMonthDayOnly`, `expiresAtIgnored`, `expiresAtRefused`,
 * `awardPath`, `customerCursorOpaque`.
 * They can also be changed while it runs, through `sandbox.rivo.behaviour`.
 */
export interface RivoOptions extends Partial<RivoBehaviour> {
  /** Requests per sliding second; null (default): no limit. */
  rps?: number | null;
  latencyMs?: number;
  /** The older name of `batchAtomicity`: 'partial' (default) applies the valid items, 'atomic' applies none. */
  batchMode?: BatchMode;
}

export interface SandboxOptions {
  customers?: number;
  seed?: number;
  awkward?: number;
  host?: string;
  yotpoPort?: number;
  rivoPort?: number;
  yotpo?: YotpoOptions;
  rivo?: RivoOptions;
  faults?: FaultOptions;
  credentials?: Partial<SandboxCredentials>;
}

export interface SandboxCredentials {
  yotpoGuid: string;
  yotpoApiKey: string;
  rivoApiKey: string;
}

export interface Sandbox {
  yotpoUrl: string;
  rivoUrl: string;
  credentials: SandboxCredentials;
  shop: GeneratedShop;
  yotpo: YotpoState;
  rivo: RivoState;
  setFaults(f: FaultOptions): void;
  failNext(side: 'yotpo' | 'rivo', n: number, kind: FaultKind): void;
  stats(): SandboxStats;
  resetStats(): void;
  close(): Promise<void>;
}

/** Fake, sandbox-only credentials: safe to print. */
export const SANDBOX_CREDENTIALS: Readonly<SandboxCredentials> = {
  yotpoGuid: 'sandbox-guid-0000-0000-000000000001',
  yotpoApiKey: 'sandbox-yotpo-api-key',
  rivoApiKey: 'sandbox-rivo-api-key',
};

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const seed = opts.seed ?? 1;
  const host = opts.host ?? '127.0.0.1';
  const shop = generateShop({ customers: opts.customers ?? 100, seed, awkward: opts.awkward ?? 0.2 });
  const credentials: SandboxCredentials = { ...SANDBOX_CREDENTIALS, ...opts.credentials };
  const stats = new StatsCollector();
  const waits = new Waits();
  const faults = {
    yotpo: new FaultInjector(deriveSeed(seed, 'faults:yotpo')),
    rivo: new FaultInjector(deriveSeed(seed, 'faults:rivo')),
  };
  const setFaults = (f: FaultOptions) => {
    const sides = f.only ?? ['yotpo', 'rivo'];
    faults.yotpo.configure(sides.includes('yotpo') ? f : {});
    faults.rivo.configure(sides.includes('rivo') ? f : {});
  };
  setFaults(opts.faults ?? {});

  const yotpo = new YotpoState(shop.yotpoCustomers, shop.yotpoTiers, opts.yotpo?.listEndpoints);
  const { rps: _rps, latencyMs: _latency, batchMode, ...behaviour } = opts.rivo ?? {};
  const rivo = new RivoState(shop.rivoCustomers, shop.rivoTiers, {
    behaviour: { ...behaviour, batchAtomicity: behaviour.batchAtomicity ?? batchMode },
    hooks: { onEventCreated: (e) => stats.eventCreated(e) },
  });

  const yotpoServer = createYotpoServer({
    state: yotpo,
    guid: credentials.yotpoGuid,
    apiKey: credentials.yotpoApiKey,
    rpm: opts.yotpo?.rpm ?? null,
    latencyMs: opts.yotpo?.latencyMs ?? 0,
    faults: faults.yotpo,
    stats,
    headerRng: new Random(deriveSeed(seed, 'headers:yotpo')),
    waits,
  });
  const rivoServer = createRivoServer({
    state: rivo,
    apiKey: credentials.rivoApiKey,
    rps: opts.rivo?.rps ?? null,
    latencyMs: opts.rivo?.latencyMs ?? 0,
    faults: faults.rivo,
    stats,
    headerRng: new Random(deriveSeed(seed, 'headers:rivo')),
    waits,
  });

  let yotpoPort: number;
  let rivoPort: number;
  try {
    yotpoPort = await listen(yotpoServer, opts.yotpoPort ?? 0, host);
    rivoPort = await listen(rivoServer, opts.rivoPort ?? 0, host);
  } catch (err) {
    await Promise.all([shutdown(yotpoServer), shutdown(rivoServer)]);
    throw err;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    yotpoUrl: `http://${urlHost}:${yotpoPort}${YOTPO_PREFIX}`,
    rivoUrl: `http://${urlHost}:${rivoPort}${RIVO_PREFIX}`,
    credentials,
    shop,
    yotpo,
    rivo,
    setFaults,
    failNext: (side, n, kind) => faults[side].failNext(n, kind),
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close: () => {
      closed ??= (async () => {
        waits.cancelAll();
        await Promise.all([shutdown(yotpoServer), shutdown(rivoServer)]);
      })();
      return closed;
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function shutdown(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive sockets and requests parked in a slow answer would otherwise hold close() open.
    server.closeAllConnections();
  });
}

import { Random } from './rng.js';

/** Probabilities per request, 0..1, drawn independently from a seeded stream. */
export interface FaultOptions {
  /** Answer 500/502/503 without applying anything. */
  error5xx?: number;
  /** Start a burst of 429s (a few consecutive requests), with the side's rate-limit headers. */
  rateLimitBurst?: number;
  /** Destroy the socket before answering, without applying. */
  reset?: number;
  /** Delay the answer by `slowMs`; a write is applied before the delay. */
  slow?: number;
  slowMs?: number;
  /** Writes only: apply the write fully, then destroy the socket (the answer never arrives). */
  lostAnswer?: number;
  /**
   * Writes only: destroy the socket at once (no answer) and apply the write `lateApplyMs` later: a server still
   * applying a write after the client gave up on it. A read-back before then does not find it.
   */
  lateApply?: number;
  lateApplyMs?: number;
  /** GET only: answer 200 with an HTML error page. */
  htmlError?: number;
  /** Which side the faults apply to; default both. */
  only?: ('yotpo' | 'rivo')[];
}

export type FaultKind = '5xx' | '429' | 'reset' | 'lostAnswer' | 'slow' | 'lateApply';

/** What happens to one request. `before` short-circuits the handler; the rest acts after it ran. */
export interface FaultDecision {
  before?: { kind: '5xx'; status: 500 | 502 | 503 } | { kind: '429' } | { kind: 'reset' } | { kind: 'html' };
  lostAnswer: boolean;
  slowMs: number;
  /** > 0: no answer; the write is applied this many ms later. */
  lateApplyMs?: number;
}

const DEFAULT_SLOW_MS = 2000;
const DEFAULT_LATE_APPLY_MS = 1000;
const BURST_MIN = 2;
const BURST_MAX = 4;

/** Faults for one side. Deterministic queued faults (`failNext`) take precedence over drawn ones. */
export class FaultInjector {
  private options: FaultOptions = {};
  private readonly queue: FaultKind[] = [];
  private burstLeft = 0;
  private readonly rng: Random;

  constructor(seed: number) {
    this.rng = new Random(seed);
  }

  configure(options: FaultOptions): void {
    this.options = { ...options };
    if (!options.rateLimitBurst) this.burstLeft = 0;
  }

  failNext(n: number, kind: FaultKind): void {
    for (let i = 0; i < n; i++) this.queue.push(kind);
  }

  /** Queued faults not yet used (a `lostAnswer` waits for the next write). */
  pending(): FaultKind[] {
    return [...this.queue];
  }

  decide(method: string): FaultDecision {
    const isWrite = method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
    const isGet = method === 'GET';
    const slowMs = this.options.slowMs ?? DEFAULT_SLOW_MS;
    const lateApplyMs = this.options.lateApplyMs ?? DEFAULT_LATE_APPLY_MS;

    // First queued fault this request can carry, in order: a lostAnswer is kept for the next write.
    const idx = this.queue.findIndex((k) => (k !== 'lostAnswer' && k !== 'lateApply') || isWrite);
    if (idx >= 0) {
      const kind = this.queue.splice(idx, 1)[0] as FaultKind;
      switch (kind) {
        case '5xx':
          return { before: { kind: '5xx', status: 503 }, lostAnswer: false, slowMs: 0 };
        case '429':
          return { before: { kind: '429' }, lostAnswer: false, slowMs: 0 };
        case 'reset':
          return { before: { kind: 'reset' }, lostAnswer: false, slowMs: 0 };
        case 'lostAnswer':
          return { lostAnswer: true, slowMs: 0 };
        case 'slow':
          return { lostAnswer: false, slowMs };
        case 'lateApply':
          return { lostAnswer: false, slowMs: 0, lateApplyMs };
      }
    }

    const o = this.options;
    // Every probability is drawn on every request, so the stream does not depend on which faults fired.
    const draw = {
      burst: this.rng.chance(o.rateLimitBurst ?? 0),
      reset: this.rng.chance(o.reset ?? 0),
      e5xx: this.rng.chance(o.error5xx ?? 0),
      html: this.rng.chance(o.htmlError ?? 0),
      lost: this.rng.chance(o.lostAnswer ?? 0),
      slow: this.rng.chance(o.slow ?? 0),
      // Drawn only when asked for, so the streams of seeds in use before it existed stay as they were.
      late: o.lateApply ? this.rng.chance(o.lateApply) : false,
      status: this.rng.pick([500, 502, 503] as const),
      burstLength: this.rng.int(BURST_MIN, BURST_MAX),
    };
    const after = { lostAnswer: draw.lost && isWrite, slowMs: draw.slow ? slowMs : 0 };
    if (this.burstLeft > 0) {
      this.burstLeft--;
      return { before: { kind: '429' }, lostAnswer: false, slowMs: 0 };
    }
    if (draw.burst) {
      this.burstLeft = draw.burstLength - 1;
      return { before: { kind: '429' }, lostAnswer: false, slowMs: 0 };
    }
    if (draw.reset) return { before: { kind: 'reset' }, lostAnswer: false, slowMs: 0 };
    if (draw.e5xx) return { before: { kind: '5xx', status: draw.status }, lostAnswer: false, slowMs: 0 };
    if (draw.html && isGet) return { before: { kind: 'html' }, lostAnswer: false, slowMs: after.slowMs };
    if (draw.late && isWrite) return { lostAnswer: false, slowMs: 0, lateApplyMs };
    return after;
  }
}

/**
 * Per-request warnings (uncertain writes, retries, isolated batches…) happen by the dozen on a faulty network. On a
 * terminal they are counted by kind on one line of the live display, the details going to the JSON-lines log; this
 * module decides which lines are such warnings and how the counts read.
 */

export type TallyKind = 'uncertain' | 'settling' | 'isolated' | 'exhausted' | 'retry5xx' | 'retry429' | 'retryNetwork' | 'retryOther';

export interface Tally {
  counts: Record<TallyKind, number>;
  settled: { found: number; absent: number; duplicates: number; unreadable: number };
}

export function emptyTally(): Tally {
  return {
    counts: { uncertain: 0, settling: 0, isolated: 0, exhausted: 0, retry5xx: 0, retry429: 0, retryNetwork: 0, retryOther: 0 },
    settled: { found: 0, absent: 0, duplicates: 0, unreadable: 0 },
  };
}

/**
 * The loader's recovery lines that are per request (its wording is in src/load/engine.ts and src/load/send.ts): the kind and how many
 * events or customers each one is about. Anything else (a DUPLICATE, writes left in flight by a crash) is not a
 * routine recovery and stays a printed message: `null`.
 */
export function classifyLoadLine(line: string): { kind: TallyKind; n: number } | null {
  let m = /^a batch of (\d+) event\(s\) has an uncertain outcome/.exec(line);
  if (m) return { kind: 'uncertain', n: Number(m[1]) };
  if (/^event \S+ has an uncertain outcome/.test(line)) return { kind: 'uncertain', n: 1 };
  m = /^settling (\d+) customer\(s\) with uncertain writes/.exec(line);
  if (m) return { kind: 'settling', n: Number(m[1]) };
  if (/^a batch of \d+ event\(s\) was refused/.test(line)) return { kind: 'isolated', n: 1 };
  if (/^customer .* failed \d+ times in this run; left pending/.test(line)) return { kind: 'exhausted', n: 1 };
  return null;
}

/** A retried request by its answer: 5xx, 429, no answer at all (reset, timeout), or another status. */
export function retryKind(status: number | undefined): TallyKind {
  if (status === undefined || status === 408) return 'retryNetwork';
  if (status === 429) return 'retry429';
  if (status >= 500) return 'retry5xx';
  return 'retryOther';
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** One line, empty when nothing happened: "84 uncertain writes, settled by read-back: 84 found · 12 retries (…)". */
export function formatTally(t: Tally): string {
  const c = t.counts;
  const parts: string[] = [];
  if (c.uncertain) {
    const s = t.settled;
    const settled = [
      s.found ? `${s.found} found` : '',
      s.absent ? `${s.absent} absent (sent again)` : '',
      s.duplicates ? `${s.duplicates} DUPLICATED` : '',
      s.unreadable ? `${s.unreadable} unreadable` : '',
    ].filter(Boolean);
    parts.push(`${plural(c.uncertain, 'uncertain write')}${settled.length ? `, settled by read-back: ${settled.join(', ')}` : ', being settled by read-back'}`);
  }
  const retries = c.retry5xx + c.retry429 + c.retryNetwork + c.retryOther;
  if (retries) {
    const why = [
      c.retry5xx ? `${c.retry5xx} server errors` : '',
      c.retry429 ? `${c.retry429} rate limited` : '',
      c.retryNetwork ? `${c.retryNetwork} no answer` : '',
      c.retryOther ? `${c.retryOther} other` : '',
    ].filter(Boolean);
    parts.push(`${plural(retries, 'retry', 'retries')} (${why.join(', ')})`);
  }
  if (c.isolated) parts.push(`${plural(c.isolated, 'refused batch', 'refused batches')} sent again one event at a time`);
  if (c.exhausted) parts.push(`${plural(c.exhausted, 'customer')} left pending after repeated failures`);
  return parts.join(' · ');
}

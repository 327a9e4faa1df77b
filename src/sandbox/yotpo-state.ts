import type { YotpoHistoryItem, YotpoRecord, YotpoTier } from './types.js';

interface Entry {
  /** Listing order and cursor position: stable while records are added, changed or removed mid-listing. */
  seq: number;
  record: YotpoRecord;
}

/** Yotpo's customers as the stand-in serves them; tests change balances here between runs. */
export class YotpoState {
  private readonly entries: Entry[] = [];
  private nextSeq = 1;
  private readonly tierList: YotpoTier[];
  /** Which list endpoints answer (the other is a 404), switchable at run time. */
  listEndpoints: ('recent' | 'all')[];

  constructor(records: readonly YotpoRecord[], tiers: readonly YotpoTier[], listEndpoints: ('recent' | 'all')[] = ['recent', 'all']) {
    for (const r of records) this.add(r);
    this.tierList = tiers.map((t) => ({ ...t }));
    this.listEndpoints = [...listEndpoints];
  }

  /** Every record as served, in listing order (copies). */
  customers(): YotpoRecord[] {
    return this.entries.map((e) => structuredClone(e.record));
  }

  tiers(): YotpoTier[] {
    return this.tierList.map((t) => ({ ...t }));
  }

  add(record: YotpoRecord): void {
    this.entries.push({ seq: this.nextSeq++, record: structuredClone(record) });
  }

  /** Merges `patch` into the record; a key set to `undefined` is removed from it. Throws when no record matches. */
  update(email: string, patch: Partial<YotpoRecord>): YotpoRecord {
    const entry = this.find(email);
    if (!entry) throw new Error(`sandbox: no Yotpo record with email ${JSON.stringify(email)}`);
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete entry.record[k];
      else entry.record[k] = structuredClone(v);
    }
    return structuredClone(entry.record);
  }

  remove(email: string): boolean {
    const entry = this.find(email);
    if (!entry) return false;
    this.entries.splice(this.entries.indexOf(entry), 1);
    return true;
  }

  /** Exact email first (tests name awkward records exactly), then trimmed and case-insensitive. */
  private find(email: string): Entry | undefined {
    return this.entries.find((e) => e.record.email === email) ?? this.entries.find((e) => sameEmail(e.record.email, email));
  }

  // --- what the server needs ---

  /** Records after cursor position `afterSeq`, in order. */
  pageAfter(afterSeq: number, limit: number): { items: { seq: number; record: YotpoRecord }[]; more: boolean } {
    // Entries are in ascending seq (only ever appended), so the position is a binary search away.
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid] as Entry).seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const items = this.entries.slice(lo, lo + limit).map((e) => ({ seq: e.seq, record: e.record }));
    return { items, more: lo + limit < this.entries.length };
  }

  /** Records seen at or after `lastSeenAt` (all when undefined). */
  filtered(lastSeenAt: number | undefined): YotpoRecord[] {
    const all = this.entries.map((e) => e.record);
    if (lastSeenAt === undefined) return all;
    return all.filter((r) => typeof r.last_seen_at === 'string' && Date.parse(r.last_seen_at) >= lastSeenAt);
  }

  byEmail(email: string): YotpoRecord | undefined {
    return this.find(email)?.record;
  }

  byShopifyId(id: string): YotpoRecord | undefined {
    const want = id.trim();
    return this.entries.find((e) => String(e.record.third_party_id ?? e.record.thirty_party_id ?? '') === want)?.record;
  }

  byPhone(phone: string): YotpoRecord | undefined {
    const want = phone.replace(/[^\d+]/g, '');
    return this.entries.find((e) => typeof e.record.phone_number === 'string' && e.record.phone_number === want)?.record;
  }
}

function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * A plausible history for `with_history=true`, derived from the record so it agrees with its balances: one earning
 * item for `points_earned`, and a redemption for whatever left the balance without lowering lifetime.
 */
export function historyFor(record: YotpoRecord): YotpoHistoryItem[] {
  const earned = typeof record.points_earned === 'number' ? record.points_earned : 0;
  const balance = typeof record.points_balance === 'number' ? record.points_balance : 0;
  const at = typeof record.opted_in_at === 'string' ? record.opted_in_at : '2024-01-01T00:00:00.000Z';
  const later = typeof record.last_seen_at === 'string' ? record.last_seen_at : at;
  const items: YotpoHistoryItem[] = [];
  if (earned > 0) items.push({ created_at: at, date: at.slice(0, 10), action: 'Made a purchase', points: earned, status: 'Approved' });
  if (earned > balance) {
    items.push({ created_at: later, date: later.slice(0, 10), action: 'Redeemed a reward', points: balance - earned, status: 'REWARD-CODE' });
  }
  return items;
}

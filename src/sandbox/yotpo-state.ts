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
  /** History lookups (`with_history=true`) answered, per email (trimmed, lower case). */
  readonly historyLookups = new Map<string, number>();
  /** Per email (trimmed, lower case): a history served instead of the derived one, or a 404 for history lookups. */
  private readonly historyOverrides = new Map<string, unknown[] | 'not_found' | HistoryCase>();

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

  /**
   * Switches one customer's history: a list of items served as given (anything, for unreadable items), `not_found`
   * (a 404 to the history lookup), or one of the `HistoryCase`s derived from the record; null restores the default.
   */
  setHistory(email: string, history: unknown[] | 'not_found' | HistoryCase | null): void {
    const key = email.trim().toLowerCase();
    if (history === null) this.historyOverrides.delete(key);
    else this.historyOverrides.set(key, typeof history === 'string' ? history : structuredClone(history));
  }

  /** What a history lookup of this record answers: its items, or `not_found`. Counts the lookup. */
  historyOf(record: YotpoRecord): unknown[] | 'not_found' {
    const key = record.email.trim().toLowerCase();
    this.historyLookups.set(key, (this.historyLookups.get(key) ?? 0) + 1);
    return this.historyServed(record);
  }

  /** The same answer, without counting a lookup (for tests comparing Rivo with what Yotpo served). */
  historyServed(record: YotpoRecord): unknown[] | 'not_found' {
    const key = record.email.trim().toLowerCase();
    const o = this.historyOverrides.get(key);
    if (o === undefined) return historyFor(record);
    if (o === 'not_found') return o;
    if (typeof o === 'string') return historyCase(record, o);
    return structuredClone(o);
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
 * Histories that cannot be replayed exactly, derived from the record: `not_add_up` (redeems more than the lifetime
 * leaves room for), `exceeds_lifetime` (earns more than points_earned), `pending_matters` (a pending item and a
 * total that does not match the balance without it), `unreadable` (an item whose points are not a number).
 */
export type HistoryCase = 'not_add_up' | 'exceeds_lifetime' | 'pending_matters' | 'unreadable' | 'rich' | 'simple';

/**
 * The history a record gets by default: one in three customers (by email) the rich one, the others the simple one,
 * so a shop's histories vary and a demo's extra events stay few.
 */
export function historyFor(record: YotpoRecord): YotpoHistoryItem[] {
  const email = record.email.trim().toLowerCase();
  let h = 0;
  for (let i = 0; i < email.length; i++) h = (h * 31 + email.charCodeAt(i)) >>> 0;
  return h % 3 === 0 ? richHistoryFor(record) : simpleHistoryFor(record);
}

/** One purchase for all of `points_earned`, one redemption for what left the balance, an adjustment above lifetime. */
export function simpleHistoryFor(record: YotpoRecord): YotpoHistoryItem[] {
  const earned = whole(record.points_earned);
  const balance = whole(record.points_balance);
  const at = typeof record.opted_in_at === 'string' ? record.opted_in_at : '2024-01-01T00:00:00.000Z';
  const later = typeof record.last_seen_at === 'string' ? record.last_seen_at : at;
  const items: YotpoHistoryItem[] = [];
  if (earned > 0) items.push({ created_at: at, date: at.slice(0, 10), action: 'Made a purchase', points: earned, status: 'Approved' });
  if (earned > balance) items.push({ created_at: later, date: later.slice(0, 10), action: 'Redeemed a reward', points: balance - earned, status: 'REWARD-CODE' });
  if (balance > earned) items.push({ created_at: later, date: later.slice(0, 10), action: 'Points adjusted', points: balance - earned, status: 'Approved' });
  return items;
}

/**
 * A rich history for `with_history=true`, derived from the record so it agrees with its balances, oldest first:
 * an account creation, a social follow (a one-time action: `action_name` and `completed_at`), purchases summing to
 * `points_earned`; a coupon redemption (status: the code) and a points expiry for what left the balance; an
 * adjustment for a balance above lifetime; and a pending purchase that counts towards nothing yet. Items of 0 points
 * are left out.
 */
export function richHistoryFor(record: YotpoRecord): YotpoHistoryItem[] {
  const earned = whole(record.points_earned);
  const balance = whole(record.points_balance);
  const start = typeof record.opted_in_at === 'string' ? Date.parse(record.opted_in_at) : Date.parse('2024-01-01T00:00:00.000Z');
  const end0 = typeof record.last_seen_at === 'string' ? Date.parse(record.last_seen_at) : start;
  const end = Number.isNaN(end0) || end0 < start ? start : end0;
  const at = (f: number) => new Date((Number.isNaN(start) ? Date.parse('2024-01-01T00:00:00.000Z') : start) + Math.round((end - start) * f)).toISOString();
  const item = (f: number, action: string, points: number, status: string, extra: Partial<YotpoHistoryItem> = {}): YotpoHistoryItem => {
    const created = at(f);
    return { created_at: created, date: created.slice(0, 10), action, points, status, ...extra };
  };
  const account = Math.min(100, Math.floor(earned / 5));
  const follow = Math.min(50, Math.floor(earned / 10));
  const rest = earned - account - follow;
  const firstPurchase = Math.floor(rest / 2);
  const spentOrExpired = Math.max(earned - balance, 0);
  const expired = Math.floor(spentOrExpired / 5);
  const redeemed = spentOrExpired - expired;
  const code = `FIVEOFF-${record.email.trim().toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 6).toUpperCase()}`;
  const items = [
    item(0, 'Created an account', account, 'Approved', { action_name: 'create_account', completed_at: at(0) }),
    item(0.1, 'Followed us on Instagram', follow, 'Approved', { action_name: 'instagram_follow', completed_at: at(0.1) }),
    item(0.3, 'Made a purchase', firstPurchase, 'Approved'),
    item(0.5, 'Redeemed $5 off', -redeemed, code),
    item(0.6, 'Made a purchase', rest - firstPurchase, 'Approved'),
    item(0.8, 'Points expired', -expired, 'Expired'),
    // A balance above lifetime: an admin adjustment that did not count towards points_earned.
    item(0.9, 'Points adjusted', Math.max(balance - earned, 0), 'Approved'),
    item(1, 'Made a purchase', earned > 0 ? 25 : 0, 'Pending'),
  ];
  return items.filter((i) => i.points !== 0);
}

function historyCase(record: YotpoRecord, c: HistoryCase): unknown[] {
  if (c === 'rich') return richHistoryFor(record);
  if (c === 'simple') return simpleHistoryFor(record);
  // Without the pending purchase, so each case fails for its own reason only.
  const base = richHistoryFor(record).filter((i) => i.status !== 'Pending');
  const last = base[base.length - 1]!;
  const extra = (action: string, points: number, status: string) => ({ created_at: last.created_at, date: last.date, action, points, status });
  switch (c) {
    case 'exceeds_lifetime':
      return [...base, extra('Made a purchase', 500, 'Approved')];
    case 'not_add_up':
      return [...base, extra('Redeemed $50 off', -(whole(record.points_balance) + 1000), 'FIFTYOFF-X')];
    case 'pending_matters':
      // The balance is explained only if the pending purchase already counted in Yotpo: which it did is unknowable.
      return [...base, extra('Made a purchase', 40, 'Pending'), extra('Redeemed $1 off', -40, 'ONEOFF-X')];
    case 'unreadable':
      return [...base, { ...extra('Made a purchase', 0, 'Approved'), points: 'ten' }];
  }
}

/** Whole points as the extractor reads them (numbers or numeric strings); 0 for anything else. */
function whole(v: unknown): number {
  const n = typeof v === 'string' && /^\s*\+?\d+(\.0+)?\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

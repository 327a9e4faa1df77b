import type { RivoCustomerSnapshot, YotpoCustomer } from '../domain.js';
import { ConfigError } from '../errors.js';

/**
 * Who is who: a Yotpo record's Rivo customer. Pure: `lookup` is a view of what the planner already fetched.
 *
 * Rules (migration-semantics.md, Identity):
 *  1. an explicit `mapping.identityMap` entry decides (matched by the record's third_party_id first, then its
 *     email, case-insensitively); its value is a Rivo customer id, or "skip";
 *  2. otherwise the Shopify id (`thirdPartyId`) when Rivo knows it, else the normalised email;
 *  3. a Rivo customer takes at most one Yotpo record. When several land on one Rivo customer: if exactly one of them
 *     is mapped explicitly, it wins and the others are `conflict` (never a silent drop of their points); otherwise
 *     all of them are `conflict`, and that Rivo customer is left alone until the user maps them.
 */

export type Resolution =
  | { kind: 'matched'; rivoId: string; via: 'third_party_id' | 'email' | 'identity_map' | 'ledger' }
  | { kind: 'unmatched'; reason: string }
  | { kind: 'conflict'; rivoId: string; with: string[]; reason: string }
  | { kind: 'skipped'; reason: string };

export interface RivoLookup {
  byId(id: string): RivoCustomerSnapshot | undefined;
  /** By normalised email (see `normaliseEmail`). */
  byEmail(normEmail: string): RivoCustomerSnapshot | undefined;
}

/** Yotpo email or third_party_id (any case) -> Rivo customer id, or "skip". */
export type IdentityMap = Readonly<Record<string, string>>;

export type IdentityCustomer = Pick<YotpoCustomer, 'key' | 'email' | 'thirdPartyId'>;

/** Trimmed and lower-cased; null when there is nothing left. */
export function normaliseEmail(email: string | null | undefined): string | null {
  if (typeof email !== 'string') return null;
  const e = email.trim().toLowerCase();
  return e === '' ? null : e;
}

function normaliseId(id: string | null | undefined): string | null {
  if (typeof id !== 'string') return null;
  const t = id.trim();
  return t === '' ? null : t;
}

const isSkip = (v: string) => v.trim().toLowerCase() === 'skip';

/** Entries of an identity map that cannot be applied as written; `resolveIdentities` throws a ConfigError on them. */
export function identityMapProblems(identityMap: IdentityMap): string[] {
  const seen = new Map<string, { raw: string; value: string }>();
  const problems: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(identityMap)) {
    const key = rawKey.trim().toLowerCase();
    const value = rawValue.trim();
    if (key === '') problems.push('mapping.identityMap: an entry has an empty key');
    if (value === '') problems.push(`mapping.identityMap.${rawKey}: empty value (give a Rivo customer id or "skip")`);
    const prev = seen.get(key);
    if (prev && prev.value !== value && !(isSkip(prev.value) && isSkip(value)))
      problems.push(`mapping.identityMap: "${prev.raw}" and "${rawKey}" are the same key and disagree ("${prev.value}" vs "${value}")`);
    if (!prev) seen.set(key, { raw: rawKey, value });
  }
  return problems;
}

/** A lookup over a list of snapshots (first one wins when two share an id or an email). */
export function lookupFromSnapshots(snapshots: readonly RivoCustomerSnapshot[]): RivoLookup {
  const byId = new Map<string, RivoCustomerSnapshot>();
  const byEmail = new Map<string, RivoCustomerSnapshot>();
  for (const s of snapshots) {
    if (!byId.has(s.id)) byId.set(s.id, s);
    const e = normaliseEmail(s.email);
    if (e !== null && !byEmail.has(e)) byEmail.set(e, s);
  }
  return { byId: (id) => byId.get(id), byEmail: (e) => byEmail.get(e) };
}

type Candidate =
  | { kind: 'final'; resolution: Resolution }
  | { kind: 'rivo'; rivoId: string; explicit: boolean; via: 'third_party_id' | 'email' | 'identity_map' };

/**
 * One resolution per customer key, in input order. Throws ConfigError when the identity map contradicts itself,
 * and Error when two records share a key (a bug upstream).
 */
export function resolveIdentities(
  customers: readonly IdentityCustomer[],
  lookup: RivoLookup,
  identityMap: IdentityMap = {},
): Map<string, Resolution> {
  const problems = identityMapProblems(identityMap);
  if (problems.length) throw new ConfigError('mapping.identityMap cannot be applied:', problems);
  const explicit = new Map(Object.entries(identityMap).map(([k, v]) => [k.trim().toLowerCase(), v.trim()] as const));

  const candidates = new Map<string, Candidate>();
  for (const c of customers) {
    if (candidates.has(c.key)) throw new Error(`resolveIdentities: customer key ${c.key} appears twice`);
    candidates.set(c.key, candidate(c, lookup, explicit));
  }

  // Group the records that landed on a Rivo customer.
  const groups = new Map<string, IdentityCustomer[]>();
  for (const c of customers) {
    const cand = candidates.get(c.key)!;
    if (cand.kind !== 'rivo') continue;
    const g = groups.get(cand.rivoId);
    if (g) g.push(c);
    else groups.set(cand.rivoId, [c]);
  }

  const out = new Map<string, Resolution>();
  for (const c of customers) {
    const cand = candidates.get(c.key)!;
    if (cand.kind === 'final') {
      out.set(c.key, cand.resolution);
      continue;
    }
    const group = groups.get(cand.rivoId)!;
    if (group.length === 1) {
      out.set(c.key, { kind: 'matched', rivoId: cand.rivoId, via: cand.via });
      continue;
    }
    const others = group.filter((o) => o.key !== c.key);
    const explicitOnes = group.filter((o) => (candidates.get(o.key) as Extract<Candidate, { kind: 'rivo' }>).explicit);
    const withKeys = others.map((o) => o.key);
    if (explicitOnes.length === 1) {
      const owner = explicitOnes[0]!;
      if (owner.key === c.key) out.set(c.key, { kind: 'matched', rivoId: cand.rivoId, via: 'identity_map' });
      else
        out.set(c.key, {
          kind: 'conflict',
          rivoId: cand.rivoId,
          with: withKeys,
          reason:
            `Rivo customer ${cand.rivoId} is given to ${label(owner)} by mapping.identityMap, and this record matches it too ` +
            `(by ${cand.via === 'third_party_id' ? 'Shopify id' : 'email'}): map this record as well (to another Rivo id or "skip")`,
        });
      continue;
    }
    const how = explicitOnes.length > 1 ? 'mapping.identityMap sends several records to' : 'several Yotpo records resolve to';
    out.set(c.key, {
      kind: 'conflict',
      rivoId: cand.rivoId,
      with: withKeys,
      reason:
        `${how} Rivo customer ${cand.rivoId}: this one and ${others.map(label).join(', ')}; ` +
        'left untouched until each is mapped in mapping.identityMap (to a Rivo id or "skip")',
    });
  }
  return out;
}

function candidate(c: IdentityCustomer, lookup: RivoLookup, explicit: Map<string, string>): Candidate {
  const tpid = normaliseId(c.thirdPartyId);
  const email = normaliseEmail(c.email);

  const fromMap = (tpid !== null ? explicit.get(tpid.toLowerCase()) : undefined) ?? (email !== null ? explicit.get(email) : undefined);
  if (fromMap !== undefined) {
    const mapKey = tpid !== null && explicit.has(tpid.toLowerCase()) ? tpid : email;
    if (isSkip(fromMap)) return { kind: 'final', resolution: { kind: 'skipped', reason: `mapping.identityMap says "skip" for ${mapKey}` } };
    // The value is a Rivo customer id; an email is accepted too, since Rivo takes either as an identifier.
    const target = lookup.byId(fromMap) ?? (fromMap.includes('@') ? lookup.byEmail(normaliseEmail(fromMap) ?? '') : undefined);
    if (!target)
      return {
        kind: 'final',
        resolution: {
          kind: 'unmatched',
          reason: `mapping.identityMap sends ${mapKey} to Rivo customer ${fromMap}, which Rivo does not know (yet)`,
        },
      };
    return { kind: 'rivo', rivoId: target.id, explicit: true, via: 'identity_map' };
  }

  if (tpid !== null) {
    const r = lookup.byId(tpid);
    if (r) return { kind: 'rivo', rivoId: r.id, explicit: false, via: 'third_party_id' };
  }
  if (email !== null) {
    const r = lookup.byEmail(email);
    if (r) return { kind: 'rivo', rivoId: r.id, explicit: false, via: 'email' };
  }
  const tried = [tpid !== null ? `Shopify id ${tpid}` : null, email !== null ? `email ${email}` : null].filter((x) => x !== null);
  return {
    kind: 'final',
    resolution: {
      kind: 'unmatched',
      reason: tried.length
        ? `no Rivo customer with ${tried.join(' or ')} (retried on the next run)`
        : 'no email and no Shopify id to match on',
    },
  };
}

function label(c: IdentityCustomer): string {
  const e = typeof c.email === 'string' ? c.email.trim() : '';
  return e !== '' ? e : `record ${c.key} (no email)`;
}

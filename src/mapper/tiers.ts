import type { RivoTier } from '../domain.js';

export type TierMatch = { kind: 'found'; tier: RivoTier; via: 'tier_map' | 'name' } | { kind: 'unmapped'; note: string };

const norm = (s: string) => s.trim().toLowerCase();

/**
 * Every note about a tier left unset starts this way; the reports count unmapped tiers by it
 * (`UNMAPPED_TIER_NOTE_LIKE`), so the two must change together.
 */
const unmappedNote = (yotpoTierName: string, why: string) => `tier "${yotpoTierName}" not set: ${why}`;
/** SQL LIKE pattern matching `unmappedNote`. */
export const UNMAPPED_TIER_NOTE_LIKE = 'tier "%" not set:%';

/**
 * The Rivo tier for a Yotpo tier name: `tierMap` first (keys any case; value a Rivo tier id or name), else the Rivo
 * tier of the same name, case-insensitively. Anything else (no such tier, a map entry pointing nowhere, two Rivo
 * tiers with the same name) is `unmapped` with a note the merchant can act on.
 */
export function matchTier(yotpoTierName: string, tiers: readonly RivoTier[], tierMap: Readonly<Record<string, string>>): TierMatch {
  const name = norm(yotpoTierName);
  const mapped = Object.entries(tierMap).find(([k]) => norm(k) === name)?.[1]?.trim();
  if (mapped !== undefined) {
    const byId = tiers.find((t) => t.id === mapped);
    if (byId) return { kind: 'found', tier: byId, via: 'tier_map' };
    const byName = tiers.filter((t) => norm(t.name) === norm(mapped));
    if (byName.length === 1) return { kind: 'found', tier: byName[0]!, via: 'tier_map' };
    return {
      kind: 'unmapped',
      note: byName.length
        ? unmappedNote(yotpoTierName, `mapping.tierMap points to "${mapped}", which names ${byName.length} Rivo tiers (use its id)`)
        : unmappedNote(yotpoTierName, `mapping.tierMap points to "${mapped}", which is not a Rivo tier id or name`),
    };
  }
  const byName = tiers.filter((t) => norm(t.name) === name);
  if (byName.length === 1) return { kind: 'found', tier: byName[0]!, via: 'name' };
  return {
    kind: 'unmapped',
    note: byName.length
      ? unmappedNote(yotpoTierName, `${byName.length} Rivo tiers have that name; choose one in mapping.tierMap`)
      : unmappedNote(yotpoTierName, 'Rivo has no tier of that name; add it to mapping.tierMap'),
  };
}

import type { ExtractedRecord } from '../../src/ledger/types.js';

/** A valid, empty extracted Yotpo record (what the extractor hands the ledger); tests override what they need. */
export function anExtractedRecord(key: string, overrides: Partial<ExtractedRecord> = {}): ExtractedRecord {
  const email = overrides.email === undefined ? `${key}@example.com` : overrides.email;
  return {
    key,
    source: 'api',
    email,
    emailNorm: email ? email.trim().toLowerCase() : null,
    thirdPartyId: null,
    firstName: null,
    lastName: null,
    pointsBalance: 0,
    pointsEarned: 0,
    creditCents: 0,
    tierName: null,
    birthdayMonth: null,
    birthDay: null,
    birthdayYear: null,
    optedIn: true,
    lastActivityAt: null,
    rawJson: '{}',
    valuesHash: `h-${key}-${overrides.pointsBalance ?? 0}`,
    invalidReason: null,
    ...overrides,
  };
}

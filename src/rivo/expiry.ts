import type { ExpirySetting } from '../config/schema.js';
import type { RivoProfile } from './profile.js';

export interface ExpiryDecision {
  /** Whether migrated earn events carry `expires_at`. */
  send: boolean;
  setting: ExpirySetting;
  /** Why, for the plan's summary and the log. */
  reason: string;
}

/**
 * The one place that decides whether Yotpo's `points_expire_at` travels as `expires_at` on the migrated earn event.
 * Rivo lists `expires_at` on events but does not document it on creation ([unconfirmed] in rivo-api.md), so `auto`
 * (the default) sends it only once the pilot saw this store store it and list it back as sent: a store that refuses
 * it would refuse the earn event itself, and one that drops it would let the plan promise dates Rivo never keeps.
 * `send` forces it (a refusing store then rejects those customers: held, never half-migrated); `off` never sends it.
 */
export function decideExpiry(setting: ExpirySetting, profile: Pick<RivoProfile, 'expiresAt'>): ExpiryDecision {
  if (setting === 'off') return { send: false, setting, reason: 'mapping.expiry off' };
  if (setting === 'send') return { send: true, setting, reason: `mapping.expiry send (pilot: ${profile.expiresAt})` };
  if (profile.expiresAt === 'accepted') return { send: true, setting, reason: 'mapping.expiry auto: the pilot confirmed Rivo keeps expires_at' };
  const why =
    profile.expiresAt === 'refused'
      ? 'Rivo refused an event carrying expires_at (pilot)'
      : profile.expiresAt === 'ignored'
        ? 'Rivo dropped expires_at from the event it stored (pilot)'
        : 'no pilot has confirmed that Rivo keeps expires_at';
  return { send: false, setting, reason: `mapping.expiry auto: not sent, ${why}` };
}

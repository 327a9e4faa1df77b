import type { SendMode } from '../config/schema.js';
import type { RivoProfile } from './profile.js';


export interface ResolvedSendMode {
  mode: 'batch' | 'single';
  setting: SendMode;
  /** Why this mode: for the log and the JSON summary. */
  reason: string;
  /** One line for the person, or null when there is nothing to say. */
  hint: string | null;
}

/**
 * The one place that decides how events are sent. `auto` (the default) sends batches only once a person confirmed
 * that this store's batch events are silent (`pilot --confirm-no-email`): Rivo documents `skip_email` for single
 * events only, and a batch endpoint that ignored it would email every migrated customer. `batch`/`single` force it.
 */
export function resolveSendMode(setting: SendMode, profile: RivoProfile, batchSize = 10): ResolvedSendMode {
  const silent = profile.batchSkipEmail === 'silent';
  if (setting === 'single') return { mode: 'single', setting, reason: 'rivo.sendMode single', hint: null };
  if (setting === 'batch')
    return {
      mode: 'batch',
      setting,
      reason: 'rivo.sendMode batch',
      hint: silent
        ? null
        : profile.batchSkipEmail === 'emails'
          ? 'warning: rivo.sendMode is batch, but on this store batch events email customers (pilot): every migrated customer may get an email.'
          : 'warning: rivo.sendMode is batch, but nobody has confirmed that this store\'s batch events are silent (`pilot`, then `pilot --confirm-no-email`).',
    };
  if (silent) return { mode: 'batch', setting, reason: 'rivo.sendMode auto: batch emails confirmed silent by the pilot', hint: null };
  return {
    mode: 'single',
    setting,
    reason: `rivo.sendMode auto: batch emails ${profile.batchSkipEmail === 'emails' ? 'reach customers on this store' : 'not confirmed silent'}`,
    hint:
      profile.batchSkipEmail === 'emails'
        ? null
        : `Sending single events (skip_email is documented only for them). Batches would be up to ${batchSize}× faster (${batchSize} events per request): ` +
          'run `yotpo-to-rivo pilot --customer <staff email>` and, once no email arrived, `pilot --confirm-no-email`.',
  };
}

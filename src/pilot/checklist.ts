import type { Config } from '../config/schema.js';
import type { RivoProfile } from '../rivo/profile.js';

/**
 * What to pause before real writes: `skip_email` stops Rivo's own "you earned points" email, nothing else. Said by
 * the pilot, the dry run, the first load of a run and the report, so nobody meets it first in a customer's inbox.
 */
export function preflightChecklist(config: Config): string[] {
  const items = [
    'Rivo fires a `points_event/created` webhook for every event made through the API, skip_email or not: pause the Klaviyo ' +
      '(or other) flows triggered by Rivo points events until the migration and its verify are done, or they may email every migrated customer.',
  ];
  if (config.mapping.tiers)
    items.push(
      'A VIP tier set through the API may send Rivo\'s "tier unlocked" email and grant the tier\'s entry rewards: turn those off in ' +
        "Rivo's VIP tier and notification settings while migrating, or set mapping.tiers to false.",
    );
  if (config.mapping.birthdays)
    items.push('Setting a birthday may schedule Rivo\'s birthday reward for customers whose birthday is near: check the birthday reward settings.');
  return items;
}

/** The same, plus what this store's profile adds: batches not confirmed silent. */
export function preflightChecklistFor(config: Config, profile: RivoProfile): string[] {
  const items = preflightChecklist(config);
  if (profile.batchSkipEmail !== 'silent')
    items.push(
      'Batch events are not confirmed silent on this store: rivo.sendMode auto sends single events (documented skip_email); ' +
        '`pilot --customer <staff email>`, then `pilot --confirm-no-email` once no email arrived, lets it send batches.',
    );
  return items;
}

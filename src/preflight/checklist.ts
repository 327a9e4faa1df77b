import type { Config } from '../config/schema.js';

/**
 * The pre-flight checklist: what a merchant must pause before the first write to a real store, because Rivo's own
 * `skip_email` does not cover it. One list, shown by the confirmation before a real run (or, without a terminal, as
 * the first load starts), by the dry run, by the pilot and in report.html. Sources: Rivo fires `points_event/created`
 * for points events made through the API (webhook reference, seed 002); a VIP tier or birthday set through the API
 * is a change like any other.
 */

export interface ChecklistItem {
  /** What can happen. */
  risk: string;
  /** What to pause, and where. */
  action: string;
}

export const PREFLIGHT_TITLE = 'Pre-flight checklist (before the first write to your store)';

/** What this run would write: items that cannot happen are left out. (Batch emails are the send mode's hint.) */
export interface ChecklistScope {
  tiers: boolean;
  birthdays: boolean;
  /** One-time actions are mapped (mapping.oneTimeActions): awards go out, and they take no skip_email. */
  awards?: boolean;
}

export function preflightItems(scope: ChecklistScope): ChecklistItem[] {
  const items: ChecklistItem[] = [
    {
      risk:
        'Rivo fires the `points_event/created` webhook for every points event this tool sends. `skip_email` only stops ' +
        "Rivo's own emails: flows in Klaviyo, Shopify Flow, Zapier or similar tools that listen to that webhook may still email every migrated customer.",
      action:
        'Pause those flows for the duration of the run (Klaviyo: Flows, each flow triggered by a Rivo points event, set to Draft or Manual; ' +
        'Shopify Flow / Zapier: turn the workflow off), and switch them back on after `verify`.',
    },
  ];
  if (scope.tiers)
    items.push({
      risk: 'A VIP tier set through the API may send the "tier unlocked" email and give the tier\'s entry rewards (points, discounts).',
      action:
        'In Rivo: Emails, turn off the VIP tier-change emails while the run lasts; VIP tiers, check the entry rewards. ' +
        'To migrate no tiers at all, set `mapping.tiers` to false.',
    });
  if (scope.birthdays)
    items.push({
      risk: "Setting a birthday may schedule Rivo's birthday reward for customers whose birthday is near.",
      action: "Check Rivo's birthday reward settings, or set `mapping.birthdays` to false.",
    });
  if (scope.awards)
    items.push({
      risk:
        "Rivo may notify each customer of an award: the earning rule award endpoint takes no skip_email. Nothing is awarded unless mapped in `mapping.oneTimeActions`.",
      action: "In Rivo: Emails, turn off the earning-rule notification while the run lasts, or empty `mapping.oneTimeActions` to award nothing.",
    });
  items.push({
    risk: 'Anything above is specific to your store and its apps; a pilot run shows it on a few customers.',
    action: 'Run `migrate --limit 5`, then `verify`, and look at those customers in Rivo and in your email tool before the full run.',
  });
  return items;
}

/** The items for a run with this config. */
export function preflightItemsFor(config: Pick<Config, 'mapping'>): ChecklistItem[] {
  return preflightItems({
    tiers: config.mapping.tiers,
    birthdays: config.mapping.birthdays,
    awards: Object.keys(config.mapping.oneTimeActions ?? {}).length > 0,
  });
}

/** One line per item (risk, then what to do): how the pilot stores and prints it. */
export function checklistLines(items: readonly ChecklistItem[]): string[] {
  return items.map((i) => `${i.risk} ${i.action}`);
}

/** The checklist as terminal text: a title and numbered items, each risk then its action, words wrapped at `width`. */
export function formatChecklist(items: readonly ChecklistItem[], width = 100): string {
  const lines = [`${PREFLIGHT_TITLE}:`];
  items.forEach((item, i) => {
    lines.push(...wrap(item.risk, width, `  ${i + 1}. `, '     '));
    lines.push(...wrap(item.action, width, '     → ', '       '));
  });
  return lines.join('\n');
}

function wrap(text: string, width: number, first: string, rest: string): string[] {
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/)) {
    if (!empty && line.length + 1 + word.length > width) {
      out.push(line);
      line = rest + word;
    } else line += (empty ? '' : ' ') + word;
    empty = false;
  }
  out.push(line);
  return out;
}

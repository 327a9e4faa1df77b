/**
 * The pre-flight checklist: what a merchant must pause before the first write to a real store, because Rivo's own
 * `skip_email` does not cover it. One text, shown in the confirmation before a real run, by the dry run, and in
 * report.html. Sources: Rivo fires `points_event/created` for points events made through the API (webhook reference,
 * seed 002); a VIP tier set through the API is a tier change like any other.
 */

export interface ChecklistItem {
  /** What can happen. */
  risk: string;
  /** What to pause, and where. */
  action: string;
}

export const PREFLIGHT_TITLE = 'Pre-flight checklist (before the first write to your store)';

export const PREFLIGHT_ITEMS: readonly ChecklistItem[] = [
  {
    risk:
      'Rivo fires the `points_event/created` webhook for every points event this tool sends. `skip_email` only stops ' +
      "Rivo's own emails: flows in Klaviyo, Shopify Flow, Zapier or similar tools that listen to that webhook may still email every migrated customer.",
    action:
      'Pause those flows for the duration of the run (Klaviyo: Flows, each flow triggered by a Rivo points event, set to Draft or Manual; ' +
      'Shopify Flow / Zapier: turn the workflow off), and switch them back on after `verify`.',
  },
  {
    risk: 'A VIP tier set through the API may send the "tier unlocked" email and give the tier\'s entry rewards (points, discounts).',
    action:
      'In Rivo: Emails, turn off the VIP tier-change emails while the run lasts; VIP tiers, check the entry rewards. ' +
      'To migrate no tiers at all, set `mapping.tiers` to false.',
  },
  {
    risk: 'Anything above is specific to your store and its apps; a pilot shows it on a few customers.',
    action: 'Run `migrate --limit 5`, then `verify`, and look at those customers in Rivo and in your email tool before the full run.',
  },
];

/** The checklist as terminal text: a title and numbered items, each risk then its action, words wrapped at `width`. */
export function formatChecklist(width = 100): string {
  const lines = [`${PREFLIGHT_TITLE}:`];
  PREFLIGHT_ITEMS.forEach((item, i) => {
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

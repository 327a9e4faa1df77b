import { escapeHtml } from './html-escape.js';

/**
 * The report's only way to build HTML: a tagged template that escapes every interpolated value, unless the value is
 * itself HTML built by this template (`SafeHtml`). The literal parts are code, so they are trusted; a value from the
 * DB is always a value, so a cell cannot forget to escape, and a string concatenated into markup by hand does not
 * type-check where `SafeHtml` is expected.
 *
 *   html`<td>${customer.name}</td>`          // the name is escaped
 *   html`<tr>${cells.map((c) => html`<td>${c}</td>`)}</tr>`   // arrays join; their items follow the same rule
 */

/** Makes a `SafeHtml`; set once by the class itself and never exported, so only `html` and `joinHtml` can. */
let trusted: (text: string) => SafeHtml;

export class SafeHtml {
  private constructor(private readonly text: string) {}

  static {
    trusted = (text) => new SafeHtml(text);
  }

  toString(): string {
    return this.text;
  }
}

/** What may be interpolated: values are escaped, `SafeHtml` kept, arrays joined, null/undefined/false left out. */
export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return trusted(out);
}

/** Pieces joined with a separator (the separator is markup from code, e.g. "\n"). */
export function joinHtml(parts: readonly HtmlValue[], separator = ''): SafeHtml {
  return trusted(parts.map(render).join(separator));
}

export function isSafeHtml(value: unknown): value is SafeHtml {
  return value instanceof SafeHtml;
}

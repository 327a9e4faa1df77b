import type { CustomerListing, CustomerPage, ListEndpoint } from '../yotpo/listing.js';

/**
 * Where the extractor reads customer records from, page by page: the Yotpo API (a list endpoint) or an admin CSV
 * export. Both hand out pages with the cursor that follows them; the extractor stores each page with its cursor and
 * never interprets cursors itself.
 */
export interface PageSource {
  readonly kind: 'api' | 'csv';
  /** The list endpoint, for the API. */
  readonly endpoint?: ListEndpoint;
  /** The cursor's name in `extract_cursors`: `api:recent`, `api:all`, `csv:<absolute path>`. */
  readonly source: string;
  /** For messages: "Yotpo /customers/recent", "CSV file /path/export.csv". */
  readonly label: string;
  /** Whether records carry lifetime points at all (a CSV export may lack the column). */
  readonly earnedExpected: boolean;
  /** Things about the source as a whole the user should know (optional columns missing). */
  readonly notes: readonly string[];
  pages(start: string | null): AsyncGenerator<CustomerPage, void, undefined>;
  /** A page record as Yotpo field names, and as it is stored (`raw_json`). */
  prepare(raw: unknown): { fields: unknown; rawJson: string };
  close(): Promise<void>;
}

/** The API listing as a page source: records are already Yotpo records. */
export function apiSource(listing: CustomerListing): PageSource {
  return {
    kind: 'api',
    endpoint: listing.endpoint,
    source: listing.source,
    label: `Yotpo /customers/${listing.endpoint}`,
    earnedExpected: true,
    notes: [],
    pages: (start) => listing.pages(start),
    prepare: (raw) => ({ fields: raw, rawJson: JSON.stringify(raw) ?? 'null' }),
    close: async () => undefined,
  };
}

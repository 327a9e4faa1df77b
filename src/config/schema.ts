import { z } from 'zod';

/**
 * The shape of a complete configuration (defaults merged with the user's file, env and flags).
 * Objects are strict: an unknown key is almost always a typo, and a typo in a migration config must not be ignored.
 */
const positiveInt = z.number().int().positive();
const url = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://');

export const YOTPO_CSV_FIELDS = [
  'email',
  'third_party_id',
  'first_name',
  'last_name',
  'points_balance',
  'points_earned',
  'credit_balance',
  'vip_tier_name',
  'birthday_month',
  'birth_day',
  'birthday_year',
  'opt_in',
  'last_seen_at',
  'points_expire_at',
] as const;

/**
 * How events go to Rivo: `batch` (`/points_events/batch`, up to 10 events a request), `single` (`/points_events`,
 * where `skip_email` is documented), or `auto` (batches once a person confirmed this store's batch events are
 * silent, single until then: `rivo/send-mode.ts`). `rivo.sendMode`, `RIVO_SEND_MODE`, `--send-mode`: one list.
 */
export const SEND_MODES = ['auto', 'batch', 'single'] as const;
export type SendMode = (typeof SEND_MODES)[number];

/** `mapping.expiry`: whether the migrated earn event carries Yotpo's expiry date (see rivo/expiry.ts). */
export const EXPIRY_SETTINGS = ['auto', 'send', 'off'] as const;
export type ExpirySetting = (typeof EXPIRY_SETTINGS)[number];

export const configSchema = z
  .object({
    /** Part of every event key: two migrations with different names never mistake each other's events. */
    migrationName: z.string().min(1).max(40).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    db: z.string().min(1),
    out: z.string().min(1),
    /** Pilot runs: only the first N customers read (in extraction order) are planned and loaded. */
    limit: positiveInt.nullable(),
    /** Mask emails and names in reports. */
    redact: z.boolean(),
    yotpo: z
      .object({
        baseUrl: url,
        rpm: positiveInt.max(100_000),
        /** Which list endpoint to page through; `auto` asks `/customers/recent` first and falls back on 404. */
        listEndpoint: z.enum(['auto', 'recent', 'all']),
        perPage: positiveInt.max(250),
        timeoutMs: positiveInt,
        maxRetries: z.number().int().min(0).max(50),
        /** Column headers of the admin CSV export, by Yotpo field name. */
        csvColumns: z.object(Object.fromEntries(YOTPO_CSV_FIELDS.map((f) => [f, z.string().min(1).optional()]))).strict(),
      })
      .strict(),
    rivo: z
      .object({
        baseUrl: url,
        rps: z.number().positive().max(1000),
        concurrency: positiveInt.max(64),
        sendMode: z.enum(SEND_MODES),
        batchSize: positiveInt.max(10),
        singleEncoding: z.enum(['form', 'json']),
        batchEncoding: z.enum(['form', 'json']),
        timeoutMs: positiveInt,
        /** Retries of one request (5xx, resets, timeouts, 429), with capped backoff. */
        maxRetries: z.number().int().min(0).max(50),
        /**
         * Rounds a customer may fail in one run before it is left pending (run again to resume). `null` (the default):
         * the same number as `maxRetries` (at least 1), which is what `maxRetries` alone meant before this setting
         * existed, so a config file written then keeps its meaning. See `roundsPerCustomer`.
         */
        maxRounds: z.number().int().min(1).max(50).nullable(),
        /** Wait after an uncertain write before reading back, so a slow server that is still applying it is not raced. */
        settleDelayMs: z.number().int().min(0),
        /** Year written into `dob` when Yotpo knows only month and day (2000 is a leap year, so 29 Feb survives). */
        dobUnknownYear: z.number().int().min(1900).max(2100),
        /** How the planner finds Rivo customers: `list` pages through all of them, `get` asks one by one. */
        lookup: z.enum(['auto', 'list', 'get']),
        /**
         * [unconfirmed] Where a rule is awarded (rivo/awards.ts): `earning_rules` (`POST /earning_rules/{id}/award`,
         * as modelled) or `customers` (`POST /customers/{identifier}/earning_rules/{id}/award`).
         */
        awardPath: z.enum(['earning_rules', 'customers']),
      })
      .strict(),
    mapping: z
      .object({
        strategy: z.enum(['lifetime', 'balance']),
        mode: z.enum(['add', 'set']),
        credits: z.boolean(),
        tiers: z.boolean(),
        /** Yotpo tier name (any case) -> Rivo tier name or id. */
        tierMap: z.record(z.string(), z.string()),
        birthdays: z.boolean(),
        skipNonMembers: z.boolean(),
        skipZeroBalance: z.boolean(),
        appliedAt: z.enum(['now', 'last_activity']),
        /** Explicit identity: Yotpo email or third_party_id -> Rivo customer id, or "skip". Resolves conflicts. */
        identityMap: z.record(z.string(), z.string()),
        internalNote: z.string().max(200),
        externalNote: z.string().max(200).nullable(),
        /** The modelled Rivo behaviour (rivo-api.md): false means a negative event leaves lifetime untouched. */
        negativeEventsLowerLifetime: z.boolean(),
        /**
         * Yotpo's `points_expire_at` as `expires_at` on the migrated earn event (undocumented on created events):
         * `auto` sends it once the pilot confirmed this store keeps it (rivo/expiry.ts), `send` forces it, `off` never.
         */
        expiry: z.enum(EXPIRY_SETTINGS),
        /**
         * History replay: each customer's Yotpo history (one lookup each, inside the Yotpo budget) is sent as backdated
         * events, balanced so the totals end where the balance-only migration puts them (mapper/history.ts).
         */
        history: z.boolean(),
        /**
         * One-time actions: Yotpo action name (as in the customer's history, any case) -> Rivo earning rule id. Each
         * completed action is awarded once through Rivo's award endpoint (which takes no skip_email) and counted into
         * the customer's migrated points. Empty: nothing is awarded.
         */
        oneTimeActions: z.record(z.string().min(1), z.string().min(1)),
        /**
         * The highest VIP points multiplier of the Rivo program: an award is sent only when the customer is still owed
         * at least the rule's points × this (Rivo applies the tier multiplier), so it never takes a customer above target.
         */
        awardMaxMultiplier: z.number().min(1).max(100),
      })
      .strict(),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** `rivo.maxRounds`, or when unset the number `rivo.maxRetries` gave it before the two were split (at least 1). */
export function roundsPerCustomer(rivo: Pick<Config['rivo'], 'maxRetries' | 'maxRounds'>): number {
  return rivo.maxRounds ?? Math.max(1, rivo.maxRetries);
}

/** Secrets come from the environment only; they are held apart from `Config` so nothing that prints config prints them. */
export interface Secrets {
  yotpoGuid: string | null;
  yotpoApiKey: string | null;
  rivoApiKey: string | null;
}

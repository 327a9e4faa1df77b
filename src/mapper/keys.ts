import { createHash } from 'node:crypto';
import type { EventRole } from '../domain.js';

/**
 * Deterministic event keys and how they travel inside Rivo's `internal_note`.
 *
 * Shape: `y2r:<migrationId>:<16 hex>:<role>:<generation>`, where the 16 hex digits are the start of
 * sha256(migrationName NUL customerKey). Only `[A-Za-z0-9_.:-]` appears in a key, so it is safe inside free text,
 * and in a note it is always written in brackets: `Migrated from Yotpo [y2r:…:earned:1]`. Matching looks for the
 * bracketed key (Rivo prefixes admin events with the operator's email, so notes are matched by *contains*), which
 * is why `…:earned:1` never matches `…:earned:10`.
 */

export const KEY_PREFIX = 'y2r';
/** Longest `internal_note` the mapper writes. */
export const NOTE_MAX_LENGTH = 255;
/** Hex digits of the customer hash: 64 bits keeps an accidental collision negligible at millions of customers. */
export const CUSTOMER_HASH_HEX = 16;

/**
 * `pilot`: the probe events `pilot` writes to one staff customer and compensates (never part of a migration's ledger).
 * `history`: one replayed Yotpo history item; its key's generation is the item's index in Yotpo's list (a replay is
 * planned only while nothing was posted for the customer, so each index is used once).
 */
export const EVENT_ROLES: readonly EventRole[] = ['earned', 'spent', 'balance', 'credit', 'tier', 'birthday', 'rollback', 'pilot', 'history'];

const MIGRATION_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const KEY_IN_NOTE = new RegExp(
  `\\[(${KEY_PREFIX}:[A-Za-z0-9_.-]{1,64}:[0-9a-f]{${CUSTOMER_HASH_HEX}}:(?:${EVENT_ROLES.join('|')}):(?:0|[1-9][0-9]*))\\]`,
  'g',
);

export interface EventKeyInput {
  migrationName: string;
  migrationId: string;
  customerKey: string;
  role: EventRole;
  generation: number;
}

export interface ParsedKey {
  migrationId: string;
  customerHash: string;
  role: EventRole;
  generation: number;
}

/** The customer part of every key of one customer in one migration. */
export function customerHash(migrationName: string, customerKey: string): string {
  return createHash('sha256').update(`${migrationName}\u0000${customerKey}`, 'utf8').digest('hex').slice(0, CUSTOMER_HASH_HEX);
}

export function eventKey(input: EventKeyInput): string {
  const { migrationName, migrationId, customerKey, role, generation } = input;
  if (!MIGRATION_ID.test(migrationId)) throw new Error(`eventKey: migrationId ${JSON.stringify(migrationId)} must be 1-64 of A-Z a-z 0-9 _ . -`);
  if (migrationName === '') throw new Error('eventKey: empty migrationName');
  if (customerKey === '') throw new Error('eventKey: empty customerKey');
  if (!EVENT_ROLES.includes(role)) throw new Error(`eventKey: unknown role ${JSON.stringify(role)}`);
  if (!Number.isSafeInteger(generation) || generation < 0) throw new Error(`eventKey: generation must be a whole number >= 0, got ${generation}`);
  return `${KEY_PREFIX}:${migrationId}:${customerHash(migrationName, customerKey)}:${role}:${generation}`;
}

/** Inverse of `eventKey` for everything but the hashed customer; null for anything that is not a key. */
export function parseKey(key: string): ParsedKey | null {
  const m = /^y2r:([A-Za-z0-9_.-]{1,64}):([0-9a-f]+):([a-z]+):(0|[1-9][0-9]*)$/.exec(key);
  if (!m || m[2]!.length !== CUSTOMER_HASH_HEX || !EVENT_ROLES.includes(m[3] as EventRole)) return null;
  const generation = Number(m[4]);
  if (!Number.isSafeInteger(generation)) return null;
  return { migrationId: m[1]!, customerHash: m[2]!, role: m[3] as EventRole, generation };
}

/**
 * `text [key]`, at most NOTE_MAX_LENGTH characters: the readable text is shortened (ending in "…"), never the key.
 * White space runs (newlines included) in the text become single spaces.
 */
export function noteWithKey(text: string, key: string): string {
  const tag = `[${key}]`;
  if (tag.length > NOTE_MAX_LENGTH) throw new Error(`noteWithKey: key longer than ${NOTE_MAX_LENGTH - 2} characters`);
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean === '') return tag;
  const room = NOTE_MAX_LENGTH - tag.length - 1; // one space between text and tag
  if (room <= 0) return tag;
  return `${truncate(clean, room)} ${tag}`;
}

/** Whether `note` carries exactly this key (in brackets), wherever it sits in the note. */
export function findKeyInNote(note: string | null | undefined, key: string): boolean {
  return typeof note === 'string' && note.includes(`[${key}]`);
}

/** Every well-formed bracketed key in a note, in order of appearance, without repeats. */
export function parseKeysFromNote(note: string | null | undefined): string[] {
  if (typeof note !== 'string') return [];
  const out: string[] = [];
  for (const m of note.matchAll(KEY_IN_NOTE)) {
    const key = m[1]!;
    if (!out.includes(key)) out.push(key);
  }
  return out;
}

/** Shorten to at most `max` UTF-16 units, ending with "…", without splitting a surrogate pair. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // would leave a lone high surrogate
  return `${text.slice(0, Math.max(cut, 0)).trimEnd()}…`;
}

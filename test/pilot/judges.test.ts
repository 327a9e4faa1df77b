import { describe, expect, it } from 'vitest';
import { exitFor } from '../../src/cli/commands/pilot.js';
import { loadConfig } from '../../src/config/load.js';
import { judgeItemResults } from '../../src/pilot/probes/batch.js';
import { judgeLifetime } from '../../src/pilot/probes/lifetime.js';
import { judgeListing } from '../../src/pilot/probes/listing.js';
import { judgeNote } from '../../src/pilot/probes/note.js';
import { MODELLED_PROFILE, UNMEASURED_PROFILE } from '../../src/rivo/profile.js';
import { resolveSendMode } from '../../src/rivo/send-mode.js';

/** The pure halves of the pilot: what an observation means, and the exit code and send mode that follow. */

const event = (note: string | null) => ({ id: '1', customerIdentifier: '1', pointsDiff: 1, creditsDiffCents: 0, internalNote: note, source: 'manual', appliedAt: null, createdAt: null, revokedAt: null });
const KEY = 'y2r:abc-pilot:0123456789abcdef:pilot:1';
const SENT = `yotpo-to-rivo pilot probe (compensated) [${KEY}]`;

describe('note_verbatim', () => {
  it('a note that loses the key blocks the migration (exit 2)', () => {
    const r = judgeNote(SENT, event('yotpo-to-rivo pilot probe (compensated)'), KEY, true);
    expect(r).toMatchObject({ status: 'differs', consequence: 'blocking', observed: { keyKept: false } });
    expect(exitFor({ note_verbatim: r }, true)).toBe(2);
  });

  it('a complete listing without the event also blocks; an incomplete one is unknown', () => {
    expect(judgeNote(SENT, undefined, KEY, true).consequence).toBe('blocking');
    expect(judgeNote(SENT, undefined, KEY, false)).toMatchObject({ status: 'unknown', consequence: 'attention' });
  });
});

describe('events_listing', () => {
  it('events this tool wrote missing from a listing that said it was complete: blocking', () => {
    const r = judgeListing({ order: 'unknown', perPageCap: null, pageLengths: [0], complete: true, found: false });
    expect(r.consequence).toBe('blocking');
  });
});

describe('batch_item_results', () => {
  it('an answer that names no failed item differs, whatever its status', () => {
    for (const status of [201, 422]) {
      const r = judgeItemResults({ answer: { status, body: { data: [] } }, valid: 'done', invalid: 'absent' });
      expect(r).toMatchObject({ status: 'differs', observed: { namesFailedItem: false }, consequence: 'adapted' });
    }
  });
});

describe('lifetime_model against the config', () => {
  const config = loadConfig({ env: {} }).config;
  it('a store where debits lower lifetime needs the merchant unless the config already says so', () => {
    const o = { credit: 1, lifetimeChangeOnCredit: 1, debit: 4, lifetimeChangeOnDebit: -4 };
    expect(judgeLifetime(o, config)).toMatchObject({ status: 'differs', consequence: 'attention' });
    const adapted = judgeLifetime(o, { ...config, mapping: { ...config.mapping, negativeEventsLowerLifetime: true } });
    expect(adapted).toMatchObject({ status: 'differs', consequence: 'adapted' });
  });
});

describe('exit codes', () => {
  it('0 when confirmed or adapted, 3 when attention or not restored', () => {
    const ok = { status: 'confirmed' as const, observed: null, setting: '', consequence: 'none' as const };
    const adapted = { ...ok, status: 'differs' as const, consequence: 'adapted' as const };
    expect(exitFor({ events_listing: ok, batch_atomicity: adapted }, true)).toBe(0);
    expect(exitFor({ events_listing: ok }, false)).toBe(3);
    expect(exitFor({ lifetime_model: { ...adapted, consequence: 'attention' } }, true)).toBe(3);
  });
});

describe('resolveSendMode', () => {
  it('auto: single events with a hint until batch emails are confirmed silent, then batches', () => {
    const before = resolveSendMode('auto', UNMEASURED_PROFILE);
    expect(before.mode).toBe('single');
    expect(before.hint).toContain('up to 10× faster');
    expect(resolveSendMode('auto', { ...MODELLED_PROFILE, batchSkipEmail: 'unknown' }).mode).toBe('single');
    expect(resolveSendMode('auto', { ...UNMEASURED_PROFILE, batchSkipEmail: 'emails' })).toMatchObject({ mode: 'single', hint: null });
    expect(resolveSendMode('auto', { ...UNMEASURED_PROFILE, batchSkipEmail: 'silent' })).toMatchObject({ mode: 'batch', hint: null });
  });

  it('batch and single are forced; forcing batch on an unconfirmed store warns', () => {
    expect(resolveSendMode('single', MODELLED_PROFILE).mode).toBe('single');
    expect(resolveSendMode('batch', UNMEASURED_PROFILE)).toMatchObject({ mode: 'batch', hint: expect.stringMatching(/^warning: /) });
    expect(resolveSendMode('batch', MODELLED_PROFILE)).toMatchObject({ mode: 'batch', hint: null });
  });
});

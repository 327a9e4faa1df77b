import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRole } from '../../src/domain.js';
import {
  EVENT_ROLES,
  NOTE_MAX_LENGTH,
  eventKey,
  findKeyInNote,
  noteWithKey,
  parseKey,
  parseKeysFromNote,
  restorationKey,
} from '../../src/mapper/keys.js';

const base = { migrationName: 'yotpo-to-rivo', migrationId: 'm1', customerKey: 'cust-1', role: 'earned' as EventRole, generation: 0 };

describe('eventKey', () => {
  it('has the documented shape', () => {
    expect(eventKey(base)).toMatch(/^y2r:m1:[0-9a-f]{16}:earned:0$/);
  });

  it('is deterministic', () => {
    expect(eventKey(base)).toBe(eventKey({ ...base }));
  });

  it.each([
    ['customerKey', { customerKey: 'cust-2' }],
    ['migrationName', { migrationName: 'other' }],
    ['migrationId', { migrationId: 'm2' }],
    ['role', { role: 'spent' as EventRole }],
    ['generation', { generation: 1 }],
  ])('changes with %s', (_name, over) => {
    expect(eventKey({ ...base, ...over })).not.toBe(eventKey(base));
  });

  it.each([
    ['a migration id with a colon', { migrationId: 'a:b' }],
    ['a migration id with a bracket', { migrationId: 'a]b' }],
    ['an empty migration id', { migrationId: '' }],
    ['an empty customer key', { customerKey: '' }],
    ['an unknown role', { role: 'bogus' as EventRole }],
    ['a negative generation', { generation: -1 }],
    ['a fractional generation', { generation: 1.5 }],
  ])('refuses %s', (_name, over) => {
    expect(() => eventKey({ ...base, ...over })).toThrow();
  });

  it('round-trips through parseKey', () => {
    const key = eventKey({ ...base, role: 'birthday', generation: 12 });
    expect(parseKey(key)).toEqual({ migrationId: 'm1', customerHash: key.split(':')[2], role: 'birthday', generation: 12 });
    expect(parseKey('y2r:m1:abc:earned:0')).toBeNull();
    expect(parseKey(`${key}x`)).toBeNull();
  });

  it('is injective over customers, roles and generations (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom(...EVENT_ROLES), fc.nat(50)), {
          selector: ([k, r, g]) => JSON.stringify([k, r, g]),
          maxLength: 40,
        }),
        (items) => {
          const keys = items.map(([customerKey, role, generation]) => eventKey({ ...base, customerKey, role, generation }));
          expect(new Set(keys).size).toBe(keys.length);
          for (const k of keys) expect(k).toMatch(/^[A-Za-z0-9_.:-]+$/);
        },
      ),
    );
  });
});

describe('noteWithKey / findKeyInNote / parseKeysFromNote', () => {
  const key1 = eventKey({ ...base, generation: 1 });
  const key10 = eventKey({ ...base, generation: 10 });

  it('writes the key in brackets after the text', () => {
    expect(noteWithKey('Migrated from Yotpo', key1)).toBe(`Migrated from Yotpo [${key1}]`);
    expect(noteWithKey('   ', key1)).toBe(`[${key1}]`);
    expect(noteWithKey('two\nlines', key1)).toBe(`two lines [${key1}]`);
  });

  it('truncates the text, never the key', () => {
    const note = noteWithKey('x'.repeat(1000), key1);
    expect(note.length).toBe(NOTE_MAX_LENGTH);
    expect(note.endsWith(`… [${key1}]`)).toBe(true);
    expect(findKeyInNote(note, key1)).toBe(true);
  });

  it('does not split a surrogate pair when truncating', () => {
    const note = noteWithKey('😀'.repeat(200), key1);
    expect(note.length).toBeLessThanOrEqual(NOTE_MAX_LENGTH);
    expect(note).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it.each([
    ['the exact note', () => noteWithKey('Migrated from Yotpo', key1), true],
    ['a note Rivo prefixed with an operator email', () => `ops@shop.com: ${noteWithKey('Migrated from Yotpo', key1)}`, true],
    ['generation 10 when looking for 1', () => noteWithKey('Migrated', key10), false],
    ['the bare key without brackets', () => `Migrated ${key1}`, false],
    ['an empty note', () => '', false],
  ])('findKeyInNote: %s', (_name, note, expected) => {
    expect(findKeyInNote(note(), key1)).toBe(expected);
  });

  it('findKeyInNote takes null', () => {
    expect(findKeyInNote(null, key1)).toBe(false);
  });

  it('parses every key in a note, once each, in order', () => {
    const note = `a@b.c: x [${key10}] y [${key1}] [${key10}] [y2r:bad] [not-a-key]`;
    expect(parseKeysFromNote(note)).toEqual([key10, key1]);
    expect(parseKeysFromNote(null)).toEqual([]);
  });

  it('any text: the note stays short, holds the key, and parses back to it (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.constantFrom(...EVENT_ROLES), fc.nat(1000), (text, role, generation) => {
        const key = eventKey({ ...base, role, generation });
        const note = noteWithKey(text, key);
        expect(note.length).toBeLessThanOrEqual(NOTE_MAX_LENGTH);
        expect(findKeyInNote(note, key)).toBe(true);
        expect(note.endsWith(`[${key}]`)).toBe(true);
        expect(parseKeysFromNote(note)).toContain(key);
      }),
    );
  });
});

describe('restorationKey', () => {
  it('is the rollback key of the same generation with the kind as a suffix, so rows of existing ledgers keep their keys', () => {
    const input = { migrationName: 'yotpo-to-rivo', migrationId: 'm1', customerKey: 'cust-1', generation: 2 };
    const rollbackKey = eventKey({ ...input, role: 'rollback' });
    expect(restorationKey(input, 'tier')).toBe(`${rollbackKey}:tier`);
    expect(restorationKey(input, 'birthday')).toMatch(/^y2r:m1:[0-9a-f]{16}:rollback:2:birthday$/);
  });
});

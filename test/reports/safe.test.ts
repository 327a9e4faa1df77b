import { describe, expect, it } from 'vitest';
import { centsToDecimal, csvSafe } from '../../src/reports/csv-safe.js';
import { escapeHtml } from '../../src/reports/html-escape.js';
import { maskEmailsIn, redactEmail, redactName } from '../../src/reports/redact.js';

describe('csvSafe', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `'=HYPERLINK("http://x","y")`],
    ['+cmd|x', "'+cmd|x"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTAB', "'\tTAB"],
    ['\rCR', "'\rCR"],
  ])('prefixes %j', (input, out) => expect(csvSafe(input)).toBe(out));

  it.each(['Alice', '', ' =not at start', 'a=b', "'quoted", '山田', '1-2'])('leaves %j alone', (s) => expect(csvSafe(s)).toBe(s));
});

describe('centsToDecimal', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [1250, '12.50'],
    [-50, '-0.50'],
    [-123456, '-1234.56'],
    [9_007_199_254_740_991, '90071992547409.91'],
  ])('%d -> %s', (c, d) => expect(centsToDecimal(c)).toBe(d));
  it('refuses a fraction of a cent', () => expect(() => centsToDecimal(1.5)).toThrow(RangeError));
});

describe('redaction', () => {
  it('masks emails keeping the first character and the domain', () => {
    expect(redactEmail('john.doe@example.com')).toBe('j***@example.com');
    expect(redactEmail('Élodie@exemple.fr')).toBe('É***@exemple.fr');
    expect(redactEmail('@example.com')).toBe('***@example.com');
    expect(redactEmail('not-an-email')).toBe('***');
  });
  it('reduces names to initials, unicode-aware', () => {
    expect(redactName('John')).toBe('J.');
    expect(redactName('  mary  ann ')).toBe('M. A.');
    expect(redactName('Zoë Ångström')).toBe('Z. Å.');
    expect(redactName('👩‍💻 Dev')).toBe('👩. D.');
    expect(redactName('')).toBe('');
  });
  it('masks every email inside free text', () => {
    expect(maskEmailsIn('no Rivo customer with email zoe@example.org (dup of ZOE@Example.org)')).toBe(
      'no Rivo customer with email z***@example.org (dup of Z***@Example.org)',
    );
    expect(maskEmailsIn('nothing here')).toBe('nothing here');
  });
});

describe('escapeHtml', () => {
  it('escapes every markup character', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(-5)).toBe('-5');
  });
});

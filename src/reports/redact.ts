/**
 * Redaction for reports a merchant may share: emails keep their first character and domain (`j***@example.com`),
 * names become initials (`J. D.`). Free text (reasons, problem details) has any email inside it masked the same way.
 */

/** `john.doe@example.com` -> `j***@example.com`; anything without an `@` -> `***`. */
export function redactEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return '***';
  const first = Array.from(email.slice(0, at).trim())[0] ?? '';
  return `${first}***@${email.slice(at + 1).trim()}`;
}

/** `Zoë Ångström-Berg` -> `Z. Å.`: the first character (a whole code point) of each word, upper-cased. */
export function redactName(name: string): string {
  return name
    .split(/\s+/u)
    .filter((w) => w.length > 0)
    .map((w) => `${(Array.from(w)[0] ?? '').toLocaleUpperCase()}.`)
    .join(' ');
}

const EMAIL_IN_TEXT = /[^\s@<>()[\]{}"',;:]+@[^\s@<>()[\]{}"',;:]+/gu;

/** Every email-like token inside free text, masked with `redactEmail`. */
export function maskEmailsIn(text: string): string {
  return text.replace(EMAIL_IN_TEXT, (m) => redactEmail(m));
}

export interface Redactor {
  readonly enabled: boolean;
  email(value: string | null): string | null;
  name(value: string | null): string | null;
  /** Free text that may quote an email (a record key, a reason, a problem's detail). */
  text(value: string | null): string | null;
}

export function makeRedactor(enabled: boolean): Redactor {
  if (!enabled) return { enabled, email: (v) => v, name: (v) => v, text: (v) => v };
  return {
    enabled,
    email: (v) => (v === null ? null : redactEmail(v)),
    name: (v) => (v === null ? null : redactName(v)),
    text: (v) => (v === null ? null : maskEmailsIn(v)),
  };
}

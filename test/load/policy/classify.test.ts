import { describe, expect, it } from 'vitest';
import { BadResponseError, httpErrorFromResponse, httpErrorFromTransport } from '../../../src/http/errors.js';
import { classifyWriteFailure } from '../../../src/load/policy/classify.js';

// Errors built by the same factories the HTTP client uses, so the classes and flags are the ones a real answer gets.
const answer = (status: number, opts: { method?: string; writeMayApplyOnError?: boolean } = {}) =>
  httpErrorFromResponse({
    system: 'rivo',
    method: opts.method ?? 'POST',
    path: '/points_events',
    status,
    body: `{"errors":["status ${status}"]}`,
    writeMayApplyOnError: opts.writeMayApplyOnError ?? false,
  });
const transport = (code: string) => httpErrorFromTransport('rivo', 'POST', '/points_events', code, `socket ${code}`);

describe('classifyWriteFailure: what a failed write means for the ledger', () => {
  it('a timeout or a reset may have applied the write: uncertain, charged to the budget, never resent blindly', () => {
    for (const code of ['ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED'])
      for (const mode of ['single', 'batch'] as const)
        expect(classifyWriteFailure(transport(code), mode)).toMatchObject({ ledger: 'uncertain', fatal: false, charge: true, isolate: false });
  });

  it('a 5xx on a write is uncertain (the server may have applied it before failing)', () => {
    for (const status of [500, 502, 503, 504]) {
      expect(classifyWriteFailure(answer(status), 'single')).toMatchObject({ ledger: 'uncertain', charge: true, isolate: false });
      expect(classifyWriteFailure(answer(status), 'batch')).toMatchObject({ ledger: 'uncertain', charge: true, isolate: false });
    }
  });

  it('a 2xx whose body cannot be read is uncertain too', () => {
    const err = new BadResponseError({ system: 'rivo', method: 'POST', path: '/points_events', status: 200, body: '<html>', retryable: true, uncertain: true, detail: 'not JSON' });
    expect(classifyWriteFailure(err, 'single')).toMatchObject({ ledger: 'uncertain', charge: true, fatal: false });
  });

  it('a 429 that surely did not apply goes back to planned, charged; one that may have applied is uncertain', () => {
    expect(classifyWriteFailure(answer(429), 'single')).toMatchObject({ ledger: 'absent', charge: true, fatal: false });
    expect(classifyWriteFailure(answer(429, { writeMayApplyOnError: true }), 'batch')).toMatchObject({ ledger: 'uncertain', charge: true });
  });

  it('a refused connection never reached the server: planned again', () => {
    expect(classifyWriteFailure(transport('ECONNREFUSED'), 'batch')).toMatchObject({ ledger: 'absent', charge: true, isolate: false, fatal: false });
  });

  it('a single write refused with 422 or 404 is rejected with Rivo\'s status and body, not charged', () => {
    const f = classifyWriteFailure(answer(422), 'single');
    expect(f).toEqual({ ledger: 'rejected', reason: 'Rivo 422 {"errors":["status 422"]}', fatal: false, charge: false, isolate: false });
    expect(classifyWriteFailure(answer(404), 'single')).toMatchObject({ ledger: 'rejected', charge: false });
  });

  it('a batch refused with a 4xx that may have applied in part is uncertain and isolates its customers, not charged', () => {
    for (const status of [400, 404, 422])
      expect(classifyWriteFailure(answer(status, { writeMayApplyOnError: true }), 'batch')).toMatchObject({ ledger: 'uncertain', isolate: true, charge: false });
  });

  it('a batch refused with a 4xx that surely applied nothing goes back to planned (a refusal needs a single write)', () => {
    expect(classifyWriteFailure(answer(422), 'batch')).toMatchObject({ ledger: 'absent', isolate: false, charge: true });
  });

  it('wrong credentials stop the run: nothing was applied, back to planned', () => {
    for (const status of [401, 403]) expect(classifyWriteFailure(answer(status), 'batch')).toMatchObject({ ledger: 'absent', fatal: true, charge: false });
  });

  it('an error that is not an answer from Rivo (a bug, a local failure) is uncertain and stops the run', () => {
    const f = classifyWriteFailure(new TypeError('boom'), 'single');
    expect(f).toEqual({ ledger: 'uncertain', reason: 'unexpected error: boom', fatal: true, charge: false, isolate: false });
  });

  it('the reason recorded is the status and body, at most 600 characters', () => {
    const long = httpErrorFromResponse({ system: 'rivo', method: 'POST', path: '/x', status: 503, body: 'x'.repeat(5000), writeMayApplyOnError: false });
    const f = classifyWriteFailure(long, 'single');
    expect(f.reason.startsWith('503 xxx')).toBe(true);
    expect(f.reason.length).toBeLessThanOrEqual(600);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ensureBuilt, removeWorkspace, runIn, workspace, type Workspace } from '../e2e/cli.js';

/** The built CLI as a user runs it: `pilot --json` prints one JSON object on stdout and nothing else. */

let sb: Sandbox;
let ws: Workspace;

beforeAll(async () => {
  ensureBuilt();
  sb = await startSandbox({ customers: 10, seed: 9, awkward: 0, rivo: { perPageCap: 2 } });
  sb.rivo.addCustomer({ email: 'ops@shop.test', points_tally: 0, credits_tally: '0.0' });
  ws = workspace(sb, { name: 'pilot' });
}, 180_000);

afterAll(async () => {
  await sb?.close();
  removeWorkspace(ws);
});

describe('pilot through the built CLI', () => {
  it('one JSON object on stdout; the customer at 0 points and 0.0 credit afterwards; progress on stderr', async () => {
    const r = await runIn(ws, ['pilot', '--customer', 'ops@shop.test', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.json).toMatchObject({ command: 'pilot', exitCode: 0, restored: true, customer: { email: 'ops@shop.test' } });
    expect(r.json.assumptions.events_listing).toMatchObject({ status: 'differs', observed: { perPageCap: 2 } });
    expect(r.stderr).toContain('pilot: writing two events');
    const c = sb.rivo.customer('ops@shop.test')!;
    expect([c.points_tally, c.credits_tally]).toEqual([0, '0.0']);
    // Nothing secret on either stream.
    expect(r.stdout + r.stderr).not.toContain(sb.credentials.rivoApiKey);
  });
});

import { expect } from 'vitest';
import { firstOutput, startCli, tail, type Workspace } from '../e2e/cli.js';

export interface KillRound {
  /** 0, 1, 2, … */
  round: number;
  /** Ms after the run's first output at which it was (or would have been) killed. */
  delay: number;
  /** False when the run ended on its own before its kill. */
  killed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The crash tests' loop: `times` runs of `yotpo-to-rivo <command> <workspace args> --json`, each SIGKILLed `delay` ms
 * after its first output (not its spawn: on a loaded machine Node's start-up can take seconds, and every kill would
 * land before the run had done anything), unless it ends first, which must then be with 0, 1 or 3. `after` runs
 * after every round, for the test's own checks of what the run left. Returns how many kills landed.
 */
export async function killRepeatedly(
  ws: Workspace,
  command: string[],
  o: { times: number; delayMs: () => number; after: (r: KillRound) => void },
): Promise<number> {
  let landed = 0;
  for (let round = 0; round < o.times; round++) {
    const delay = o.delayMs();
    const child = startCli([...command, ...ws.args, '--json'], { env: ws.env, cwd: ws.dir });
    const raced = await Promise.race([child.done, firstOutput(child).then(() => sleep(delay)).then(() => 'timer' as const)]);
    if (raced === 'timer') child.child.kill('SIGKILL');
    // A run that exited in the instant its timer fired was not killed: it ended on its own, and is judged so.
    const result = raced === 'timer' ? await child.done : raced;
    const killed = result.signal === 'SIGKILL';
    if (killed) landed++;
    else expect([0, 1, 3], tail(result)).toContain(result.code);
    o.after({ round, delay, killed });
  }
  return landed;
}

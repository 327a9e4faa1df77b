import { ConfigError } from '../../errors.js';
import { startSandbox, type FaultOptions, type Sandbox } from '../../sandbox/index.js';
import type { CommandResult, CommandRun, CommonArgs } from '../context.js';

/** What `--faults` turns on: enough to see every recovery path in a rehearsal, not so much that nothing finishes. */
export const REHEARSAL_FAULTS: FaultOptions = {
  error5xx: 0.02,
  rateLimitBurst: 0.01,
  reset: 0.01,
  slow: 0.01,
  slowMs: 1500,
  lostAnswer: 0.01,
  htmlError: 0.005,
};

/** Limits close to the real services' (rivo-api.md: about 15/s; Yotpo's pages say 5–10/s), so a rehearsal meets 429s. */
const REHEARSAL_LIMITS = { yotpoRpm: 300, rivoRps: 15 };

/**
 * Starts both stand-ins and keeps them up until SIGINT/SIGTERM. The credentials printed are the sandbox's own fake
 * ones, so printing them is fine (real credentials are never printed anywhere).
 */
export const run: CommandRun = (args) =>
  serveSandbox(args, {
    stop: untilSignal,
    // With --json, stdout carries only the final summary line; the banner goes to stderr.
    print: (line) => (args.json ? process.stderr : process.stdout).write(`${line}\n`),
  });

/** The command with its ending and its output injected, so tests need not send the process signals. */
export async function serveSandbox(
  args: CommonArgs,
  io: { stop: () => Promise<unknown>; print: (line: string) => void },
): Promise<CommandResult> {
  const port = args.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65534) {
    throw new ConfigError('Bad option values:', [`--port: expected 0 or a port from 1 to 65534, got ${String(port)}`]);
  }
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      customers: args.customers ?? 1000,
      seed: args.seed ?? 1,
      yotpoPort: port,
      rivoPort: port === 0 ? 0 : port + 1,
      yotpo: { rpm: REHEARSAL_LIMITS.yotpoRpm },
      rivo: { rps: REHEARSAL_LIMITS.rivoRps },
      faults: args.faults ? REHEARSAL_FAULTS : undefined,
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      throw new ConfigError(`Port ${port} or ${port + 1} is already in use: pick another --port, or 0 for any free ports.`);
    }
    throw err;
  }

  for (const line of banner(sandbox, args.faults ?? false)) io.print(line);

  await io.stop();
  const stats = sandbox.stats();
  await sandbox.close();
  return {
    exitCode: 0,
    summary: {
      yotpoUrl: sandbox.yotpoUrl,
      rivoUrl: sandbox.rivoUrl,
      customers: sandbox.shop.yotpoCustomers.length,
      seed: sandbox.shop.seed,
      faults: args.faults ?? false,
      stats,
    },
  };
}

export function banner(sandbox: Sandbox, faults: boolean): string[] {
  const { credentials: c } = sandbox;
  return [
    `# Sandbox up: ${sandbox.shop.yotpoCustomers.length} Yotpo customers, ${sandbox.shop.rivoCustomers.length} Rivo customers, seed ${sandbox.shop.seed}${faults ? ', faults on' : ''}.`,
    `# Limits: Yotpo ${REHEARSAL_LIMITS.yotpoRpm}/min, Rivo ${REHEARSAL_LIMITS.rivoRps}/s. Paste these lines in another shell (fake, sandbox-only credentials):`,
    `export YOTPO_BASE_URL=${sandbox.yotpoUrl}`,
    `export YOTPO_GUID=${c.yotpoGuid}`,
    `export YOTPO_API_KEY=${c.yotpoApiKey}`,
    `export RIVO_BASE_URL=${sandbox.rivoUrl}`,
    `export RIVO_API_KEY=${c.rivoApiKey}`,
    '# Ctrl-C stops the sandbox.',
  ];
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

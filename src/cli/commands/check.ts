import { loadConfig } from '../../config/load.js';
import { EXIT, exitCodeForError } from '../exit-codes.js';
import { HttpError } from '../../http/errors.js';
import { rivoClientFromConfig } from '../../rivo/client.js';
import { YotpoClient } from '../../yotpo/client.js';
import { detectListEndpoint } from '../../yotpo/listing.js';
import type { CommandRun } from '../context.js';

/** `check`: the config is valid and both APIs answer with these credentials. Reads only; needs no DB. */
export const run: CommandRun = async (args) => {
  const { config, secrets, warnings } = loadConfig({ flags: args, needsCredentials: ['yotpo', 'rivo'] });
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const results: Record<string, string> = {};
  let worst: 0 | 1 | 2 = EXIT.ok;
  const probe = async (name: string, fn: () => Promise<string>) => {
    try {
      results[name] = `ok: ${await fn()}`;
    } catch (err) {
      const code = err instanceof HttpError ? exitCodeForError(err) : EXIT.failed;
      worst = Math.max(worst, code === EXIT.usage ? EXIT.usage : EXIT.failed) as 0 | 1 | 2;
      results[name] = `FAILED: ${err instanceof Error ? err.message : String(err)}`;
    }
    // The answer is on stdout (warnings stay on stderr); with --json only the JSON object is.
    if (!args.json) process.stdout.write(`${name}: ${results[name]}\n`);
  };
  const yotpo = YotpoClient.fromConfig(config, secrets, { retry: { maxRetries: 1 } });
  const rivo = rivoClientFromConfig(config, secrets, { maxRetries: 1 });
  try {
    await probe('yotpo', async () => `answers ${config.yotpo.baseUrl}, list endpoint /customers/${await detectListEndpoint(yotpo)}`);
    await probe('rivo', async () => {
      const tiers = await rivo.listTiers();
      return `answers ${config.rivo.baseUrl}, ${tiers.length} VIP tiers (${tiers.map((t) => t.name).join(', ') || 'none'})`;
    });
  } finally {
    await Promise.allSettled([yotpo.close(), rivo.close()]);
  }
  return { exitCode: worst, summary: { results } };
};

import type { ConfigFlags } from '../config/load.js';

/** Options every command accepts (see reference cli.md). */
export interface CommonArgs extends ConfigFlags {
  json: boolean;
  dryRun?: boolean;
  yes?: boolean;
  fromCsv?: string;
  customers?: number;
  seed?: number;
  port?: number;
  faults?: boolean;
  keepSandbox?: boolean;
  /** `show`: an email or a Shopify customer id. */
  customer?: string;
  /** `export --ledger FILE`. */
  ledger?: string;
  /** `adopt --migration-id`. */
  migrationId?: string;
}

/** What a command hands back to the boundary: its exit code and the JSON summary printed with --json. */
export interface CommandResult {
  exitCode: 0 | 1 | 2 | 3;
  summary: Record<string, unknown>;
}

export type CommandRun = (args: CommonArgs) => Promise<CommandResult>;

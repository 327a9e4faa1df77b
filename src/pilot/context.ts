import type { Config } from '../config/schema.js';
import type { RivoCustomerSnapshot } from '../domain.js';
import type { PilotRivo } from './port.js';
import type { PilotWriter } from './writer.js';

/** What every probe works with: one Rivo customer, the exactly-once writer, the config the run will use. */
export interface ProbeContext {
  rivo: PilotRivo;
  writer: PilotWriter;
  config: Config;
  /** The Rivo customer id every write goes to. */
  rivoId: string;
  /** Reads the customer now (throws when Rivo no longer knows them). */
  customer(): Promise<RivoCustomerSnapshot>;
  /** Lines for the person (what was changed and could not be put back, and so on). */
  note(line: string): void;
}

import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Which writes left the process, so that a write that provably never left need not wait `settleDelayMs`.
 *
 * The loader commits and flushes a request's intent before the request waits for its turn in the rate gate (so the
 * flush is off the request's path), which means a run killed at any moment has intents on disk for requests that
 * never left it: up to twice `rivo.concurrency` of them. Read-back cannot tell such a write from one a slow server is
 * still applying, so without more knowledge each of them costs a resumed run `settleDelayMs` before it may be
 * concluded absent. This journal is that knowledge: one file per run beside the DB, and the id of every write
 * request appended to it (one `write(2)`) after the gate lets it go and before its bytes are handed to the HTTP
 * client. At the next start, a write whose request id is not in its run's journal never left: it is planned again at
 * once, with no read-back and no wait.
 *
 * Why not on disk with an fsync: a killed process's completed `write(2)`s are in the kernel's page cache and reach
 * the file whatever happens to the process; only a power cut (or a crash of the machine) loses them, and that
 * changes the machine's boot id. So the journal is trusted only by a process on the same boot as the one that wrote
 * it (`/proc/sys/kernel/random/boot_id`); another boot, a missing or unreadable file, or a system without a boot id
 * means "unknown", and the write is settled by read-back as before. An entry written for a request that then did not
 * leave (killed in between) only costs that read-back: the journal errs on the side of "may have left".
 */

const BOOT_ID = '/proc/sys/kernel/random/boot_id';

export function currentBootId(): string | null {
  try {
    const id = readFileSync(BOOT_ID, 'utf8').trim();
    return id || null;
  } catch {
    return null;
  }
}

/** The journal of one run: `<db>-sent-<runId>`. */
export function journalPath(dbPath: string, runId: string): string {
  return `${dbPath}-sent-${runId}`;
}

/** The run a request id belongs to: the loader's ids are `<runId>-<kind><n>`. */
export function runIdOf(requestId: string | null): string | null {
  if (!requestId) return null;
  const dash = requestId.indexOf('-');
  return dash > 0 ? requestId.slice(0, dash) : null;
}

export interface SentJournal {
  /** Appends a request id; throws if it cannot (the request must not leave then). */
  left(requestId: string): void;
  close(): void;
}

/**
 * Opens this run's journal. Without a boot id the journal could never be trusted, so nothing is written (`left` does
 * nothing) and every uncertain write is settled by read-back, as before.
 */
export function openSentJournal(dbPath: string, runId: string, bootId: string | null = currentBootId()): SentJournal {
  if (!bootId) return { left: () => undefined, close: () => undefined };
  const path = journalPath(dbPath, runId);
  const fd = openSync(path, 'a', 0o600);
  writeSync(fd, `${JSON.stringify({ journal: 'yotpo-to-rivo sent requests', runId, bootId, pid: process.pid, at: new Date().toISOString() })}\n`);
  writing.add(path);
  let open = true;
  return {
    left: (requestId) => {
      if (!open) throw new Error('the sent journal is closed: no write may leave');
      writeSync(fd, `${requestId}\n`);
    },
    close: () => {
      if (!open) return;
      open = false;
      writing.delete(path);
      closeSync(fd);
    },
  };
}

/** Journals this process is still writing: never read as proof (a request may leave after the read). */
const writing = new Set<string>();

/**
 * What a run's journal proves, read once per run id: `neverLeft(id)` is true only when the journal of that id's run
 * was written on this boot and does not hold the id. Anything else (no journal, another boot, a foreign header, an
 * id without a run) is false: not proven.
 */
export function journalReader(dbPath: string, bootId: string | null = currentBootId()): { neverLeft(requestId: string | null): boolean } {
  const runs = new Map<string, Set<string> | null>();
  const load = (runId: string): Set<string> | null => {
    if (!bootId) return null;
    const path = journalPath(dbPath, runId);
    if (writing.has(path) || !existsSync(path)) return null;
    try {
      const lines = readFileSync(path, 'utf8').split('\n');
      const header = JSON.parse(lines[0] ?? '') as { runId?: unknown; bootId?: unknown };
      if (header.runId !== runId || header.bootId !== bootId) return null;
      return new Set(lines.slice(1).filter((l) => l.length > 0));
    } catch {
      return null;
    }
  };
  return {
    neverLeft: (requestId) => {
      const runId = runIdOf(requestId);
      if (!runId || !requestId) return false;
      // A journal no process writes any more is final: read once. One still being written is never proof.
      if (writing.has(journalPath(dbPath, runId))) return false;
      if (!runs.has(runId)) runs.set(runId, load(runId));
      const left = runs.get(runId);
      return left ? !left.has(requestId) : false;
    },
  };
}

/** Removes the journals of runs none of whose writes is still unsettled (`unsettled(runId)` says). */
export function removeSettledJournals(dbPath: string, unsettled: (runId: string) => boolean): void {
  const dir = dirname(dbPath);
  const prefix = `${basename(dbPath)}-sent-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const runId = name.slice(prefix.length);
    if (!runId || unsettled(runId)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // another process's cleanup, or a read-only directory: the file only costs its bytes
    }
  }
}

import type { Db } from '../db/open.js';

export type RunOutcome = 'ok' | 'attention' | 'failed';

/** Records that a command started against this DB; a run with no end was killed (status says so). */
export function startRun(db: Db, command: string): number {
  return Number(db.prepare('INSERT INTO runs (command, started_at) VALUES (?, ?)').run(command, new Date().toISOString()).lastInsertRowid);
}

export function finishRun(db: Db, id: number, outcome: RunOutcome, error: string | null, requests: { yotpo: number; rivo: number }): void {
  db.prepare('UPDATE runs SET ended_at = ?, outcome = ?, error = ?, yotpo_requests = ?, rivo_requests = ? WHERE id = ?').run(
    new Date().toISOString(),
    outcome,
    error,
    requests.yotpo,
    requests.rivo,
    id,
  );
}

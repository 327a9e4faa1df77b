import { formatCents } from '../util/money.js';
import type { LoadProgress } from './engine.js';
import type { LoadSummary } from './loader.js';
import type { RollbackPreview, RollbackSummary } from './rollback.js';

/** Human text for stderr. Kept apart from the commands so the wording is tested without a process. */

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export const formatCredits: (cents: number) => string = formatCents;

export function formatProgress(label: string, p: LoadProgress): string {
  const pct = p.eventsTotal ? Math.floor((100 * p.eventsDone) / p.eventsTotal) : 100;
  const parts = [
    `${label}: ${p.eventsDone}/${p.eventsTotal} writes (${pct}%)`,
    `${p.customersDone}/${p.customersTotal} customers`,
    `${p.requests} requests, ${p.rate.toFixed(1)}/s`,
  ];
  if (p.eventsUncertain) parts.push(`${p.eventsUncertain} being settled`);
  if (p.eventsRejected) parts.push(`${p.eventsRejected} refused`);
  if (p.etaSeconds !== null && p.phase !== 'done') parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  return parts.join(', ');
}

export function formatLoadSummary(s: LoadSummary): string[] {
  const lines = [
    `load ${s.outcome === 'done' ? 'finished' : s.outcome === 'attention' ? 'finished; some customers need attention' : s.aborted ? 'stopped' : 'did not finish'}:` +
      ` ${s.events.done}/${s.events.total} writes in Rivo, ${s.customers.done}/${s.customers.withEvents} customers complete,` +
      ` ${s.requests} requests in ${formatDuration(s.durationMs / 1000)}`,
    `  points in Rivo ${s.points.done}, pending ${s.points.pending}; store credit in Rivo ${formatCredits(s.creditsCents.done)}, pending ${formatCredits(s.creditsCents.pending)}`,
  ];
  if (s.interruptedAtStart) lines.push(`  ${s.interruptedAtStart} write(s) interrupted by an earlier stop were settled by reading Rivo back`);
  const st = s.settled;
  if (st.found + st.absent + st.duplicates + st.unreadable + (st.held ?? 0))
    lines.push(
      `  read-back: ${st.found} found in Rivo, ${st.absent} absent (sent again), ${st.unreadable} could not be read` +
        (st.held ? `, ${st.held} held (the listing could not be proven complete: nothing resent)` : ''),
    );
  if (s.isolatedBatches) lines.push(`  ${s.isolatedBatches} refused batch(es) re-sent one event at a time`);
  if (s.completions) lines.push(`  ${s.completions} customer(s) had a debit refused after their additions landed: the debit was sent once more to complete the set`);
  if (s.overTarget)
    lines.push(`  ${s.overTarget} customer(s) are ABOVE TARGET: Rivo refused the completing debit again (problem rows in status and the reports name the surplus)`);
  if (s.duplicates.total)
    lines.push(`  DUPLICATES: ${s.duplicates.total} event(s) are in Rivo more than once; revoke the extra copies (listed in status and the reports)`);
  for (const d of s.duplicates.thisRun.slice(0, 10)) lines.push(`    ${d.customerKey}: ${d.key} x${d.rivoEventIds.length} (Rivo ids ${d.rivoEventIds.join(', ')})`);
  if (s.events.rejected) {
    lines.push(`  ${s.events.rejected} write(s) refused by Rivo:`);
    for (const r of s.rejected.slice(0, 10)) lines.push(`    ${r.customerKey}: ${r.reason ?? 'no reason given'}`);
  }
  if (s.customers.notPlanned) lines.push(`  ${s.customers.notPlanned} pending customer(s) have no plan yet: run \`plan\` (or \`migrate\`)`);
  const open = s.events.planned + s.events.uncertain;
  if (open) {
    lines.push(`  ${open} write(s) still pending${s.exhausted.length ? ` (${s.exhausted.length} customer(s) kept failing)` : ''}; run \`load\` again to resume:`);
    for (const p of s.pending.slice(0, 10)) lines.push(`    ${p.customerKey}: ${p.status}${p.lastError ? ` (last error: ${p.lastError.slice(0, 160)})` : ''}`);
  }
  return lines;
}

export function formatRollbackPreview(p: RollbackPreview): string[] {
  const lines = [
    `rollback would send compensating events for ${p.customers} customer(s): points ${p.points}, store credit ${formatCredits(p.creditsCents)}`,
    `  tiers restored: ${p.tiersToRestore}, birthdays restored: ${p.birthdaysToRestore}`,
  ];
  if (p.unsettledCustomers)
    lines.push(`  ${p.unsettledCustomers} customer(s) have writes of unknown outcome: they are read back first (counted here as landed)`);
  if (p.neverSentCustomers)
    lines.push(`  ${p.neverSentCustomers} customer(s) have migration writes planned but never sent: rollback cancels them (nothing is sent for them)`);
  if (p.notRestoredCount) {
    lines.push(`  cannot be restored (${p.notRestoredCount}):`);
    for (const n of p.notRestored.slice(0, 10)) lines.push(`    ${n.customerKey}: ${n.what}`);
  }
  if (p.lifetimeKept.customers)
    lines.push(`  lifetime earnings cannot be lowered: ${p.lifetimeKept.points} lifetime points stay with ${p.lifetimeKept.customers} customer(s)`);
  lines.push('Nothing was sent. Run `rollback --yes` to roll back.');
  return lines;
}

export function formatRollbackSummary(s: RollbackSummary): string[] {
  const lines = [
    `rollback ${s.outcome === 'done' ? 'finished' : s.outcome === 'attention' ? 'finished; some customers need attention' : s.aborted ? 'stopped' : 'did not finish'}:` +
      ` planned for ${s.planned.customers} customer(s) (points ${s.planned.points}, store credit ${formatCredits(s.planned.creditsCents)},` +
      ` ${s.planned.tiers} tier(s), ${s.planned.birthdays} birthday(s)); ${s.events.done}/${s.events.total} rollback writes in Rivo, ${s.requests} requests`,
    `  rolled back so far: points ${s.rolledBack.points}, store credit ${formatCredits(s.rolledBack.creditsCents)}`,
  ];
  if (s.cancelledMigrationEvents) lines.push(`  ${s.cancelledMigrationEvents} migration write(s) never sent were cancelled`);
  if (s.neverSentCustomers) lines.push(`  ${s.neverSentCustomers} customer(s) had migration writes planned but never sent: cancelled, nothing was sent for them`);
  if (s.unsettled.length) lines.push(`  ${s.unsettled.length} customer(s) could not be settled by read-back and were not rolled back; run again`);
  if (s.notRestoredCount) {
    lines.push(`  not restored (${s.notRestoredCount}, listed in status as problems):`);
    for (const n of s.notRestored.slice(0, 10)) lines.push(`    ${n.customerKey}: ${n.what}`);
  }
  if (s.lifetime.customers) lines.push(`  ${s.lifetime.note} (${s.lifetime.points} points over ${s.lifetime.customers} customer(s))`);
  for (const r of s.rejected.slice(0, 10)) lines.push(`  refused: ${r.customerKey}: ${r.reason ?? 'no reason given'}`);
  if (s.duplicates) lines.push(`  DUPLICATES: ${s.duplicates} event(s) are in Rivo more than once (see status)`);
  for (const p of s.pending.slice(0, 10)) lines.push(`  pending: ${p.customerKey}: ${p.status}${p.lastError ? ` (${p.lastError.slice(0, 160)})` : ''}`);
  return lines;
}

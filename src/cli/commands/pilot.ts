import { centsToDecimal } from '../../rivo/parse.js';
import { ConfigError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { pilotRivo } from '../../pilot/port.js';
import { runPilot } from '../../pilot/runner.js';
import { readStoredPilot, recordEmailAnswer, type StoredPilot } from '../../pilot/store.js';
import { ASSUMPTION_NAMES, type Assumptions, type PilotReport } from '../../pilot/types.js';
import { writeReportHtml, makeRedactor } from '../../reports/index.js';
import { resolveSendMode } from '../../rivo/send-mode.js';
import type { CommandResult, CommandRun, CommonArgs } from '../context.js';
import { withSession, type Session } from '../session.js';

interface PilotArgs extends CommonArgs {
  customer?: string;
  probeUpdates?: boolean;
  confirmNoEmail?: boolean;
  emailArrived?: boolean;
}

/**
 * `pilot --customer ID`: measures every unconfirmed Rivo behaviour on one staff customer, leaves their points and
 * credit where they were, and stores the store's profile. `pilot --confirm-no-email` / `--email-arrived` records what
 * the person saw in that customer's inbox after the pilot's batch event.
 * Exit 0: everything confirmed or adapted to; 3: something needs the merchant; 2: this store cannot be migrated safely.
 */
export const run: CommandRun = (raw) => {
  const args = raw as PilotArgs;
  if (args.confirmNoEmail && args.emailArrived) throw new ConfigError('Bad options: --confirm-no-email and --email-arrived contradict each other; give one.');
  if (args.confirmNoEmail || args.emailArrived) return answerEmail(args, args.confirmNoEmail ? 'silent' : 'emails');
  const customer = args.customer?.trim();
  if (!customer) throw new ConfigError('pilot: name the Rivo customer to probe with --customer <email or Shopify customer id> (a staff or test account).');
  return withSession(args, { command: 'pilot', talksTo: ['rivo'], db: 'create' }, async (s) => {
    const out = (line: string) => (args.json ? s.say(line) : process.stdout.write(`${line}\n`));
    s.say(
      `pilot: writing a few events of 1 point (and 0.01 store credit) to ${customer}, each compensated; their points and credit end where they are. ` +
        'Their lifetime earnings rise by a few points (compensation cannot lower lifetime).',
    );
    if (args.probeUpdates)
      s.say('pilot --probe-updates: also sets their VIP tier and birthday and puts them back; a customer with no tier keeps the one set.');
    const { report, stored } = await runPilot({
      db: s.db,
      rivo: pilotRivo(s.rivo()),
      config: s.config,
      migrationId: s.migrationId,
      customer,
      probeUpdates: args.probeUpdates ?? false,
      onStep: (line) => s.say(`pilot: ${line}`),
    });
    const exitCode = exitFor(report.assumptions, report.restored);
    const files = await writeReport(s);
    out(formatPilot(report, stored, s, files));
    return { exitCode, summary: summaryOf(report, stored, s, files) };
  });
};

function answerEmail(args: PilotArgs, answer: 'silent' | 'emails'): Promise<CommandResult> {
  return withSession(args, { command: 'pilot', talksTo: [], db: 'existing' }, async (s) => {
    const stored = recordEmailAnswer(s.db, answer);
    if (!stored) throw new ConfigError('No pilot has sent the batch event yet: run `yotpo-to-rivo pilot --customer <staff email>` first, then check that inbox.');
    const files = await writeReport(s);
    const mode = resolveSendMode(s.config.rivo.sendMode, stored.profile, s.config.rivo.batchSize);
    const line =
      answer === 'silent'
        ? `Recorded: batch events are silent on this store (no email reached ${stored.customer}). rivo.sendMode ${s.config.rivo.sendMode} now sends ${mode.mode === 'batch' ? 'batches' : 'single events'}.`
        : `Recorded: batch events email customers on this store. rivo.sendMode ${s.config.rivo.sendMode} sends ${mode.mode === 'batch' ? 'batches (forced: customers will get emails)' : 'single events with skip_email'}.`;
    if (args.json) s.say(line);
    else process.stdout.write(`${line}\n`);
    const exitCode = answer === 'emails' && mode.mode === 'batch' ? EXIT.attention : EXIT.ok;
    return { exitCode, summary: { customer: stored.customer, assumptions: publicAssumptions(stored.assumptions), sendMode: mode.mode, files } };
  });
}

/** 2 when something blocks an exact migration, 3 when the merchant must act or the customer was not restored, else 0. */
export function exitFor(a: Assumptions, restored: boolean): 0 | 2 | 3 {
  const results = Object.values(a);
  if (results.some((r) => r?.consequence === 'blocking')) return EXIT.usage;
  if (!restored || results.some((r) => r?.consequence === 'attention')) return EXIT.attention;
  return EXIT.ok;
}

async function writeReport(s: Session): Promise<string[]> {
  const { path } = await writeReportHtml(s.db, s.config.out, { migrationId: s.migrationId, generatedAt: new Date().toISOString(), redactor: makeRedactor(s.config.redact) });
  return [path];
}

function publicAssumptions(a: Assumptions) {
  return Object.fromEntries(ASSUMPTION_NAMES.flatMap((n) => (a[n] ? [[n, a[n]]] : [])));
}

function summaryOf(r: PilotReport, stored: StoredPilot, s: Session, files: string[]) {
  return {
    customer: r.customer,
    assumptions: publicAssumptions(r.assumptions),
    profile: stored.profile,
    restored: r.restored,
    before: r.before,
    after: r.after,
    writes: r.writes,
    notes: r.notes,
    emailProbe: r.emailProbe,
    sendMode: resolveSendMode(s.config.rivo.sendMode, stored.profile, s.config.rivo.batchSize).mode,
    checklist: r.checklist,
    db: s.config.db,
    files,
  };
}

const money = (cents: number) => centsToDecimal(cents);

export function formatPilot(r: PilotReport, stored: StoredPilot, s: Session, files: string[]): string {
  const who = r.customer.email && r.customer.email !== r.customer.given ? `${r.customer.given} (${r.customer.email})` : r.customer.given;
  const lines = [`Pilot on Rivo customer ${r.customer.rivoId}: ${who}`, ''];
  const width = Math.max(...ASSUMPTION_NAMES.map((n) => n.length));
  for (const name of ASSUMPTION_NAMES) {
    const a = r.assumptions[name];
    if (!a) continue;
    const mark = a.consequence === 'blocking' ? 'BLOCKS' : a.consequence === 'attention' ? 'ACT' : a.consequence === 'adapted' ? 'adapted' : '';
    lines.push(`  ${name.padEnd(width)}  ${a.status.padEnd(9)}  ${mark.padEnd(7)}  ${a.setting}`);
    if (a.status !== 'confirmed') lines.push(`  ${''.padEnd(width)}  observed: ${JSON.stringify(a.observed)}`);
  }
  lines.push('');
  const lifetime = r.before.lifetime === r.after.lifetime ? '' : `; lifetime ${r.before.lifetime ?? 0} → ${r.after.lifetime ?? 0}`;
  lines.push(
    `${r.restored ? 'Restored' : 'NOT restored'}: points ${r.before.points} → ${r.after.points}, store credit ${money(r.before.creditsCents)} → ${money(r.after.creditsCents)}${lifetime} (${r.writes} pilot writes).`,
  );
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (stored.emailAnswer === null && r.emailProbe)
    lines.push(
      '',
      `Email check: one batch event (+1 point, then taken back) went to ${r.customer.email ?? r.customer.given} at ${r.emailProbe.sentAt}.`,
      'If no "you earned points" email arrives there in the next minutes, run `yotpo-to-rivo pilot --confirm-no-email`',
      '(or `pilot --email-arrived` if one did). Until then, migrate sends single events (documented skip_email).',
    );
  const mode = resolveSendMode(s.config.rivo.sendMode, stored.profile, s.config.rivo.batchSize);
  lines.push('', `Send mode: ${mode.mode} (${mode.reason}).`);
  lines.push('', 'Before the real run:', ...r.checklist.map((c) => `  - ${c}`));
  lines.push('', `Profile stored in ${s.config.db}. Report: ${files.join(', ')}`);
  return lines.join('\n');
}

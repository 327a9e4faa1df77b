import { DRY_RUN_RSS_TARGET_MB, measureCsvDryRun, type DryRunMeasure } from './dryrun.js';
import { fmt, isEntry, printTable, quick, type BenchResult } from './lib/figures.js';

/**
 * Peak RSS of the child process doing the work (`process.resourceUsage().maxRSS`, read at its exit by a preloaded
 * probe: the same figure as VmHWM). Like for like: the dry run from a CSV export (`extract --from-csv`, then `plan`
 * with its reports) at 10k and at 1M customers; a full API migration of a million customers does not fit in a
 * benchmark (two million Rivo requests), so the 10k full `migrate` (from the overhead benchmark) is shown beside it.
 * Targets: the 1M run within 1.5x the 10k run, and at most 250 MB (issue 13; the 20k `migrate`'s own target, 200 MB,
 * is in the wall benchmark).
 */

export interface RssInputs {
  small?: DryRunMeasure;
  large?: DryRunMeasure;
  /** Peak RSS (KB) of a full 10k `migrate`, when measured elsewhere. */
  migrate10kKb?: number | null;
  log?: (line: string) => void;
}

export async function benchRss(inputs: RssInputs = {}): Promise<BenchResult> {
  const log = inputs.log ?? (() => undefined);
  const smallN = 10_000;
  const largeN = quick() ? 100_000 : 1_000_000;
  const small = inputs.small ?? (await measureCsvDryRun(smallN, log));
  const large = inputs.large ?? (await measureCsvDryRun(largeN, log));
  const ratio = large.maxRssKb / small.maxRssKb;
  const lines = [
    `rss: dry run ${fmt.n(small.customers)}: extract ${fmt.mb(small.extract.maxRssKb ?? 0)}, plan ${fmt.mb(small.plan.maxRssKb ?? 0)}; ` +
      `${fmt.n(large.customers)}: extract ${fmt.mb(large.extract.maxRssKb ?? 0)}, plan ${fmt.mb(large.plan.maxRssKb ?? 0)}` +
      (inputs.migrate10kKb ? `; full migrate of 10,000 over the API: ${fmt.mb(inputs.migrate10kKb)}` : ''),
  ];
  lines.forEach((l) => log(l));
  const figures: BenchResult['figures'] = [
    { name: `peak RSS, dry run ${fmt.n(small.customers)} (CSV)`, value: fmt.mb(small.maxRssKb), target: 'report', ratio: null, pass: null },
    {
      name: `peak RSS, dry run ${fmt.n(large.customers)} (CSV) / ${fmt.n(small.customers)}`,
      value: `${fmt.mb(large.maxRssKb)} / ${fmt.mb(small.maxRssKb)}`,
      target: '<= 1.5',
      ratio,
      pass: ratio <= 1.5,
      note: 'child processes (extract --from-csv, then plan with its reports); peak of the two',
    },
    { name: `peak RSS, dry run ${fmt.n(large.customers)} (CSV)`, value: fmt.mb(large.maxRssKb), target: `<= ${DRY_RUN_RSS_TARGET_MB} MB`, ratio: large.maxRssKb / 1024 / DRY_RUN_RSS_TARGET_MB, pass: large.maxRssKb / 1024 <= DRY_RUN_RSS_TARGET_MB },
  ];
  if (inputs.migrate10kKb)
    figures.push({
      name: 'peak RSS, full migrate 10,000 (API, limits off)',
      value: fmt.mb(inputs.migrate10kKb),
      target: 'info',
      ratio: null,
      pass: null,
      note: 'the overhead benchmark\'s run (limits off): extract, plan, load, verify and reports in one process',
    });
  return { name: 'rss', lines, figures };
}

if (isEntry(import.meta.url)) {
  benchRss({ log: (l) => console.error(l) }).then(
    (r) => printTable([r]),
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : String(err));
      process.exitCode = 1;
    },
  );
}

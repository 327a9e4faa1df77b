import { benchExtract } from './extract.js';
import { dryRunFigures, measureCsvDryRun } from './dryrun.js';
import { fmt, printTable, quick, type BenchResult } from './lib/figures.js';
import { benchOverhead } from './overhead.js';
import { benchResume } from './resume.js';
import { benchRss } from './rss.js';
import { benchWall } from './wall.js';

/**
 * `npm run bench`: every benchmark in turn against the sandbox on 127.0.0.1, then one table of figures, targets,
 * ratios and PASS/MISS. Exits 0 even when a target is missed: benchmarks measure, tests assert. BENCH_QUICK=1 runs a
 * smaller version of each (about two minutes); BENCH_ONLY=wall,rss… runs a subset.
 */

type Step = { name: string; run: () => Promise<BenchResult> };

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
  const started = Date.now();
  log(`yotpo-to-rivo benchmarks${quick() ? ' (quick)' : ''} on node ${process.version}, ${new Date().toISOString()}`);

  let migrate10kKb: number | null = null;
  let large: Awaited<ReturnType<typeof measureCsvDryRun>> | undefined;
  const steps: Step[] = [
    { name: 'wall', run: () => benchWall({ log }) },
    {
      name: 'extract',
      run: async () => {
        const r = await benchExtract({ seconds: quick() ? 10 : 20, log });
        const f = r.figures;
        return {
          name: 'extract',
          lines: r.lines,
          figures: [
            { name: `Yotpo listing rate / rpm (${f.budgetRpm}/min)`, value: `${f.achievedRpm.toFixed(1)}/min`, target: '>= 0.97', ratio: f.ratio, pass: f.ratio >= 0.97 },
            { name: 'Yotpo most in any 60 s window / rpm', value: String(f.maxInAnyWindow), target: '<= 1.00', ratio: f.maxInAnyWindow / f.budgetRpm, pass: f.maxInAnyWindow <= f.budgetRpm && f.status429 === 0 },
          ],
        };
      },
    },
    {
      name: 'overhead',
      run: async () => {
        const r = await benchOverhead({ log });
        migrate10kKb = r.data?.maxRssKb ?? null;
        return r;
      },
    },
    { name: 'resume', run: () => benchResume({ log }) },
    {
      name: 'dry-run',
      run: async () => {
        large = await measureCsvDryRun(quick() ? 100_000 : 1_000_000, log);
        return dryRunFigures(large);
      },
    },
    { name: 'rss', run: () => benchRss({ large, migrate10kKb, log }) },
  ];

  const results: BenchResult[] = [];
  for (const step of steps) {
    if (only && !only.has(step.name)) continue;
    const t = Date.now();
    log(`\n== ${step.name}`);
    try {
      results.push(await step.run());
    } catch (err) {
      log(`${step.name}: FAILED: ${err instanceof Error ? err.stack : String(err)}`);
      results.push({ name: step.name, lines: [], figures: [{ name: 'benchmark ran', value: 'error', target: 'ran', ratio: null, pass: false, note: err instanceof Error ? err.message : String(err) }] });
    }
    log(`== ${step.name}: ${fmt.s(Date.now() - t)}`);
  }

  console.log('');
  console.log(`yotpo-to-rivo benchmarks${quick() ? ' (BENCH_QUICK: smaller sizes)' : ''}: ${new Date().toISOString()}, node ${process.version}, ${fmt.s(Date.now() - started)} in all`);
  console.log('');
  printTable(results);
  console.log('');
  for (const r of results) for (const l of r.lines) console.log(l);
  const missed = results.flatMap((r) => r.figures.filter((f) => f.pass === false).map((f) => `${r.name} / ${f.name}`));
  console.log('');
  console.log(missed.length ? `Targets missed: ${missed.length}: ${missed.join('; ')}` : 'Every target met.');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});

import { pathToFileURL } from 'node:url';

/**
 * One benchmark figure: what was measured, its limit or target, and whether it met it. Benchmarks measure; they
 * never fail the run (tests assert behaviour), they print.
 */
export interface Figure {
  name: string;
  /** The measured value, formatted. */
  value: string;
  /** The target, in words (e.g. "<= 1.10"). */
  target: string;
  /** value / limit, when the figure has one. */
  ratio: number | null;
  /** Null: informational, no target. */
  pass: boolean | null;
  /** How it was measured, in a few words (printed below the table). */
  note?: string;
}

export interface BenchResult {
  name: string;
  figures: Figure[];
  /** Details printed after the table. */
  lines: string[];
  /** Raw numbers other benchmarks reuse (e.g. a peak RSS). */
  data?: Record<string, number | null>;
}

export const fmt = {
  s: (ms: number) => `${(ms / 1000).toFixed(1)} s`,
  mb: (kb: number) => `${(kb / 1024).toFixed(0)} MB`,
  n: (n: number) => Math.round(n).toLocaleString('en-US'),
  r: (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : String(x)),
};

export function printTable(results: BenchResult[], out: (line: string) => void = (l) => console.log(l)): void {
  const rows = results.flatMap((r) => r.figures.map((f) => ({ bench: r.name, ...f })));
  const head = ['benchmark', 'figure', 'value', 'target', 'ratio', 'result'];
  const cells = rows.map((r) => [r.bench, r.name, r.value, r.target, r.ratio === null ? '' : fmt.r(r.ratio), r.pass === null ? 'info' : r.pass ? 'PASS' : 'MISS']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  out(line(head));
  out(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) out(line(c));
  const notes = rows.filter((r) => r.note);
  if (notes.length) {
    out('');
    for (const r of notes) out(`- ${r.bench} / ${r.name}: ${r.note}`);
  }
}

/** Runs `main` when the file is the process's entry point (each benchmark runs alone too). */
export function isEntry(url: string): boolean {
  const entry = process.argv[1];
  return !!entry && url === pathToFileURL(entry).href;
}

export const quick = () => process.env.BENCH_QUICK === '1';

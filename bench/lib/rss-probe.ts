import { writeFileSync } from 'node:fs';

/**
 * Preloaded into a benchmarked child (`node --import …/rss-probe.js`): on exit, writes the process's peak resident
 * set size (`process.resourceUsage().maxRSS`, kilobytes, the same figure as VmHWM) to the file in BENCH_RSS_FILE.
 */
const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', (code) => {
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, maxRssKb: process.resourceUsage().maxRSS, exitCode: code }));
    } catch {
      // a benchmark figure is not worth failing the run for
    }
  });
}

import { writeFileSync } from 'node:fs';

/**
 * Preloaded into a benchmarked child (`node --import …/rss-probe.js`): on exit, writes the process's peak resident
 * set size (`process.resourceUsage().maxRSS`, kilobytes, the same figure as VmHWM) and the CPU time the process used
 * (user + system, microseconds: this process only, not the sandbox's nor the benchmark's) to the file in
 * BENCH_RSS_FILE. CPU time is what a shared machine disturbs least, so the overhead figure is built on it.
 */
const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', (code) => {
    try {
      const u = process.resourceUsage();
      writeFileSync(file, JSON.stringify({ pid: process.pid, maxRssKb: u.maxRSS, cpuUserUs: u.userCPUTime, cpuSystemUs: u.systemCPUTime, exitCode: code }));
    } catch {
      // a benchmark figure is not worth failing the run for
    }
  });
}

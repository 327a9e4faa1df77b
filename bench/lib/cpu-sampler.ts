import { readFileSync } from 'node:fs';

/**
 * Samples a child's CPU time (user + system, from /proc/<pid>/stat, Linux) every `everyMs`, with the wall time of
 * each sample, so a benchmark can read how much CPU the child had used at a moment it learns of only afterwards
 * (e.g. the last write the sandbox received). The child alone: the sandbox and the benchmark are other processes.
 */
export interface CpuSample {
  at: number;
  cpuSeconds: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function cpuOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14 and 15)
  } catch {
    return null;
  }
}

export function sampleCpu(pid: number, everyMs = 100): { samples: CpuSample[]; stop: () => void; at: (t: number) => number | null } {
  const samples: CpuSample[] = [];
  const take = () => {
    const c = cpuOf(pid);
    if (c !== null) samples.push({ at: Date.now(), cpuSeconds: c });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop: () => clearInterval(timer),
    /** CPU seconds at the first sample taken at or after `t` (the last sample when none is). */
    at: (t: number) => (samples.find((s) => s.at >= t) ?? samples.at(-1))?.cpuSeconds ?? null,
  };
}

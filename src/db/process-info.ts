import { readFileSync } from 'node:fs';

/**
 * What Linux says about a process: its state letter and its start time (clock ticks since boot), from
 * /proc/<pid>/stat (fields 3 and 22). The command name (field 2) is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted after the *last* ")". Null when /proc is missing (macOS, some containers) or
 * the process does not exist.
 */
export interface ProcessInfo {
  state: string;
  startTime: string;
}

export function processInfo(pid: number, procRoot = '/proc'): ProcessInfo | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // After ")": field 3 (state) is the first, field 22 (starttime) the 20th.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const state = rest[0];
  const startTime = rest[19];
  if (!state || !startTime || !/^\d+$/.test(startTime)) return null;
  return { state, startTime };
}

/** Whether /proc can be read at all on this host: without it, start times cannot be compared. */
export function hasProc(procRoot = '/proc'): boolean {
  return processInfo(process.pid, procRoot) !== null;
}

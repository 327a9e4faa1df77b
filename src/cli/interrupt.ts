/**
 * Ctrl-C for the writing commands: the first asks the run to stop after the requests in flight have answered and
 * been recorded (the DB stays consistent); a second one exits at once, which is still safe: whatever was in flight
 * is settled by read-back on the next run.
 */
export function interruptible(
  command: string,
  /** Where the message goes: above the live display on a terminal (the display restores the cursor on exit). */
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): { signal: AbortSignal; abort: () => void; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      say(`${command}: stopping now; the next run settles whatever was in flight`);
      process.exit(130);
    }
    say(`${command}: stopping after the requests in flight (Ctrl-C again to stop at once)…`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

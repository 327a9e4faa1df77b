/** The most start times inside any half-open window of `windowMs` (how a server counting a sliding window sees them). */
export function peak(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! - sorted[i]! < windowMs) j++;
    worst = Math.max(worst, j - i);
  }
  return worst;
}

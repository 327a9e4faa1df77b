/**
 * The customers whose events verify reads back although their tallies match: a uniform, seeded sample, so a re-run
 * of the same migration samples the same customers.
 */

/** FNV-1a of the migration id: the same migration samples the same customers on every run. */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Uniform sample of at most `size` items from a stream (Algorithm R), seeded (mulberry32). */
export class Reservoir<T> {
  private readonly kept: T[] = [];
  private count = 0;
  private state: number;

  constructor(
    private readonly size: number,
    seed: number,
  ) {
    this.state = seed >>> 0;
  }

  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * Offers an item; returns the item that is not (or no longer) in the sample: the one offered, or the one it
   * replaced; null when it was kept and replaced nothing. Every item offered comes back exactly once, here or from
   * `items()`, so a caller can settle each one once.
   */
  offer(item: T): T | null {
    this.count++;
    if (this.size <= 0) return item;
    if (this.kept.length < this.size) {
      this.kept.push(item);
      return null;
    }
    const j = Math.floor(this.random() * this.count);
    if (j >= this.size) return item;
    const out = this.kept[j]!;
    this.kept[j] = item;
    return out;
  }

  items(): T[] {
    return [...this.kept];
  }
}

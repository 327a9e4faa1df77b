import { describe, expect, it } from 'vitest';
import { Pool } from '../../src/load/pool.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Tasks that finish when the test says so, counting how many run at once. */
function gated() {
  let running = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  const task = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise<void>((r) => waiting.push(r));
    running--;
  };
  return {
    task,
    release: () => waiting.splice(0).forEach((r) => r()),
    get running() {
      return running;
    },
    get peak() {
      return peak;
    },
  };
}

describe('Pool: the runner\'s one concurrency control', () => {
  it('never runs more than `size` tasks at once, read-backs and send units together', async () => {
    const pool = new Pool(3);
    const g = gated();
    let n = 0;
    const settle = pool.each([1, 2, 3, 4], () => g.task());
    const send = pool.drain(() => (n < 5 ? n++ : undefined), async () => (await g.task(), []));
    let finished = false;
    const all = Promise.all([settle, send]).then(() => (finished = true));
    while (!finished) {
      await tick();
      expect(g.running).toBeLessThanOrEqual(3);
      g.release();
    }
    await all;
    expect(g.peak).toBe(3);
    expect(await send).toBe(5);
  });

  it('takes an item from the source only when a slot starts (the source is read no faster than the pool works)', async () => {
    const pool = new Pool(2);
    const g = gated();
    let taken = 0;
    const done = pool.drain(() => (taken < 10 ? ++taken : undefined), async () => (await g.task(), []));
    await tick();
    expect(taken).toBe(2);
    g.release();
    await tick();
    expect(taken).toBe(4);
    while (taken < 10 || g.running) {
      g.release();
      await tick();
    }
    expect(await done).toBe(10);
  });

  it('runs follow-ups before taking anything new', async () => {
    const pool = new Pool(1);
    const order: string[] = [];
    const source = ['a', 'b'];
    await pool.drain(
      () => source.shift(),
      async (item) => {
        order.push(item);
        return item.length === 1 ? [`${item}-updates`] : [];
      },
    );
    expect(order).toEqual(['a', 'a-updates', 'b', 'b-updates']);
  });

  it('the first error stops the pool: nothing new starts, the error is kept', async () => {
    const pool = new Pool(1);
    const ran: number[] = [];
    const boom = new Error('boom');
    await pool.each([1, 2, 3], async (i) => {
      ran.push(i);
      if (i === 1) throw boom;
    });
    expect(ran).toEqual([1]);
    expect(pool.error).toBe(boom);
    expect(pool.stopped()).toBe(true);
    expect(await pool.drain(() => 1, async () => [])).toBe(0);
  });

  it('an aborted run starts nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const pool = new Pool(2, ac.signal);
    let ran = 0;
    await pool.each([1, 2], async () => void ran++);
    expect(ran).toBe(0);
  });
});

describe('pipeline: the pool\'s size', () => {
  it('is twice the requests the Rivo gate lets in flight (issue 13: the next intents are flushed meanwhile), at least 2', async () => {
    const { pipeline } = await import('../../src/load/engine.js');
    expect(pipeline(8)).toBe(16);
    expect(pipeline(1)).toBe(2);
    expect(pipeline(0)).toBe(2);
  });
});

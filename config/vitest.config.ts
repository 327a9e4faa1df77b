import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers than that only adds contention to the timing-sensitive sandbox tests.
    pool: 'forks',
    maxWorkers: 2,
  },
});

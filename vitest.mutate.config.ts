// The vitest configuration Stryker runs (stryker.config.mjs): the test subset of one folder,
// handed over in MUTATE_TESTS. Not used by `npm test`.
import { defineConfig } from 'vitest/config';

const tests = (process.env.MUTATE_TESTS ?? '').split(',').filter((t) => t !== '');

export default defineConfig({
  test: {
    include: tests.length > 0 ? tests : ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

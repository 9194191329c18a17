import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests assert results, never speed (npm run bench measures that); the CLI cases run whole
    // audits in child processes, which take over 30 s on a loaded shared CI machine.
    testTimeout: 120_000,
    pool: 'forks',
  },
});

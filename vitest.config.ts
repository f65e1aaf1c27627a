import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The examples import the built package (../dist/index.mjs); under test they run on the sources.
  resolve: { alias: [{ find: /^\.\.\/dist\/index\.mjs$/, replacement: resolve(__dirname, 'src/index.ts') }] },
  test: {
    include: ['test/**/*.test.ts'],
    // Forks, not worker threads: each file gets its own process, so native thread-pool settings and
    // backend switches in one file cannot leak into another.
    pool: 'forks',
    // gc() lets lifetime tests force collection while async kernels are in flight.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

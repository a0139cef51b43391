import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One copy of graphql for our code, Pothos and Yoga (vitest would otherwise load its ESM build beside the CJS one).
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});

/**
 * `npm run bench`: every benchmark, printed as figures and same-run ratios against baselines.
 * Loopback only: PostgreSQL at BENCH_DATABASE_URL (default 127.0.0.1:5432), PGlite in memory.
 * Run one part alone with `npx tsx bench/<name>.ts`.
 */
const parts: [string, () => Promise<{ run: () => Promise<void> }>][] = [
  ['event store', async () => ({ run: (await import('./eventStore.ts')).runEventStoreBench })],
  ['views and time travel', async () => ({ run: (await import('./views.ts')).runViewsBench })],
  ['pull', async () => ({ run: (await import('./pull.ts')).runPullBench })],
  ['graphql', async () => ({ run: (await import('./graphql.ts')).runGraphqlBench })],
];

const only = process.argv.slice(2);
for (const [name, load] of parts) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
  console.log(`\n=== ${name}`);
  try {
    await (await load()).run();
  } catch (error) {
    console.error(`${name}: failed:`, error);
    process.exitCode = 1;
  }
}

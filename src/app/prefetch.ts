/**
 * Runs a pure, synchronous computation that reads keys through a lookup, fetching what it asked
 * for and did not have yet in batches, until it completes without a miss. The domain's deciders
 * and path resolution stay synchronous while their inputs live in the database: each round trip
 * fetches every key the previous attempt needed.
 */
export async function withPrefetch<Key, Value, Result>(
  fetch: (keys: Key[]) => Promise<Map<Key, Value | undefined>>,
  compute: (lookup: (key: Key) => Value | undefined) => Result,
  maxRounds = 64,
): Promise<Result> {
  const cache = new Map<Key, Value | undefined>();
  for (let round = 0; round < maxRounds; round++) {
    const missing = new Set<Key>();
    const lookup = (key: Key) => {
      if (!cache.has(key)) missing.add(key);
      return cache.get(key);
    };
    let result: Result;
    try {
      result = compute(lookup);
    } catch (error) {
      if (missing.size === 0) throw error;
      await fill();
      continue;
    }
    if (missing.size === 0) return result;
    await fill();
    async function fill() {
      const fetched = await fetch([...missing]);
      for (const key of missing) cache.set(key, fetched.get(key));
    }
  }
  throw new Error('withPrefetch: too many rounds');
}

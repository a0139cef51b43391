import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { createContainerFrom } from '../../src/app/containers.ts';
import { importImage } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { asOfCache } from '../../src/projections/asOfCache.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend } from '../support/strata.ts';
import { dir, file } from '../support/tarBuilder.ts';
import { strataYoga } from './strataYoga.ts';

/** Counts every SQL statement Kysely sends. */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

eachBackend('no N+1: a page of containers with their images and layers', (getStrata) => {
  let strata: Strata;
  beforeAll(async () => {
    strata = await getStrata();
    for (let i = 0; i < 3; i++) {
      await importImage(
        strata,
        memoryImage([[dir('etc'), file('etc/base', 'base')], [file(`etc/app${i}`, `app ${i}`)]], {
          tag: `app:v${i}`,
        }),
      );
    }
    for (let i = 0; i < 50; i++) await createContainerFrom(strata, { image: `app:v${i % 3}`, name: `c${i}` });
  });

  it('costs a constant number of statements for 50 containers, and the same for 10', async () => {
    const counter = new StatementCounter();
    const counted = { ...strata, db: strata.db.withPlugin(counter) };
    const { gql } = strataYoga(counted as Strata);
    const query = `query($n: Int) { containers(all: true, first: $n) { edges { node { name state sizeRw image { repoTags size layers { chainId layer { diffId size imageCount } } } } } } }`;
    // The database path: the cross-request as-of cache is emptied before each count.
    const cache = asOfCache(counted.db);
    cache.clear();
    const fifty = await gql(query, { n: 50 });
    expect(fifty.containers.edges).toHaveLength(50);
    expect(fifty.containers.edges[0].node.image.layers[1].layer.imageCount).toBe(1);
    const forFifty = counter.count;
    counter.count = 0;
    cache.clear();
    await gql(query, { n: 10 });
    const forTen = counter.count;
    counter.count = 0;
    cache.clear();
    await gql(query, { n: 50 });
    counter.count = 0;
    const again = await gql(query, { n: 50 });
    const repeated = counter.count;
    console.log(`statements: ${forFifty} for 50 containers, ${forTen} for 10, ${repeated} for 50 again`);
    expect(forFifty).toBeGreaterThan(0);
    expect(forFifty).toBeLessThanOrEqual(8);
    expect(forFifty).toBe(forTen);
    // Nothing was written since: everything but the read of the head comes from the as-of cache.
    expect(again).toEqual(fifty);
    expect(repeated).toBe(1);
  });
});

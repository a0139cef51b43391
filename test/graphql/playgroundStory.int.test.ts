import { type OperationDefinitionNode, parse, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultQuery } from '../../src/graphql/playground.ts';
import { pushFixtures } from '../support/fixtures.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { eachBackend } from '../support/strata.ts';
import { strataYoga } from './strataYoga.ts';

/**
 * The playground's default document (src/graphql/playground.ts) is the Docker story; it is run
 * here operation by operation, in order, against a real registry on loopback (the image name is
 * the only thing swapped: the document says `busybox`, the test pulls the same busybox fixture
 * from 127.0.0.1), so the walkthrough a newcomer runs cannot rot.
 */
describe('the playground walkthrough', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    await pushFixtures(registry, { images: ['base'] });
  }, 120_000);
  afterAll(() => registry?.stop());

  eachBackend('runs top to bottom', (getStrata) => {
    it('pulls, creates, starts, writes, restarts, reads back, travels in time, reports usage', async () => {
      const { gql } = strataYoga(await getStrata());
      const image = `${registry.host}/fixtures/base:oci`;
      const document = parse(defaultQuery.replaceAll('"busybox"', JSON.stringify(image)));
      const operations = document.definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
      );
      expect(operations.map((o) => o.name?.value)).toEqual([
        'Pull',
        'Create',
        'Start',
        'Write',
        'Restart',
        'ReadBack',
        'AsOf',
        'Usage',
      ]);
      // biome-ignore lint/suspicious/noExplicitAny: GraphQL results are inspected freely.
      const results: Record<string, any> = {};
      for (const operation of operations) {
        const name = operation.name!.value;
        const variables =
          name === 'AsOf' ? { position: results.Write.writeFile.data.origin.position - 1 } : {};
        results[name] = await gql(print(operation), variables);
        for (const value of Object.values(results[name])) {
          if (value && typeof value === 'object' && '__typename' in value)
            expect((value as { __typename: string }).__typename, name).toMatch(/Success$/);
        }
      }
      expect(results.Pull.pullImage.data.status).toMatch(/^Downloaded newer image for /);
      expect(results.ReadBack.container.file.content).toBe('hello, layers\n');
      // busybox has /root: the write copies it up (C), the file is new (A).
      expect(results.ReadBack.container.changes).toEqual([
        { kind: 'C', path: '/root' },
        { kind: 'A', path: '/root/hello.txt' },
      ]);
      expect(results.AsOf.container.file).toBeNull();
      expect(results.Usage.diskUsage.containers[0].sizeRw).toBe(14);
      expect(results.Usage.events.edges.length).toBeGreaterThan(3);
    });
  });
});

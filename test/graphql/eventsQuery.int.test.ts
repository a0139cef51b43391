import { expect, it } from 'vitest';
import { createContainerFrom } from '../../src/app/containers.ts';
import { writeFile } from '../../src/app/files.ts';
import { importImage } from '../../src/app/importImage.ts';
import { openDatabase } from '../../src/db/index.ts';
import { appendToStream } from '../../src/eventStore/appendToStream.ts';
import { heads } from '../../src/eventStore/head.ts';
import { describePostgres } from '../support/backends.ts';
import { holdOpenTransaction } from '../support/heldTransaction.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { strataOn } from '../support/strata.ts';
import { dir, file } from '../support/tarBuilder.ts';
import { strataYoga } from './strataYoga.ts';

const eventsQuery = `query ($after: Position) {
  events(after: $after, first: 100) { edges { node { position type } } }
}`;

describePostgres('the events query and an older commit in flight', (backend) => {
  it("lists the caller's own write once the older transaction commits, within the query", async () => {
    const a = strataOn(backend());
    const other = await openDatabase({ databaseUrl: backend().databaseUrl! });
    try {
      await importImage(a, memoryImage([[dir('etc'), file('etc/motd', 'hi\n')]], { tag: 'ev:1' }));
      await createContainerFrom(a, { image: 'ev:1', name: 'ev1' });
      const before = (await heads(a.db)).last;
      // Another server's transaction takes an xid and stays open: the safe head stops below it.
      const { release, committed: holder } = await holdOpenTransaction(other.db, async (trx) => {
        await appendToStream(trx, 'other-held', [{ type: 'Held', data: {} }], {
          expectedVersion: 'no_stream',
        });
      });
      await writeFile(a, 'ev1', { path: '/etc/motd', content: 'mine\n' });
      const during = await heads(a.db);
      expect(during.safe).toBeLessThan(during.last);
      setTimeout(release, 300);
      const { gql } = strataYoga(a);
      const listed = (await gql(eventsQuery, { after: before })).events.edges.map(
        (e: { node: { position: number; type: string } }) => e.node.position,
      );
      await holder;
      expect(listed).toContain(during.last);
      expect(listed).toEqual([...listed].sort((x, y) => x - y));
    } finally {
      await other.close();
    }
  });
});

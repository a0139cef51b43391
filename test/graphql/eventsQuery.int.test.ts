import { expect, it } from 'vitest';
import { createContainerFrom } from '../../src/app/containers.ts';
import { writeFile } from '../../src/app/files.ts';
import { importImage } from '../../src/app/importImage.ts';
import { bindStores, type Strata } from '../../src/app/openStrata.ts';
import { openDatabase } from '../../src/db/index.ts';
import { appendToStream } from '../../src/eventStore/appendToStream.ts';
import { heads } from '../../src/eventStore/head.ts';
import { describePostgres } from '../support/backends.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { dir, file } from '../support/tarBuilder.ts';
import { strataYoga } from './strataYoga.ts';

const strataOf = (database: Strata['database']): Strata => ({
  database,
  db: database.db,
  ...bindStores(database),
  now: () => new Date().toISOString(),
  close: async () => {},
});

const eventsQuery = `query ($after: Position) {
  events(after: $after, first: 100) { edges { node { position type } } }
}`;

describePostgres('the events query and an older commit in flight', (backend) => {
  it("lists the caller's own write once the older transaction commits, within the query", async () => {
    const a = strataOf(backend());
    const other = await openDatabase({ databaseUrl: backend().databaseUrl! });
    try {
      await importImage(a, memoryImage([[dir('etc'), file('etc/motd', 'hi\n')]], { tag: 'ev:1' }));
      await createContainerFrom(a, { image: 'ev:1', name: 'ev1' });
      const before = (await heads(a.db)).last;
      // Another server's transaction takes an xid and stays open: the safe head stops below it.
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let open!: () => void;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      const holder = other.db.transaction().execute(async (trx) => {
        await appendToStream(trx, 'other-held', [{ type: 'Held', data: {} }], {
          expectedVersion: 'no_stream',
        });
        open();
        await released;
      });
      await opened;
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

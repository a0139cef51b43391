import fc from 'fast-check';
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { containerChangesAt } from '../../src/app/changes.ts';
import { encodeEntries } from '../../src/app/layers.ts';
import { bindStores } from '../../src/app/openStrata.ts';
import type { Db } from '../../src/db/database.ts';
import type { FsNode } from '../../src/domain/fs/node.ts';
import { appendMulti } from '../../src/eventStore/appendToStream.ts';
import { putContent, readContent } from '../../src/eventStore/contentStore.ts';
import { FileView } from '../../src/projections/fileView.ts';
import { imageById } from '../../src/projections/queries/images.ts';
import { readModelsProjection } from '../../src/projections/readModels.ts';
import { validAt } from '../../src/projections/validAt.ts';
import { describeEachBackend } from '../support/backends.ts';
import { type History, historyArbitrary } from '../support/histories.ts';
import { replayAt } from '../support/oracle.ts';

/**
 * Time travel, proven: for random histories (real layers, images, tags, containers and file
 * operations decided by the real deciders), the read models as of random positions must equal a
 * plain in-memory replay of `evolve` from zero up to that position (test/support/oracle.ts).
 */
const projections = [readModelsProjection((trx, digest) => readContent(trx, digest))];
const tables = [
  'events',
  'layers',
  'layer_entries',
  'chain_files',
  'images',
  'image_tags',
  'containers',
  'container_upper',
  'sessions',
  'session_steps',
];

const nodeKey = (n: FsNode) =>
  JSON.stringify([
    n.path,
    n.type === 'hardlink' ? 'file' : n.type,
    n.mode,
    n.uid,
    n.gid,
    n.type === 'dir' ? 0 : n.size,
    n.digest ?? null,
    n.type === 'symlink' ? n.linkTarget : null,
    n.mtime,
  ]);

async function load(db: Db, history: History): Promise<Map<number, number>> {
  await sql.raw(`truncate ${tables.join(', ')}`).execute(db);
  const encoder = new TextEncoder();
  for (const [digest, content] of history.contents)
    await putContent(db, encoder.encode(content), { expectedDigest: digest });
  for (const layer of history.layers) {
    const stored = await putContent(db, encodeEntries(layer.entries));
    expect(stored.digest).toBe(layer.registered.entriesDigest);
    await putContent(db, layer.blob, { expectedDigest: layer.digest });
  }
  const toStore = new Map<number, number>([[0, 0]]);
  for (const step of history.steps) {
    if (step.events.length === 0) continue;
    const byStream: { stream: string; events: { type: string; data: unknown }[] }[] = [];
    for (const event of step.events) {
      const last = byStream.at(-1);
      if (last?.stream === event.stream) last.events.push({ type: event.type, data: event.data });
      else byStream.push({ stream: event.stream, events: [{ type: event.type, data: event.data }] });
    }
    const result = await appendMulti(
      db,
      byStream.map((s) => ({ ...s, expectedVersion: 'any' as const })),
      { inlineProjections: projections },
    );
    const positions = result.streams.flatMap((s) => s.events.map((e) => e.position));
    for (const [i, event] of step.events.entries()) toStore.set(event.position, positions[i]!);
  }
  return toStore;
}

async function storeTree(view: FileView): Promise<string[]> {
  const keys: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await view.files('/', 500, after);
    keys.push(...page.entries.map((e) => nodeKey(e.node)));
    if (!page.hasNextPage) return keys;
    after = page.entries.at(-1)!.node.path;
  }
}

describeEachBackend('time travel equals a replay of evolve from zero', (backend) => {
  let db: Db;
  beforeAll(() => {
    db = backend().db;
    void bindStores;
  });

  it('for random histories at random positions: containers, images, tags, merged trees, docker diff', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArbitrary({ maxSteps: 25 }),
        fc.array(fc.nat(), { minLength: 3, maxLength: 5 }),
        async (history, picks) => {
          const toStore = await load(db, history);
          const positions = [
            ...new Set([
              ...picks.map((p) => (history.lastPosition === 0 ? 0 : (p % history.lastPosition) + 1)),
              history.lastPosition,
            ]),
          ];
          const worlds = replayAt(history.events, positions, history.layerEntries);
          for (const position of positions) {
            const world = worlds.get(position)!;
            const asOf = toStore.get(position)!;

            const containers = await db
              .selectFrom('containers')
              .selectAll()
              .where(validAt('containers', asOf))
              .execute();
            const live = world.liveContainers();
            expect(
              containers
                .map((c) => [c.container_id, c.name, c.image_id, c.state, c.exit_code ?? null])
                .sort(),
            ).toEqual(
              live
                .map((c) => [
                  c.containerId,
                  c.name,
                  c.imageId,
                  c.status,
                  c.status === 'created' ? null : (c.exitCode ?? null),
                ])
                .sort(),
            );

            const images = await db.selectFrom('images').selectAll().where(validAt('images', asOf)).execute();
            const present = [...world.images.values()].filter((i) => !i.deleted);
            expect(images.map((i) => i.image_id).sort()).toEqual(present.map((i) => i.imageId).sort());
            const tags = await db
              .selectFrom('image_tags')
              .select(['reference', 'image_id'])
              .where(validAt('image_tags', asOf))
              .execute();
            expect(
              tags
                .filter((t) => !t.reference.includes('@'))
                .map((t) => `${t.reference}=${t.image_id}`)
                .sort(),
            ).toEqual(present.flatMap((i) => i.repoTags.map((r) => `${r}=${i.imageId}`)).sort());

            for (const image of present) {
              const row = (await imageById(db, image.imageId, asOf))!;
              expect(await storeTree(new FileView(db, row.top_chain_id))).toEqual(
                [...world.imageTree(image.imageId)!.values()].map(nodeKey),
              );
            }
            for (const container of live) {
              const row = containers.find((c) => c.container_id === container.containerId)!;
              const image = (await db
                .selectFrom('images')
                .select('top_chain_id')
                .where('image_id', '=', row.image_id)
                .executeTakeFirst())!;
              const view = new FileView(db, image.top_chain_id, { containerId: row.container_id, asOf });
              expect(await storeTree(view), `tree of ${container.name} as of ${position}`).toEqual(
                [...world.containerTree(container.containerId)!.values()].map(nodeKey),
              );
              expect(
                await containerChangesAt(db, row, asOf),
                `diff of ${container.name} as of ${position}`,
              ).toEqual(world.containerChanges(container.containerId));
            }
          }
        },
      ),
      { numRuns: Number(process.env.TIME_TRAVEL_RUNS ?? 12), endOnFailure: true },
    );
  });
});

import type { Kysely } from 'kysely';
import type { Trx } from '../db/database.ts';
import type { ContainerEvent } from '../domain/container/events.ts';
import type { Digest } from '../domain/digest.ts';
import type { LayerEntry } from '../domain/fs/node.ts';
import type { ImageEvent } from '../domain/image/events.ts';
import type { LayerEvent } from '../domain/layer/events.ts';
import type { SessionEvent } from '../domain/session/events.ts';
import { streamPrefixes } from '../domain/streams.ts';
import type { InlineProjection } from '../eventStore/inlineProjection.ts';
import type { RecordedEvent } from '../eventStore/types.ts';
import type { LoadLayerEntries } from './chainView.ts';
import { projectContainerEvent } from './containerProjection.ts';
import { projectImageEvent, projectLayerEvent } from './imageProjection.ts';
import { projectSessionEvent } from './sessionProjection.ts';
import type { ProjectionTables } from './tables.ts';

/** Reads a blob from the content store inside the given transaction. */
export type ReadContent = (db: Trx, digest: Digest) => Promise<Uint8Array>;

const layerTypes = ['LayerRegistered'];
const imageTypes = ['ImageCreated', 'ImageTagged', 'ImageUntagged', 'ImageDeleted'];
const sessionTypes = ['SessionStarted', 'CommandExecuted', 'SessionEnded'];
const containerTypes = [
  'ContainerCreated',
  'ContainerStarted',
  'ContainerStopped',
  'ContainerRestarted',
  'ContainerPaused',
  'ContainerUnpaused',
  'ContainerRemoved',
  'ContainerPathWritten',
  'ContainerPathRemoved',
  'ContainerDirectoryOpaqued',
];

/** Every read model of src/projections, kept in the append's transaction. */
export function readModelsProjection(readContent: ReadContent): InlineProjection {
  return {
    name: 'read-models',
    handles: [...layerTypes, ...imageTypes, ...containerTypes, ...sessionTypes],
    async apply(trx, events) {
      const db = trx as unknown as Kysely<ProjectionTables>;
      // A layer registered and used by an image in the same append is read (and parsed) once.
      const loaded = new Map<string, Promise<readonly LayerEntry[]>>();
      const loadEntries: LoadLayerEntries = (diffId) => {
        let entries = loaded.get(diffId);
        if (!entries) {
          entries = (async () => {
            const layer = await db
              .selectFrom('layers')
              .select('entries_digest')
              .where('diff_id', '=', diffId)
              .executeTakeFirstOrThrow();
            return JSON.parse(
              new TextDecoder().decode(await readContent(trx, layer.entries_digest as Digest)),
            ) as LayerEntry[];
          })();
          loaded.set(diffId, entries);
        }
        return entries;
      };
      for (const event of events) await projectEvent(db, event, loadEntries);
    },
  };
}

/** One event into the read models (also used by rebuilds). */
export async function projectEvent(
  db: Kysely<ProjectionTables>,
  event: RecordedEvent,
  loadEntries: LoadLayerEntries,
) {
  const projected = { stream: event.stream, position: event.position };
  if (layerTypes.includes(event.type) && event.stream.startsWith(streamPrefixes.layer)) {
    await projectLayerEvent(db, { ...projected, event: event as unknown as LayerEvent }, loadEntries);
  } else if (imageTypes.includes(event.type) && event.stream.startsWith(streamPrefixes.image)) {
    await projectImageEvent(db, { ...projected, event: event as unknown as ImageEvent }, loadEntries);
  } else if (sessionTypes.includes(event.type) && event.stream.startsWith('session-')) {
    await projectSessionEvent(db, { ...projected, event: event as unknown as SessionEvent });
  } else if (
    containerTypes.includes(event.type) &&
    event.stream.startsWith(streamPrefixes.container) &&
    !event.stream.startsWith(streamPrefixes.containerName)
  ) {
    const metadata = event.metadata as { sessionId?: string; command?: string };
    await projectContainerEvent(
      db,
      { ...projected, event: event as unknown as ContainerEvent },
      {
        sessionId: metadata.sessionId ?? null,
        command: metadata.command ?? null,
      },
    );
  }
}

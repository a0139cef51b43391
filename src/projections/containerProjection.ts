import type { Kysely } from 'kysely';
import type { ContainerEvent } from '../domain/container/events.ts';
import { markerColumns, nodeColumns, sortKey, subtreeRange } from './fileRows.ts';
import type { ProjectedEvent } from './imageProjection.ts';
import { containerIdOfStream } from './streamIds.ts';
import type { ProjectionTables } from './tables.ts';

type Db = Kysely<ProjectionTables>;

/** Provenance kept beside each writable-layer row: which session and command wrote it. */
export interface Provenance {
  sessionId: string | null;
  command: string | null;
}

const lifecycle: Partial<Record<ContainerEvent['type'], string>> = {
  ContainerStarted: 'running',
  ContainerRestarted: 'running',
  ContainerStopped: 'exited',
  ContainerPaused: 'paused',
  ContainerUnpaused: 'running',
};

/**
 * Containers as versioned rows (one row per state the container went through) and their writable
 * layers as versioned path rows: a change closes the current rows it replaces (`valid_to`) and
 * opens new ones (`valid_from`), both at the event's position.
 */
export async function projectContainerEvent(
  db: Db,
  { stream, position, event }: ProjectedEvent<ContainerEvent>,
  provenance: Provenance,
) {
  const containerId = containerIdOfStream(stream);
  switch (event.type) {
    case 'ContainerCreated': {
      const data = event.data;
      await db
        .insertInto('containers')
        .values({
          container_id: containerId,
          name: data.name,
          image_id: data.imageId,
          cmd: JSON.stringify(data.cmd),
          state: 'created',
          restart_count: 0,
          exit_code: null,
          created: data.created,
          started_at: null,
          finished_at: null,
          valid_from: position,
          valid_to: null,
        })
        .execute();
      return;
    }
    case 'ContainerRemoved':
      await closeUpper(db, containerId, '/', position);
      await closeContainer(db, containerId, position);
      return;
    case 'ContainerStarted':
    case 'ContainerRestarted':
      return nextState(db, containerId, position, {
        state: 'running',
        started_at: event.data.startedAt,
        restart_count: 0,
        exit_code: 0,
      });
    case 'ContainerStopped':
      return nextState(db, containerId, position, {
        state: 'exited',
        exit_code: event.data.exitCode,
        finished_at: event.data.finishedAt,
      });
    case 'ContainerPaused':
    case 'ContainerUnpaused':
      return nextState(db, containerId, position, { state: lifecycle[event.type]! });
    case 'ContainerPathWritten': {
      const { path, node, operation } = event.data;
      const replaced = db
        .updateTable('container_upper')
        .set({ valid_to: position })
        .where('container_id', '=', containerId)
        .where('valid_to', 'is', null);
      await replaced.where('sort_key', '=', sortKey(path)).where('kind', '!=', 'opaque').execute();
      await openUpperRow(
        db,
        containerId,
        position,
        'node',
        nodeColumns(node),
        rowProvenance(provenance, operation),
      );
      return;
    }
    case 'ContainerPathRemoved': {
      const { path, whiteout, operation } = event.data;
      await closeUpper(db, containerId, path, position);
      if (whiteout) {
        await openUpperRow(
          db,
          containerId,
          position,
          'whiteout',
          markerColumns(path),
          rowProvenance(provenance, operation),
        );
      }
      return;
    }
    case 'ContainerDirectoryOpaqued':
      await openUpperRow(
        db,
        containerId,
        position,
        'opaque',
        markerColumns(event.data.path),
        rowProvenance(provenance, 'opaque'),
      );
      return;
  }
}

/** Opens a writable-layer row at `position` (a node, a whiteout or an opaque marker). */
function openUpperRow(
  db: Db,
  containerId: string,
  position: number,
  kind: 'node' | 'whiteout' | 'opaque',
  columns: ReturnType<typeof markerColumns>,
  provenance: ReturnType<typeof rowProvenance>,
) {
  return db
    .insertInto('container_upper')
    .values({
      ...columns,
      ...provenance,
      container_id: containerId,
      kind,
      valid_from: position,
      valid_to: null,
    })
    .execute();
}

const rowProvenance = (provenance: Provenance, operation: string) => ({
  session_id: provenance.sessionId,
  command: provenance.command,
  operation,
});

async function closeUpper(db: Db, containerId: string, path: string, position: number) {
  const range = subtreeRange(path);
  let query = db
    .updateTable('container_upper')
    .set({ valid_to: position })
    .where('container_id', '=', containerId)
    .where('valid_to', 'is', null)
    .where('sort_key', '>=', range.from);
  if (range.to !== undefined) query = query.where('sort_key', '<', range.to);
  await query.execute();
}

/** Ends the container's current row at `position`. */
async function closeContainer(db: Db, containerId: string, position: number) {
  await db
    .updateTable('containers')
    .set({ valid_to: position })
    .where('container_id', '=', containerId)
    .where('valid_to', 'is', null)
    .execute();
}

type StateChange = Partial<
  Pick<ProjectionTables['containers'], 'state' | 'exit_code' | 'started_at' | 'finished_at' | 'restart_count'>
>;

/** Closes the container's current row and opens its successor with `change` applied. */
async function nextState(db: Db, containerId: string, position: number, change: StateChange) {
  const current = await db
    .selectFrom('containers')
    .selectAll()
    .where('container_id', '=', containerId)
    .where('valid_to', 'is', null)
    .executeTakeFirstOrThrow();
  if (Number(current.valid_from) === position) {
    await db
      .updateTable('containers')
      .set(change)
      .where('container_id', '=', containerId)
      .where('valid_to', 'is', null)
      .execute();
    return;
  }
  await closeContainer(db, containerId, position);
  await db
    .insertInto('containers')
    .values({ ...current, cmd: JSON.stringify(current.cmd), ...change, valid_from: position, valid_to: null })
    .execute();
}

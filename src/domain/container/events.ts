import type { Digest } from '../digest.ts';
import type { FsNode } from '../fs/node.ts';

/**
 * Stream `container-<64 hex id>`: the container's lifecycle and its writable (upper) layer.
 * Filesystem events carry the RESULTING upper-layer change, so a projection applies them without
 * knowing any union rule; `decide` worked out copy-up, whiteouts and opaque directories.
 */
export interface ContainerCreatedData {
  containerId: string;
  /** Without Docker's leading slash. */
  name: string;
  imageId: Digest;
  /** The image argument as given to create (`ubuntu`), which `docker ps` shows. */
  imageReference?: string;
  cmd: string[];
  /** ISO timestamp. */
  created: string;
}

export type ContainerCreated = { type: 'ContainerCreated'; data: ContainerCreatedData };
export type ContainerStarted = { type: 'ContainerStarted'; data: { startedAt: string } };
/** The main process ended: a stop, or the kill that precedes a forced removal (exit code 137). */
export type ContainerStopped = { type: 'ContainerStopped'; data: { exitCode: number; finishedAt: string } };
/**
 * A manual `docker restart` started the container again (after a ContainerStopped when it was
 * running). Like Docker, a manual start or restart resets the restart count to 0; the count only
 * grows with restarts a restart policy makes.
 */
export type ContainerRestarted = { type: 'ContainerRestarted'; data: { startedAt: string } };
export type ContainerPaused = { type: 'ContainerPaused'; data: { pausedAt: string } };
export type ContainerUnpaused = { type: 'ContainerUnpaused'; data: { unpausedAt: string } };
/** The container and its writable layer are gone. */
export type ContainerRemoved = { type: 'ContainerRemoved'; data: { force: boolean; removedAt: string } };

/** What produced a filesystem change (for provenance; projections store it beside the row). */
export type FsOperation =
  | 'write'
  | 'append'
  | 'mkdir'
  | 'symlink'
  | 'link'
  | 'chmod'
  | 'chown'
  | 'copy-up'
  | 'rename'
  | 'remove'
  | 'touch'
  | (string & {});

/**
 * The upper layer now holds `node` at `path`, replacing the node or whiteout it held there. It
 * never turns an upper directory into a non-directory (decide removes the directory first), and an
 * opaque marker at `path` stays.
 */
export type ContainerPathWritten = {
  type: 'ContainerPathWritten';
  data: { path: string; node: FsNode; operation: FsOperation };
};
/**
 * The upper layer drops `path` and everything below it (nodes, whiteouts, opaque markers); with
 * `whiteout`, a whiteout at `path` then hides what the lower layers hold there.
 */
export type ContainerPathRemoved = {
  type: 'ContainerPathRemoved';
  data: { path: string; whiteout: boolean; operation: FsOperation };
};
/** The upper directory at `path` hides everything the lower layers hold below it. */
export type ContainerDirectoryOpaqued = { type: 'ContainerDirectoryOpaqued'; data: { path: string } };

export type ContainerLifecycleEvent =
  | ContainerCreated
  | ContainerStarted
  | ContainerStopped
  | ContainerRestarted
  | ContainerPaused
  | ContainerUnpaused
  | ContainerRemoved;

export type ContainerFsEvent = ContainerPathWritten | ContainerPathRemoved | ContainerDirectoryOpaqued;

export type ContainerEvent = ContainerLifecycleEvent | ContainerFsEvent;

export const containerEventSchemaVersions: Record<ContainerEvent['type'], number> = {
  ContainerCreated: 1,
  ContainerStarted: 1,
  ContainerStopped: 1,
  ContainerRestarted: 1,
  ContainerPaused: 1,
  ContainerUnpaused: 1,
  ContainerRemoved: 1,
  ContainerPathWritten: 1,
  ContainerPathRemoved: 1,
  ContainerDirectoryOpaqued: 1,
};

export const isContainerFsEvent = (event: ContainerEvent): event is ContainerFsEvent =>
  event.type === 'ContainerPathWritten' ||
  event.type === 'ContainerPathRemoved' ||
  event.type === 'ContainerDirectoryOpaqued';

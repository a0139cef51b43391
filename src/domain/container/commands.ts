import type { Digest } from '../digest.ts';
import type { LowerChildren, LowerLookup } from './writableLayer.ts';

/**
 * Every command names its container (the stream's id) and carries its clock (`now`, ISO) and any
 * generated id, so decide stays pure. Paths are normalised and already symlink-resolved by the app
 * layer (against the container's merged view); `lower` / `lowerChildren` read the image's merged
 * view, pre-fetched by the app for the paths the command touches.
 */
interface Base {
  containerId: string;
  now: string;
}

export type CreateContainer = {
  type: 'CreateContainer';
  data: Base & { name: string; imageId: Digest; imageReference?: string; cmd: string[] };
};
export type StartContainer = { type: 'StartContainer'; data: Base };
/** `exitCode`: how the main process ended (the app decides: 0, 143 for SIGTERM, 137 after a kill). */
export type StopContainer = { type: 'StopContainer'; data: Base & { exitCode: number } };
/** `exitCode`: how the main process ended when the container was running. */
export type RestartContainer = { type: 'RestartContainer'; data: Base & { exitCode: number } };
export type PauseContainer = { type: 'PauseContainer'; data: Base };
export type UnpauseContainer = { type: 'UnpauseContainer'; data: Base };
export type RemoveContainer = { type: 'RemoveContainer'; data: Base & { force: boolean } };

interface FsBase extends Base {
  lower: LowerLookup;
}

/**
 * Writes (or appends to) a regular file whose content is already in the content store: for an
 * append, `digest` and `size` are those of the concatenated content. Missing parent directories
 * are created (0755, root) when `createParents`. Mode, uid and gid default to the existing file's,
 * else 0644 root.
 */
export type WriteFile = {
  type: 'WriteFile';
  data: FsBase & {
    path: string;
    digest: Digest;
    size: number;
    append: boolean;
    createParents: boolean;
    mode?: number;
    uid?: number;
    gid?: number;
  };
};
/** `mkdir [-p]`: with `parents`, missing parents are created and an existing directory is fine. */
export type MakeDirectory = {
  type: 'MakeDirectory';
  data: FsBase & { path: string; parents: boolean; mode?: number; uid?: number; gid?: number };
};
/** `ln -s target path`; the target is stored as given (it may dangle). */
export type CreateSymlink = {
  type: 'CreateSymlink';
  data: FsBase & { path: string; target: string; createParents?: boolean; uid?: number; gid?: number };
};
/** `ln target path`: `target` is a normalised existing non-directory. */
export type CreateHardlink = { type: 'CreateHardlink'; data: FsBase & { path: string; target: string } };
export type ChangeMode = { type: 'ChangeMode'; data: FsBase & { path: string; mode: number } };
export type ChangeOwner = { type: 'ChangeOwner'; data: FsBase & { path: string; uid: number; gid: number } };
/** `mv from to` (rename(2) rules: a directory only replaces an empty directory). */
export type RenamePath = {
  type: 'RenamePath';
  data: FsBase & { from: string; to: string; lowerChildren: LowerChildren };
};
/** `rm [-r]`: without `recursive`, a directory must be empty (as rmdir). */
export type RemovePath = {
  type: 'RemovePath';
  data: FsBase & { path: string; recursive: boolean; lowerChildren: LowerChildren };
};

export type ContainerLifecycleCommand =
  | CreateContainer
  | StartContainer
  | StopContainer
  | RestartContainer
  | PauseContainer
  | UnpauseContainer
  | RemoveContainer;

export type ContainerFsCommand =
  | WriteFile
  | MakeDirectory
  | CreateSymlink
  | CreateHardlink
  | ChangeMode
  | ChangeOwner
  | RenamePath
  | RemovePath;

export type ContainerCommand = ContainerLifecycleCommand | ContainerFsCommand;

import type { Digest } from '../digest.ts';
import type { ContainerEvent } from './events.ts';
import { isContainerFsEvent } from './events.ts';
import { applyFsEvent, cloneWritableLayer, emptyWritableLayer, type WritableLayer } from './writableLayer.ts';

/** Docker's container states (`docker inspect` .State.Status). */
export type ContainerStatus =
  | 'created'
  | 'running'
  | 'paused'
  | 'restarting'
  | 'removing'
  | 'exited'
  | 'dead';

export interface ContainerInfo {
  containerId: string;
  name: string;
  imageId: Digest;
  imageReference?: string;
  cmd: string[];
  created: string;
  restartCount: number;
  startedAt?: string;
  finishedAt?: string;
  /** The last exit code (0 while running, as Docker reports it). */
  exitCode?: number;
}

/** A container that exists, with its writable layer. */
export interface LiveContainer<Status extends ContainerStatus = ContainerStatus> {
  status: Status;
  container: ContainerInfo;
  layer: WritableLayer;
}

/**
 * `restarting`, `removing` and `dead` are Docker states no Strata event leads to yet (there are no
 * restart policies, and removal is one atomic event); decide still answers for them as Docker does.
 */
export type ContainerState =
  | { status: 'absent' }
  | LiveContainer<'created'>
  | LiveContainer<'running'>
  | LiveContainer<'paused'>
  | LiveContainer<'restarting'>
  | LiveContainer<'removing'>
  | LiveContainer<'exited'>
  | LiveContainer<'dead'>
  | { status: 'removed'; container: ContainerInfo };

export const initialContainerState = (): ContainerState => ({ status: 'absent' });

export const isLive = (state: ContainerState): state is LiveContainer =>
  state.status !== 'absent' && state.status !== 'removed';

/** Pure: the state given is never changed (the writable layer is copied when an event touches it). */
export function evolveContainer(state: ContainerState, event: ContainerEvent): ContainerState {
  if (isContainerFsEvent(event)) {
    if (!isLive(state)) return state;
    const layer = cloneWritableLayer(state.layer);
    applyFsEvent(layer, event);
    return { ...state, layer };
  }
  return evolveLifecycle(state, event);
}

function evolveLifecycle(
  state: ContainerState,
  event: Exclude<ContainerEvent, { type: `ContainerPath${string}` | 'ContainerDirectoryOpaqued' }>,
): ContainerState {
  if (event.type === 'ContainerCreated') {
    const { containerId, name, imageId, imageReference, cmd, created } = event.data;
    return {
      status: 'created',
      container: {
        containerId,
        name,
        imageId,
        ...(imageReference !== undefined && { imageReference }),
        cmd,
        created,
        restartCount: 0,
      },
      layer: emptyWritableLayer(),
    };
  }
  if (!isLive(state)) return state;
  const { container, layer } = state;
  switch (event.type) {
    case 'ContainerStarted':
    case 'ContainerRestarted':
      return {
        status: 'running',
        layer,
        container: { ...container, startedAt: event.data.startedAt, exitCode: 0, restartCount: 0 },
      };
    case 'ContainerStopped':
      return {
        status: 'exited',
        layer,
        container: { ...container, finishedAt: event.data.finishedAt, exitCode: event.data.exitCode },
      };
    case 'ContainerPaused':
      return { status: 'paused', layer, container };
    case 'ContainerUnpaused':
      return { status: 'running', layer, container };
    case 'ContainerRemoved':
      return { status: 'removed', container };
  }
}

/**
 * Folds a container's stream from the start. Same result as reducing with evolveContainer, but
 * the writable layer is copied once instead of once per event (long exec sessions write
 * thousands of paths).
 */
export function foldContainer(
  events: Iterable<ContainerEvent>,
  from: ContainerState = initialContainerState(),
): ContainerState {
  let state = from;
  let owned: ReturnType<typeof cloneWritableLayer> | undefined;
  for (const event of events) {
    if (isContainerFsEvent(event)) {
      if (!isLive(state)) continue;
      if (owned === undefined || owned !== state.layer) {
        owned = cloneWritableLayer(state.layer);
        state = { ...state, layer: owned };
      }
      applyFsEvent(owned, event);
    } else {
      state = evolveLifecycle(state, event);
      if (!isLive(state) || state.layer !== owned) owned = undefined;
    }
  }
  return state;
}

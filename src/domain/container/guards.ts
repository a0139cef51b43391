import { conflictError, notFoundError, validationError } from '../errors.ts';
import { type ContainerState, isLive, type LiveContainer } from './state.ts';

export const noSuchContainer = (ref: string) =>
  notFoundError(`No such container: ${ref}`, { container: ref });

/** The live container a command addresses, or NOT_FOUND (never created, or removed). */
export function liveContainer(state: ContainerState, containerId: string): LiveContainer {
  if (!isLive(state)) throw noSuchContainer(containerId);
  if (state.container.containerId !== containerId) {
    throw validationError(
      `command for container ${containerId} given the state of container ${state.container.containerId}`,
    );
  }
  return state;
}

/** ISO timestamp → seconds since the epoch (tar precision). */
export function secondsOf(now: string): number {
  const ms = Date.parse(now);
  if (Number.isNaN(ms)) throw validationError(`invalid timestamp "${now}"`, { now });
  return Math.floor(ms / 1000);
}

/**
 * `docker exec` is allowed in a running container only (moby daemon/exec.go getActiveContainer):
 * not running → `Container <id> is not running`; paused → `Container <name> is paused, unpause the
 * container before exec` (moby names the container as the caller did); restarting →
 * `Container <id> is restarting, wait until the container is running`.
 */
export function assertExecAllowed(state: ContainerState, ref?: string): LiveContainer<'running'> {
  if (!isLive(state))
    throw noSuchContainer(ref ?? (state.status === 'removed' ? state.container.containerId : 'container'));
  const id = state.container.containerId;
  switch (state.status) {
    case 'running':
      return state as LiveContainer<'running'>;
    case 'paused':
      throw conflictError(`Container ${ref ?? id} is paused, unpause the container before exec`, {
        containerId: id,
      });
    case 'restarting':
      throw conflictError(`Container ${id} is restarting, wait until the container is running`, {
        containerId: id,
      });
    default:
      throw conflictError(`Container ${id} is not running`, { containerId: id });
  }
}

/**
 * The writable layer can change while the container exists and is not being removed: created,
 * running, paused, restarting or exited, like `docker cp` (moby checks no state for it on Linux).
 */
export function assertWritable(state: ContainerState, containerId: string): LiveContainer {
  const live = liveContainer(state, containerId);
  if (live.status === 'removing' || live.status === 'dead') {
    throw conflictError(`container ${containerId} is marked for removal and cannot be changed`, {
      containerId,
    });
  }
  return live;
}

import { assertNever } from '../decider.ts';
import { parseDigest } from '../digest.ts';
import { conflictError, validationError } from '../errors.ts';
import { parseContainerId, parseContainerName } from '../names.ts';
import type { ContainerLifecycleCommand, CreateContainer, RemoveContainer } from './commands.ts';
import type { ContainerEvent } from './events.ts';
import { liveContainer, secondsOf } from './guards.ts';
import type { ContainerState, LiveContainer } from './state.ts';

/** Exit code of a process killed by SIGKILL (128 + 9), as `docker rm -f` leaves it. */
export const killedExitCode = 137;

/**
 * Lifecycle rules and wording from moby's daemon (start.go, stop.go, restart.go, pause.go,
 * unpause.go, delete.go, errors.go). A start of a running container and a stop of a stopped one
 * are no-ops (Docker answers 304 Not Modified).
 */
export function decideLifecycle(command: ContainerLifecycleCommand, state: ContainerState): ContainerEvent[] {
  const { now } = command.data;
  secondsOf(now);
  if (command.type === 'CreateContainer') return create(command, state);
  const live = liveContainer(state, command.data.containerId);
  const id = live.container.containerId;
  switch (command.type) {
    case 'StartContainer':
      switch (live.status) {
        case 'created':
        case 'exited':
          return [{ type: 'ContainerStarted', data: { startedAt: now } }];
        case 'running':
        case 'restarting':
          return [];
        case 'paused':
          throw conflictError('cannot start a paused container, try unpause instead', { containerId: id });
        case 'removing':
        case 'dead':
          throw markedForRemoval(id);
        default:
          return assertNever(live.status);
      }
    case 'StopContainer':
      checkExitCode(command.data.exitCode);
      return isRunning(live)
        ? [{ type: 'ContainerStopped', data: { exitCode: command.data.exitCode, finishedAt: now } }]
        : [];
    case 'RestartContainer': {
      checkExitCode(command.data.exitCode);
      if (live.status === 'removing' || live.status === 'dead') throw markedForRemoval(id);
      const restarted: ContainerEvent = { type: 'ContainerRestarted', data: { startedAt: now } };
      if (!isRunning(live)) return [restarted];
      return [
        { type: 'ContainerStopped', data: { exitCode: command.data.exitCode, finishedAt: now } },
        restarted,
      ];
    }
    case 'PauseContainer':
      if (live.status === 'paused')
        throw conflictError(`Container ${id} is already paused`, { containerId: id });
      if (live.status === 'restarting')
        throw conflictError(`Container ${id} is restarting, wait until the container is running`, {
          containerId: id,
        });
      if (live.status !== 'running')
        throw conflictError(`Container ${id} is not running`, { containerId: id });
      return [{ type: 'ContainerPaused', data: { pausedAt: now } }];
    case 'UnpauseContainer':
      if (live.status !== 'paused') throw conflictError(`Container ${id} is not paused`, { containerId: id });
      return [{ type: 'ContainerUnpaused', data: { unpausedAt: now } }];
    case 'RemoveContainer':
      return remove(command, live);
    default:
      return assertNever(command);
  }
}

function create({ data }: CreateContainer, state: ContainerState): ContainerEvent[] {
  const containerId = parseContainerId(data.containerId);
  const name = parseContainerName(data.name);
  const imageId = parseDigest(data.imageId);
  if (!Array.isArray(data.cmd) || !data.cmd.every((arg) => typeof arg === 'string')) {
    throw validationError('cmd must be a list of strings');
  }
  if (state.status !== 'absent')
    throw conflictError(`a container with id ${containerId} already exists`, { containerId });
  return [
    {
      type: 'ContainerCreated',
      data: {
        containerId,
        name,
        imageId,
        ...(data.imageReference !== undefined && { imageReference: data.imageReference }),
        cmd: [...data.cmd],
        created: data.now,
      },
    },
  ];
}

/**
 * `docker rm [-f]`: a running, paused or restarting container needs force, which kills it first
 * (ContainerStopped with exit code 137) and then removes it.
 */
function remove({ data }: RemoveContainer, live: LiveContainer): ContainerEvent[] {
  const { containerId, name } = live.container;
  const removed: ContainerEvent = {
    type: 'ContainerRemoved',
    data: { force: data.force, removedAt: data.now },
  };
  if (live.status === 'removing')
    throw conflictError(`removal of container ${containerId} is already in progress`, { containerId });
  if (!isRunning(live)) return [removed];
  if (!data.force) {
    const reason =
      live.status === 'paused'
        ? 'container is paused and must be unpaused first'
        : `container is ${live.status}: stop the container before removing or force remove`;
    throw conflictError(`cannot remove container "/${name}": ${reason}`, { containerId, state: live.status });
  }
  return [{ type: 'ContainerStopped', data: { exitCode: killedExitCode, finishedAt: data.now } }, removed];
}

/** Docker's IsRunning(): true while running, paused or restarting. */
const isRunning = (live: LiveContainer) =>
  live.status === 'running' || live.status === 'paused' || live.status === 'restarting';

const markedForRemoval = (containerId: string) =>
  conflictError('container is marked for removal and cannot be started', { containerId });

function checkExitCode(exitCode: number): void {
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) {
    throw validationError(`exit code must be an integer from 0 to 255, got ${exitCode}`);
  }
}

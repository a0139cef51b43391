import { containerNameStream, containerStream, mergeStreamEvents, type StreamEvents } from '../streams.ts';
import type { CreateContainer, RemoveContainer } from './commands.ts';
import { decideContainer } from './decide.ts';
import type { ContainerEvent } from './events.ts';
import { decideContainerName } from './names/decide.ts';
import type { ContainerNameEvent } from './names/events.ts';
import type { ContainerNameState } from './names/state.ts';
import type { ContainerState } from './state.ts';

/**
 * Decisions across a container's stream and its name's registry stream, appended in one
 * transaction with the versions read: two creates racing for one name cannot both commit.
 */
export type ContainerStreamEvents = StreamEvents<ContainerEvent | ContainerNameEvent>;

/** `docker create --name NAME`: the container, and the claim of its name. */
export function createContainer(
  command: CreateContainer,
  states: { container: ContainerState; name: ContainerNameState },
): ContainerStreamEvents[] {
  const containerEvents = decideContainer(command, states.container);
  const nameEvents = decideContainerName(
    { type: 'ClaimContainerName', data: { name: command.data.name, containerId: command.data.containerId } },
    states.name,
  );
  const created = containerEvents.find((e) => e.type === 'ContainerCreated');
  const name = created?.type === 'ContainerCreated' ? created.data.name : command.data.name;
  return mergeStreamEvents<ContainerEvent | ContainerNameEvent>([
    { stream: containerStream(command.data.containerId), events: containerEvents },
    { stream: containerNameStream(name), events: nameEvents },
  ]);
}

/** `docker rm [-f]`: the removal (after the kill, when forced), and the release of the name. */
export function removeContainer(command: RemoveContainer, state: ContainerState): ContainerStreamEvents[] {
  const events = decideContainer(command, state);
  if (state.status === 'absent' || state.status === 'removed') return [];
  const { name, containerId } = state.container;
  return mergeStreamEvents<ContainerEvent | ContainerNameEvent>([
    { stream: containerStream(containerId), events },
    {
      stream: containerNameStream(name),
      events: [{ type: 'ContainerNameReleased', data: { name, containerId } }],
    },
  ]);
}

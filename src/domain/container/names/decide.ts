import { assertNever, type Decider } from '../../decider.ts';
import { conflictError } from '../../errors.ts';
import { parseContainerId, parseContainerName } from '../../names.ts';
import type { ContainerNameEvent } from './events.ts';
import { type ContainerNameState, evolveContainerName, initialContainerNameState } from './state.ts';

export type ClaimContainerName = { type: 'ClaimContainerName'; data: { name: string; containerId: string } };
export type ReleaseContainerName = {
  type: 'ReleaseContainerName';
  data: { name: string; containerId: string };
};
export type ContainerNameCommand = ClaimContainerName | ReleaseContainerName;

export function decideContainerName(
  command: ContainerNameCommand,
  state: ContainerNameState,
): ContainerNameEvent[] {
  const name = parseContainerName(command.data.name);
  const containerId = parseContainerId(command.data.containerId);
  switch (command.type) {
    case 'ClaimContainerName':
      if (state.status === 'free') return [{ type: 'ContainerNameClaimed', data: { name, containerId } }];
      if (state.containerId === containerId) return [];
      // moby daemon/names.go reserveName: the name with its slash, the holder's full id.
      throw conflictError(
        `Conflict. The container name "/${name}" is already in use by container "${state.containerId}". You have to remove (or rename) that container to be able to reuse that name.`,
        { name, containerId: state.containerId },
      );
    case 'ReleaseContainerName':
      if (state.status !== 'claimed' || state.containerId !== containerId) return [];
      return [{ type: 'ContainerNameReleased', data: { name, containerId } }];
    default:
      return assertNever(command);
  }
}

export const containerNameDecider: Decider<ContainerNameCommand, ContainerNameEvent, ContainerNameState> = {
  decide: decideContainerName,
  evolve: evolveContainerName,
  initialState: initialContainerNameState,
};

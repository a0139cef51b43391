import type { Decider } from '../decider.ts';
import type { ContainerCommand, ContainerFsCommand } from './commands.ts';
import type { ContainerEvent } from './events.ts';
import { decideFilesystem } from './filesystem.ts';
import { decideLifecycle } from './lifecycle.ts';
import { type ContainerState, evolveContainer, initialContainerState } from './state.ts';

const fsCommands = new Set<ContainerCommand['type']>([
  'WriteFile',
  'MakeDirectory',
  'CreateSymlink',
  'CreateHardlink',
  'ChangeMode',
  'ChangeOwner',
  'RenamePath',
  'RemovePath',
] satisfies ContainerFsCommand['type'][]);

const isFsCommand = (command: ContainerCommand): command is ContainerFsCommand =>
  fsCommands.has(command.type);

export function decideContainer(command: ContainerCommand, state: ContainerState): ContainerEvent[] {
  return isFsCommand(command) ? decideFilesystem(command, state) : decideLifecycle(command, state);
}

export const containerDecider: Decider<ContainerCommand, ContainerEvent, ContainerState> = {
  decide: decideContainer,
  evolve: evolveContainer,
  initialState: initialContainerState,
};

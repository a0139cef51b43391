import type { ContainerNameEvent } from './events.ts';

export type ContainerNameState =
  | { status: 'free' }
  | { status: 'claimed'; name: string; containerId: string };

export const initialContainerNameState = (): ContainerNameState => ({ status: 'free' });

export function evolveContainerName(
  state: ContainerNameState,
  event: ContainerNameEvent,
): ContainerNameState {
  switch (event.type) {
    case 'ContainerNameClaimed':
      return { status: 'claimed', name: event.data.name, containerId: event.data.containerId };
    case 'ContainerNameReleased':
      return state.status === 'claimed' && state.containerId === event.data.containerId
        ? { status: 'free' }
        : state;
  }
}

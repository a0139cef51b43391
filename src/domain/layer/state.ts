import type { LayerEvent, LayerRegisteredData } from './events.ts';

export type LayerState = { status: 'unregistered' } | { status: 'registered'; layer: LayerRegisteredData };

export const initialLayerState = (): LayerState => ({ status: 'unregistered' });

export function evolveLayer(state: LayerState, event: LayerEvent): LayerState {
  switch (event.type) {
    case 'LayerRegistered':
      return state.status === 'registered' ? state : { status: 'registered', layer: event.data };
  }
}

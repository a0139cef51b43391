import type { Digest } from '../../digest.ts';
import type { TagEvent } from './events.ts';

export type TagState = { status: 'free' } | { status: 'assigned'; reference: string; imageId: Digest };

export const initialTagState = (): TagState => ({ status: 'free' });

export function evolveTag(state: TagState, event: TagEvent): TagState {
  switch (event.type) {
    case 'TagAssigned':
      return { status: 'assigned', reference: event.data.reference, imageId: event.data.imageId };
    case 'TagReleased':
      return state.status === 'assigned' && state.imageId === event.data.imageId ? { status: 'free' } : state;
  }
}

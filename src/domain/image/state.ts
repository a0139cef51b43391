import type { ImageCreatedData, ImageEvent } from './events.ts';

export type ImageState =
  | { status: 'absent' }
  | {
      status: 'present';
      image: ImageCreatedData;
      /** Normalised references (tags and digest references), in the order they were added. */
      references: string[];
    }
  | { status: 'deleted'; image: ImageCreatedData };

export const initialImageState = (): ImageState => ({ status: 'absent' });

export function evolveImage(state: ImageState, event: ImageEvent): ImageState {
  switch (event.type) {
    case 'ImageCreated':
      return { status: 'present', image: event.data, references: [...event.data.repoDigests] };
    case 'ImageTagged':
      if (state.status !== 'present' || state.references.includes(event.data.reference)) return state;
      return { ...state, references: [...state.references, event.data.reference] };
    case 'ImageUntagged':
      if (state.status !== 'present') return state;
      return { ...state, references: state.references.filter((r) => r !== event.data.reference) };
    case 'ImageDeleted':
      return state.status === 'present' ? { status: 'deleted', image: state.image } : state;
  }
}

import { assertNever, type Decider } from '../decider.ts';
import { parseDigest } from '../digest.ts';
import { validationError } from '../errors.ts';
import type { LayerCommand, RegisterLayer } from './commands.ts';
import type { LayerEvent } from './events.ts';
import { evolveLayer, initialLayerState, type LayerState } from './state.ts';

export function decideLayer(command: LayerCommand, state: LayerState): LayerEvent[] {
  switch (command.type) {
    case 'RegisterLayer':
      return registerLayer(command, state);
    default:
      return assertNever(command.type);
  }
}

/** Registering a DiffID that is already registered decides nothing: a layer is stored once. */
function registerLayer({ data }: RegisterLayer, state: LayerState): LayerEvent[] {
  parseDigest(data.diffId);
  if (data.digest !== undefined) parseDigest(data.digest);
  parseDigest(data.entriesDigest);
  for (const field of ['size', 'entryCount', 'contentSize', 'compressedSize'] as const) {
    const value = data[field];
    if (value === undefined && field === 'compressedSize') continue;
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw validationError(`layer ${field} must be a non-negative integer, got ${value}`, { field, value });
    }
  }
  if (state.status === 'registered') return [];
  const event: LayerEvent = { type: 'LayerRegistered', data: { ...data } };
  return [event];
}

export const layerDecider: Decider<LayerCommand, LayerEvent, LayerState> = {
  decide: decideLayer,
  evolve: evolveLayer,
  initialState: initialLayerState,
};

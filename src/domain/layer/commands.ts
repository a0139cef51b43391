import type { LayerRegisteredData } from './events.ts';

export type RegisterLayer = { type: 'RegisterLayer'; data: LayerRegisteredData };

export type LayerCommand = RegisterLayer;

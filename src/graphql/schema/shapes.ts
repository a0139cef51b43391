import type { ViewEntry } from '../../projections/fileView.ts';
import type { ContainerRow } from '../../projections/queries/containers.ts';
import type { ImageRow } from '../../projections/queries/images.ts';
import type { LayerRow } from '../../projections/queries/layers.ts';

/**
 * Every object the schema returns carries the position it was read at (`asOf`, undefined for
 * "now"), so nested fields resolve at that same position: an image as of 1234 lists its
 * layers, files and containers as of 1234.
 */
export interface AtPosition {
  asOf: number | undefined;
}

export interface ImageShape extends AtPosition {
  row: ImageRow;
}
export interface ContainerShape extends AtPosition {
  row: ContainerRow;
}
export interface LayerShape extends AtPosition {
  row: LayerRow;
}
export interface FileShape extends AtPosition {
  entry: ViewEntry;
}

import { builder } from '../builder.ts';
import type { ContainerShape, FileShape, ImageShape, LayerShape } from './shapes.ts';

/**
 * The object types that refer to each other, declared before any is implemented, so the type
 * modules can import one another without import-order traps. Each is implemented in the file
 * named after it.
 */
export interface SessionShape {
  sessionId: string;
}
export interface ChangeShape {
  kind: 'A' | 'C' | 'D';
  path: string;
}

export const ImageRef = builder.objectRef<ImageShape>('Image');
export const ContainerRef = builder.objectRef<ContainerShape>('Container');
export const LayerRef = builder.objectRef<LayerShape>('Layer');
export const FileEntryRef = builder.objectRef<FileShape>('FileEntry');
export const SessionRef = builder.objectRef<SessionShape>('Session');
export const ChangeRef = builder.objectRef<ChangeShape>('Change');

import type { Digest } from '../../domain/digest.ts';
import { validationError } from '../../domain/errors.ts';
import type { FileType } from '../../domain/fs/node.ts';
import { baseName } from '../../domain/fs/paths.ts';
import { builder } from '../builder.ts';
import { layerLoader } from './loaders.ts';
import { FileEntryRef, LayerRef, SessionRef } from './refs.ts';
import type { FileShape } from './shapes.ts';

/** Bigger files are read with `strata cp` / the content endpoint, not inline in a query. */
export const maxInlineContent = 4 * 1024 * 1024;

const fileTypes: Record<FileType, string> = {
  file: 'FILE',
  hardlink: 'FILE',
  dir: 'DIRECTORY',
  symlink: 'SYMLINK',
  char: 'CHAR_DEVICE',
  block: 'BLOCK_DEVICE',
  fifo: 'FIFO',
  socket: 'SOCKET',
};

export const FileTypeEnum = builder.enumType('FileType', {
  values: ['FILE', 'DIRECTORY', 'SYMLINK', 'CHAR_DEVICE', 'BLOCK_DEVICE', 'FIFO', 'SOCKET'] as const,
});

type OriginShape = FileShape;

export const OriginRef = builder.objectRef<OriginShape>('Origin').implement({
  description:
    'Where a version of a path came from: the event that put it in place, and its layer or command.',
  fields: (t) => ({
    position: t.field({
      type: 'Position',
      description: 'The event that put this version of the path in place.',
      resolve: async ({ entry }, _args, ctx) => {
        if (entry.origin.kind === 'container') return entry.origin.position;
        const layer = await layerLoader(ctx, undefined).load(entry.origin.diffId);
        return layer ? Number(layer.valid_from) : 0;
      },
    }),
    layer: t.field({
      type: LayerRef,
      nullable: true,
      description: 'The image layer that provides it, when it comes from an image.',
      resolve: async ({ entry, asOf }, _args, ctx) => {
        if (entry.origin.kind !== 'layer') return null;
        const row = await layerLoader(ctx, asOf).load(entry.origin.diffId);
        return row ? { row, asOf } : null;
      },
    }),
    command: t.string({
      nullable: true,
      description: 'The command that wrote it, when a container session did.',
      resolve: ({ entry }) => (entry.origin.kind === 'container' ? entry.origin.command : null),
    }),
    operation: t.string({
      nullable: true,
      description:
        'The write that made it: write, append, mkdir, copy-up, chmod, rename, … (container layers only).',
      resolve: ({ entry }) => (entry.origin.kind === 'container' ? entry.origin.operation : null),
    }),
    session: t.field({
      type: SessionRef,
      nullable: true,
      resolve: ({ entry }) =>
        entry.origin.kind === 'container' && entry.origin.sessionId
          ? { sessionId: entry.origin.sessionId }
          : null,
    }),
  }),
});

async function readContent(
  shape: FileShape,
  ctx: { app: { blobs: { readAll(d: Digest): Promise<Uint8Array> } } },
): Promise<Uint8Array | null> {
  const { node } = shape.entry;
  if ((node.type !== 'file' && node.type !== 'hardlink') || !node.digest) return null;
  if (node.size > maxInlineContent) {
    throw validationError(
      `${node.path} is ${node.size} bytes, more than the ${maxInlineContent} bytes a query returns inline`,
      { path: node.path },
    );
  }
  return ctx.app.blobs.readAll(node.digest);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

FileEntryRef.implement({
  description: 'One path of a merged filesystem view (an image, or a container as of a position).',
  fields: (t) => ({
    path: t.string({ resolve: ({ entry }) => entry.node.path }),
    name: t.string({ resolve: ({ entry }) => baseName(entry.node.path) }),
    type: t.field({ type: FileTypeEnum, resolve: ({ entry }) => fileTypes[entry.node.type] as never }),
    mode: t.int({
      description: 'Permission bits, setuid/setgid/sticky included.',
      resolve: ({ entry }) => entry.node.mode,
    }),
    uid: t.int({ resolve: ({ entry }) => entry.node.uid }),
    gid: t.int({ resolve: ({ entry }) => entry.node.gid }),
    size: t.field({ type: 'Long', resolve: ({ entry }) => entry.node.size }),
    mtime: t.field({
      type: 'Long',
      description: 'Modification time, seconds since the epoch.',
      resolve: ({ entry }) => entry.node.mtime,
    }),
    digest: t.field({ type: 'Digest', nullable: true, resolve: ({ entry }) => entry.node.digest ?? null }),
    linkTarget: t.string({ nullable: true, resolve: ({ entry }) => entry.node.linkTarget ?? null }),
    content: t.string({
      nullable: true,
      description:
        'UTF-8 content of a regular file (null for others, and for content that is not valid UTF-8); `base64` for binary.',
      resolve: async (shape, _args, ctx) => {
        const bytes = await readContent(shape, ctx);
        if (!bytes) return null;
        try {
          return utf8.decode(bytes);
        } catch {
          return null;
        }
      },
    }),
    base64: t.string({
      nullable: true,
      resolve: async (shape, _args, ctx) => {
        const bytes = await readContent(shape, ctx);
        return bytes ? Buffer.from(bytes).toString('base64') : null;
      },
    }),
    origin: t.field({
      type: OriginRef,
      description: 'Where this version of the path came from.',
      resolve: (shape) => shape,
    }),
  }),
});

export const FileEntryConnection = builder.connectionObject({
  type: FileEntryRef,
  name: 'FileEntryConnection',
});

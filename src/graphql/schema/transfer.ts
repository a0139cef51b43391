import { isAbsolute } from 'node:path';
import { exportImage } from '../../app/exportImage.ts';
import { importLocalImage } from '../../app/importLocalImage.ts';
import { pushImage } from '../../app/pushImage.ts';
import { validationError } from '../../domain/errors.ts';
import { imageById } from '../../projections/queries/images.ts';
import { builder } from '../builder.ts';
import { mutationField } from '../mutation.ts';
import { ImageRef } from './refs.ts';

/**
 * Images out of and into Strata: `docker save`/`load` as files on the SERVER's filesystem (paths
 * must be absolute; reading and writing the server's disk needs the `admin` scope), and `docker
 * push` to a registry (credentials from the server's Docker config, never from the event log).
 */
const absolute = (path: string) => {
  if (!isAbsolute(path)) throw validationError(`path must be absolute on the server: ${path}`, { path });
  return path;
};

const SavedImageRef = builder.objectRef<Awaited<ReturnType<typeof exportImage>>>('SavedImage').implement({
  fields: (t) => ({
    path: t.exposeString('path'),
    format: t.exposeString('format'),
    imageId: t.field({ type: 'Digest', resolve: (r) => r.imageId }),
    manifestDigest: t.field({ type: 'Digest', resolve: (r) => r.manifestDigest }),
    originalManifest: t.exposeBoolean('originalManifest', {
      description: 'Whether the manifest (and so its digest) is the one the image was pulled with.',
    }),
  }),
});

mutationField('saveImage', {
  type: SavedImageRef,
  description:
    '`docker save -o PATH IMAGE` (format `docker-archive`) or an OCI layout directory (format `oci`), written on the server.',
  authScopes: { admin: true },
  args: (arg) => ({
    image: arg.string({ required: true }),
    path: arg.string({ required: true }),
    format: arg.string({ defaultValue: 'docker-archive' }),
    asOf: arg({ type: 'Position' }),
  }),
  resolve: ({ image, path, format, asOf }, ctx) => {
    if (format !== 'docker-archive' && format !== 'oci')
      throw validationError(`format must be docker-archive or oci, got ${format}`);
    return exportImage(ctx.app, image, {
      format,
      path: absolute(path),
      ...(asOf != null ? { asOf } : {}),
      signal: ctx.signal,
    });
  },
});

const LoadedImageRef = builder
  .objectRef<Awaited<ReturnType<typeof importLocalImage>>>('LoadedImage')
  .implement({
    fields: (t) => ({
      image: t.field({
        type: ImageRef,
        resolve: async (r, _a, ctx) => ({ row: (await imageById(ctx.app.db, r.imageId))!, asOf: undefined }),
      }),
      lines: t.exposeStringList('lines', { description: 'What `docker load` prints.' }),
    }),
  });

mutationField('loadImage', {
  type: LoadedImageRef,
  description:
    '`docker load -i PATH`: a `docker save` tar, an OCI archive or an OCI layout directory on the server.',
  authScopes: { admin: true },
  args: (arg) => ({ path: arg.string({ required: true }), tag: arg.string() }),
  resolve: ({ path, tag }, ctx) => importLocalImage(ctx.app, absolute(path), tag ? { tag } : {}),
});

const PushedImageRef = builder.objectRef<Awaited<ReturnType<typeof pushImage>>>('PushedImage').implement({
  fields: (t) => ({
    reference: t.exposeString('reference'),
    manifestDigest: t.field({ type: 'Digest', resolve: (r) => r.manifestDigest }),
    lines: t.exposeStringList('lines', { description: 'What `docker push` prints.' }),
  }),
});

mutationField('pushImage', {
  type: PushedImageRef,
  description: '`docker push IMAGE` (or to `destination`): digests are kept for pulled images.',
  args: (arg) => ({ image: arg.string({ required: true }), destination: arg.string() }),
  resolve: ({ image, destination }, ctx) =>
    pushImage(ctx.app, image, destination ?? image, { signal: ctx.signal }),
});

/** Media types of the Docker schema2 and OCI image formats (image-spec media-types.md). */
export const mediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociForeignLayerTar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociForeignLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociForeignLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
} as const;

export const schema1MediaTypes: readonly string[] = [
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
];

export const manifestMediaTypes: readonly string[] = [mediaTypes.dockerManifest, mediaTypes.ociManifest];
export const indexMediaTypes: readonly string[] = [mediaTypes.dockerManifestList, mediaTypes.ociIndex];
export const configMediaTypes: readonly string[] = [mediaTypes.dockerConfig, mediaTypes.ociConfig];

/** The Accept header of a manifest request: the four types Strata understands. */
export const manifestAccept = [
  mediaTypes.ociIndex,
  mediaTypes.dockerManifestList,
  mediaTypes.ociManifest,
  mediaTypes.dockerManifest,
].join(', ');

export type Compression = 'none' | 'gzip' | 'zstd';

interface LayerMediaTypeInfo {
  compression: Compression;
  /** Foreign (Docker) / non-distributable (OCI) layers: the blob may live at `urls` outside the registry. */
  foreign: boolean;
}

const layerMediaTypeInfo: Record<string, LayerMediaTypeInfo> = {
  [mediaTypes.dockerLayerGzip]: { compression: 'gzip', foreign: false },
  [mediaTypes.dockerLayerTar]: { compression: 'none', foreign: false },
  [mediaTypes.dockerForeignLayerGzip]: { compression: 'gzip', foreign: true },
  [mediaTypes.ociLayerTar]: { compression: 'none', foreign: false },
  [mediaTypes.ociLayerGzip]: { compression: 'gzip', foreign: false },
  [mediaTypes.ociLayerZstd]: { compression: 'zstd', foreign: false },
  [mediaTypes.ociForeignLayerTar]: { compression: 'none', foreign: true },
  [mediaTypes.ociForeignLayerGzip]: { compression: 'gzip', foreign: true },
  [mediaTypes.ociForeignLayerZstd]: { compression: 'zstd', foreign: true },
};

export const layerMediaType = (mediaType: string): LayerMediaTypeInfo | undefined =>
  layerMediaTypeInfo[mediaType];

/** `application/json; charset=utf-8` → `application/json`. */
export const baseMediaType = (contentType: string | null | undefined): string =>
  (contentType ?? '').split(';')[0]!.trim().toLowerCase();

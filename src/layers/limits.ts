/** Bounds on what reading one layer blob may cost. Every one is configurable per call. */
export interface LayerLimits {
  /** Uncompressed tar bytes (padding included). Default 32 GiB. */
  maxUncompressedSize: number;
  /** Uncompressed ÷ compressed bytes, checked once the uncompressed size passes `ratioCheckAfter`. Default 1000. */
  maxExpansionRatio: number;
  /** Uncompressed bytes read before the ratio is enforced (small tars are mostly padding). Default 64 MiB. */
  ratioCheckAfter: number;
  /** Tar headers (entries of every kind, markers included). Default 1,000,000. */
  maxEntries: number;
  /** Bytes of the PAX records of one entry (tar-stream itself refuses more than 4 MiB). Default 1 MiB. */
  maxPaxHeaderSize: number;
  /** Bytes of an entry name or link target (PATH_MAX). Default 4096. */
  maxPathLength: number;
  /** zstd window a frame may ask for; fzstd cannot go past 32 MiB back-references. Default 32 MiB. */
  maxZstdWindowSize: number;
}

export const defaultLayerLimits: Readonly<LayerLimits> = Object.freeze({
  maxUncompressedSize: 32 * 1024 ** 3,
  maxExpansionRatio: 1000,
  ratioCheckAfter: 64 * 1024 ** 2,
  maxEntries: 1_000_000,
  maxPaxHeaderSize: 1024 ** 2,
  maxPathLength: 4096,
  maxZstdWindowSize: 32 * 1024 ** 2,
});

export const resolveLimits = (limits: Partial<LayerLimits> = {}): LayerLimits => ({
  ...defaultLayerLimits,
  ...limits,
});

import { type Digest, isDigest, sha256Digest } from '../digest.ts';
import { validationError } from '../errors.ts';

/** DiffID of an empty tar (1024 NUL bytes): a commit with no changes has this or no diff at all. */
export const emptyLayerDiffId: Digest =
  'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** image-spec config.md `history[]` entry. */
export interface HistoryEntry {
  created?: string;
  author?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The container defaults an image carries (config.md `config`); unknown fields are kept. */
export interface RunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  [key: string]: unknown;
}

/** image-spec config.md. Unknown fields are kept as they are. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: RunConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the exact bytes of an image config and checks what Strata relies on: a JSON object,
 * `rootfs.type` "layers", sha256 diff_ids, architecture and os, and (when there is a history) as
 * many non-empty history entries as diff_ids.
 */
export function parseImageConfig(bytes: Uint8Array | string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : utf8.decode(bytes));
  } catch {
    throw validationError('image config is not valid UTF-8 JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw validationError('image config is not a JSON object');
  const config = json as Record<string, unknown>;
  const rootfs = config.rootfs as Record<string, unknown> | null | undefined;
  if (typeof rootfs !== 'object' || rootfs === null) throw validationError('image config has no rootfs');
  if (rootfs.type !== 'layers')
    throw validationError(`image config: rootfs.type must be "layers", got ${JSON.stringify(rootfs.type)}`);
  const diffIds = rootfs.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isDigest(d))) {
    throw validationError('image config: rootfs.diff_ids must be sha256 digests');
  }
  if (typeof config.architecture !== 'string' || typeof config.os !== 'string') {
    throw validationError('image config needs architecture and os');
  }
  const history = config.history;
  if (history !== undefined && history !== null) {
    if (
      !Array.isArray(history) ||
      !history.every((h) => typeof h === 'object' && h !== null && !Array.isArray(h))
    ) {
      throw validationError('image config: history must be an array of objects');
    }
    const nonEmpty = history.filter((h: HistoryEntry) => h.empty_layer !== true).length;
    if (history.length > 0 && nonEmpty !== diffIds.length) {
      throw validationError(
        `image config has ${nonEmpty} non-empty history entries for ${diffIds.length} diff_ids`,
      );
    }
  }
  return config as ImageConfig;
}

/**
 * Canonical JSON: object keys sorted by code point, no insignificant whitespace, `undefined`
 * members dropped. Strata writes every config it creates this way, so equal configs get equal
 * digests; configs from elsewhere keep their own bytes (the content store holds them).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw validationError('canonical JSON cannot hold a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** The bytes Strata stores for a config it built, and its digest (the image id). */
export function serializeImageConfig(config: ImageConfig): { json: string; imageId: Digest } {
  const json = canonicalJson(config);
  return { json, imageId: sha256Digest(json) };
}

export interface CommitOptions {
  /** DiffID of the container's writable layer as a tar; null (or the empty tar's) when it is empty. */
  diffId: Digest | null;
  /** `history[].created_by`: Docker puts the container's Cmd joined by spaces. */
  createdBy: string;
  /** `docker commit -m`. */
  comment?: string;
  /** `docker commit -a`; defaults to the base image's author. */
  author?: string;
  /** ISO timestamp of the commit (the command's clock). */
  created: string;
  /** The new image's container defaults; defaults to the base image's. */
  containerConfig?: RunConfig;
}

/**
 * The config of the image `docker commit` makes from a container (moby's NewChildImage and the
 * containerd image service's generateCommitImageConfig): platform and rootfs of the base image,
 * the writable layer's DiffID appended unless the diff is empty, and one history entry appended —
 * `empty_layer: true` (and no new diff_id) for an empty diff, as image-spec requires. Fields of the
 * base config Strata does not know are carried over.
 */
export function commitImageConfig(base: ImageConfig, options: CommitOptions): ImageConfig {
  if (options.diffId !== null && !isDigest(options.diffId))
    throw validationError(`invalid diff id "${options.diffId}"`);
  if (Number.isNaN(Date.parse(options.created)))
    throw validationError(`invalid commit time "${options.created}"`);
  const empty = options.diffId === null || options.diffId === emptyLayerDiffId;
  const author = options.author || base.author || undefined;
  const entry: HistoryEntry = {
    created: options.created,
    ...(author && { author }),
    created_by: options.createdBy,
    ...(options.comment && { comment: options.comment }),
    ...(empty && { empty_layer: true }),
  };
  // A base without history still gets one entry per layer, so the result stays consistent
  // (non-empty history entries == diff_ids); `docker history` shows them as <missing>.
  const baseHistory = base.history?.length
    ? base.history
    : base.rootfs.diff_ids.map((): HistoryEntry => ({}));
  const {
    container: _container,
    container_config: _containerConfig,
    docker_version: _dockerVersion,
    author: _author,
    ...kept
  } = base;
  const config = options.containerConfig ?? base.config;
  return {
    ...kept,
    created: options.created,
    ...(author && { author }),
    architecture: base.architecture,
    os: base.os,
    ...(config !== undefined && { config }),
    rootfs: {
      type: 'layers',
      diff_ids: empty ? [...base.rootfs.diff_ids] : [...base.rootfs.diff_ids, options.diffId as Digest],
    },
    history: [...baseHistory, entry],
  };
}

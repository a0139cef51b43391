import { type Digest, isDigest, sha256Digest } from '../domain/digest.ts';
import { integrityError, StrataError, validationError } from '../domain/errors.ts';
import {
  baseMediaType,
  indexMediaTypes,
  manifestMediaTypes,
  mediaTypes,
  schema1MediaTypes,
} from './mediaTypes.ts';
import type { Descriptor, ImageIndex, ImageManifest, Platform } from './types.ts';

/** Upper bound on a manifest or index document (the distribution-spec suggests 4 MiB). */
export const maxManifestBytes = 4 * 1024 * 1024;

export type ManifestDocument =
  | { kind: 'manifest'; mediaType: string; digest: Digest; bytes: Uint8Array; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; digest: Digest; bytes: Uint8Array; index: ImageIndex };

export interface ParseManifestOptions {
  /**
   * The media type the document was served or referenced as: the HTTP Content-Type, or the
   * descriptor's mediaType in a layout. Generic types (application/json, octet-stream) carry no claim.
   */
  declaredMediaType?: string | null;
  /** When fetched by digest (or through a descriptor), the digest the bytes must hash to. */
  expectedDigest?: Digest;
  /** For error messages: where the document came from. */
  what?: string;
}

const genericMediaTypes = new Set([
  '',
  'application/json',
  'application/octet-stream',
  'text/plain',
  'binary/octet-stream',
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses and validates a manifest or index. Rejects schema1, documents that are both a manifest and an
 * index, media types that disagree with the declared one, oversized documents and digest mismatches.
 */
export function parseManifestDocument(
  bytes: Uint8Array,
  options: ParseManifestOptions = {},
): ManifestDocument {
  const what = options.what ?? 'manifest';
  if (bytes.byteLength > maxManifestBytes) {
    throw validationError(`${what} is ${bytes.byteLength} bytes, over the ${maxManifestBytes}-byte limit`);
  }
  const digest = sha256Digest(bytes);
  if (options.expectedDigest !== undefined && digest !== options.expectedDigest) {
    throw integrityError(`${what}: content digest is ${digest}, expected ${options.expectedDigest}`, {
      digest: options.expectedDigest,
      actualDigest: digest,
    });
  }
  const declared = baseMediaType(options.declaredMediaType);
  if (schema1MediaTypes.includes(declared)) throw schema1Error(what);

  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw validationError(`${what} is not valid JSON`);
  }
  if (!isObject(json)) throw validationError(`${what} is not a JSON object`);
  const bodyMediaType = json.mediaType;
  if (bodyMediaType !== undefined && typeof bodyMediaType !== 'string') {
    throw validationError(`${what}: mediaType must be a string`);
  }
  if (
    json.schemaVersion === 1 ||
    (bodyMediaType !== undefined && schema1MediaTypes.includes(bodyMediaType))
  ) {
    throw schema1Error(what);
  }
  if (json.schemaVersion !== 2)
    throw validationError(`${what}: unsupported schemaVersion ${JSON.stringify(json.schemaVersion)}`);

  const hasLayers = 'layers' in json;
  const hasManifests = 'manifests' in json;
  if (hasLayers && hasManifests) {
    throw validationError(`${what} is ambiguous: it has both "layers" (manifest) and "manifests" (index)`);
  }

  let mediaType: string;
  const declaredKnown = manifestMediaTypes.includes(declared) || indexMediaTypes.includes(declared);
  if (declaredKnown) {
    if (bodyMediaType !== undefined && bodyMediaType !== declared) {
      throw validationError(
        `${what}: mediaType "${bodyMediaType}" disagrees with the declared type "${declared}"`,
      );
    }
    mediaType = declared;
  } else if (!genericMediaTypes.has(declared)) {
    throw validationError(`${what}: unsupported manifest media type "${declared}"`);
  } else if (bodyMediaType !== undefined) {
    mediaType = bodyMediaType;
  } else if (hasManifests) {
    mediaType = mediaTypes.ociIndex;
  } else if (hasLayers) {
    mediaType = mediaTypes.ociManifest;
  } else {
    throw validationError(
      `${what}: cannot tell a manifest from an index (no mediaType, layers or manifests)`,
    );
  }

  if (manifestMediaTypes.includes(mediaType)) {
    if (hasManifests) throw validationError(`${what}: a manifest (${mediaType}) must not have "manifests"`);
    if (mediaType === mediaTypes.dockerManifest && bodyMediaType === undefined) {
      throw validationError(`${what}: a Docker schema2 manifest must carry its mediaType`);
    }
    const manifest: ImageManifest = {
      ...(json as object),
      schemaVersion: 2,
      config: parseDescriptor(json.config, `${what} config`),
      layers: parseDescriptorList(json.layers, `${what} layers`),
    };
    return { kind: 'manifest', mediaType, digest, bytes, manifest };
  }
  if (indexMediaTypes.includes(mediaType)) {
    if (hasLayers || 'config' in json)
      throw validationError(`${what}: an index (${mediaType}) must not have "layers" or "config"`);
    const manifests = parseDescriptorList(json.manifests, `${what} manifests`);
    const index: ImageIndex = { ...(json as object), schemaVersion: 2, manifests };
    return { kind: 'index', mediaType, digest, bytes, index };
  }
  throw validationError(`${what}: unsupported manifest media type "${mediaType}"`);
}

const schema1Error = (what: string) =>
  new StrataError(
    'VALIDATION',
    `${what} is a Docker schema1 manifest, which is deprecated and not supported`,
  );

export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (!isObject(value)) throw validationError(`${what}: descriptor must be an object`);
  const { mediaType, digest, size, urls, annotations, platform } = value;
  if (typeof mediaType !== 'string' || mediaType === '')
    throw validationError(`${what}: descriptor without mediaType`);
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw validationError(
      `${what}: invalid or unsupported digest ${JSON.stringify(digest)} (sha256 expected)`,
    );
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw validationError(`${what}: invalid size ${JSON.stringify(size)}`);
  }
  const descriptor: Descriptor = { ...(value as object), mediaType, digest, size };
  if (urls !== undefined) {
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string'))
      throw validationError(`${what}: urls must be strings`);
    descriptor.urls = urls;
  }
  if (annotations !== undefined) {
    if (!isObject(annotations) || !Object.values(annotations).every((v) => typeof v === 'string')) {
      throw validationError(`${what}: annotations must map strings to strings`);
    }
    descriptor.annotations = annotations as Record<string, string>;
  }
  if (platform !== undefined) descriptor.platform = parsePlatformObject(platform, what);
  return descriptor;
}

function parseDescriptorList(value: unknown, what: string): Descriptor[] {
  if (!Array.isArray(value)) throw validationError(`${what} must be an array`);
  return value.map((item, i) => parseDescriptor(item, `${what}[${i}]`));
}

function parsePlatformObject(value: unknown, what: string): Platform {
  if (!isObject(value) || typeof value.os !== 'string' || typeof value.architecture !== 'string') {
    throw validationError(`${what}: platform needs os and architecture`);
  }
  if (value.variant !== undefined && typeof value.variant !== 'string')
    throw validationError(`${what}: platform variant must be a string`);
  return value as unknown as Platform;
}

/** Serialises a manifest or index the way registries expect (compact JSON); its digest is that of these bytes. */
export const encodeDocument = (document: object): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(document));

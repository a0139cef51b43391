import { type Digest, isDigest } from '../../domain/digest.ts';
import { notFoundError, validationError } from '../../domain/errors.ts';
import { parseReference } from '../../domain/image/reference.ts';
import { maxConfigBytes } from '../config.ts';
import { imageParts, imageSource } from '../imageParts.ts';
import type { ManifestDocument } from '../manifest.ts';
import {
  defaultPlatform,
  formatPlatform,
  parsePlatform,
  platformMatches,
  selectPlatform,
} from '../platform.ts';
import type { ImageSource, Platform } from '../types.ts';
import { readAllVerified } from '../verifyStream.ts';
import { RegistryClient, type RegistryClientOptions } from './client.ts';

/** A parsed, normalised reference: `docker.io` + `library/ubuntu` + tag `latest`. */
export interface ImageTarget {
  registry: string;
  repository: string;
  tag?: string;
  digest?: Digest;
}

/**
 * A reference as users type it (`ubuntu`, `localhost:5000/app:v1`, `ghcr.io/o/a@sha256:…`), parsed and
 * normalised by the domain's reference rules, or an already structured target.
 */
export function toImageTarget(reference: string | ImageTarget): ImageTarget {
  if (typeof reference !== 'string') return reference;
  const parsed = parseReference(reference);
  if (parsed.digest !== undefined && !isDigest(parsed.digest)) {
    throw validationError(`unsupported digest in "${reference}": only sha256 is supported`, { reference });
  }
  return {
    registry: parsed.domain,
    repository: parsed.path,
    ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
    ...(parsed.digest !== undefined ? { digest: parsed.digest as Digest } : {}),
  };
}

export const formatTarget = (t: ImageTarget): string =>
  `${t.registry}/${t.repository}${t.tag !== undefined ? `:${t.tag}` : ''}${t.digest !== undefined ? `@${t.digest}` : ''}`;

export interface OpenImageOptions extends RegistryClientOptions {
  /** `os/arch[/variant]` or a Platform; default linux/amd64. Used to pick from an index. */
  platform?: string | Platform;
  /** Accept foreign / non-distributable layers (fetched without credentials from their urls). Default false. */
  allowForeignLayers?: boolean;
  /** Reuse a client (and its token cache) for the same registry. */
  client?: RegistryClient;
  signal?: AbortSignal;
}

const maxIndexDepth = 3;

/**
 * Opens an image in a registry: resolves the tag (or digest), selects the platform from an index,
 * fetches and validates the manifest and config. Layers are not fetched: `openBlob` streams each one,
 * verified. The result holds no credentials.
 */
export async function openImage(
  ref: string | ImageTarget,
  options: OpenImageOptions = {},
): Promise<ImageSource> {
  const target = toImageTarget(ref);
  const client = options.client ?? new RegistryClient(target.registry, options);
  if (client.registry !== target.registry.toLowerCase()) {
    throw validationError(`client is for ${client.registry}, not ${target.registry}`);
  }
  const { repository } = target;
  const signal = options.signal;
  const wanted =
    options.platform === undefined
      ? defaultPlatform
      : typeof options.platform === 'string'
        ? parsePlatform(options.platform)
        : options.platform;
  const reference = target.digest ?? target.tag ?? 'latest';
  const shown = formatTarget(target.digest || target.tag ? target : { ...target, tag: 'latest' });

  let document: ManifestDocument = await client.getManifest(repository, reference, signal);
  let index: ImageSource['index'];
  for (let depth = 0; document.kind === 'index'; depth++) {
    if (depth >= maxIndexDepth)
      throw validationError(`${shown}: indexes nested more than ${maxIndexDepth} deep`);
    const chosen = selectPlatform(document.index, wanted, `${shown}`);
    if (!index)
      index = {
        digest: document.digest,
        mediaType: document.mediaType,
        bytes: document.bytes,
        index: document.index,
      };
    const next = await client.getManifest(repository, chosen.digest, signal);
    if (next.mediaType !== chosen.mediaType) {
      throw validationError(
        `${shown}: index entry ${chosen.digest} says ${chosen.mediaType} but the registry serves ${next.mediaType}`,
      );
    }
    if (next.bytes.byteLength !== chosen.size) {
      throw validationError(
        `${shown}: index entry ${chosen.digest} says ${chosen.size} bytes, manifest has ${next.bytes.byteLength}`,
      );
    }
    document = next;
  }
  const { manifest } = document;
  const configBytes = await readAllVerified(
    client.openBlob(repository, manifest.config, signal ? { signal } : {}),
    manifest.config,
    maxConfigBytes,
    `config ${manifest.config.digest}`,
  );
  const parts = imageParts(manifest, configBytes, {
    what: shown,
    ...(options.allowForeignLayers ? { allowForeignLayers: true } : {}),
  });
  if (!index && options.platform !== undefined && !platformMatches(parts.platform, wanted)) {
    throw notFoundError(`${shown} is for ${formatPlatform(parts.platform)}, not ${formatPlatform(wanted)}`, {
      platform: formatPlatform(wanted),
      available: [formatPlatform(parts.platform)],
    });
  }
  const allowForeignUrls = options.allowForeignLayers === true;
  return imageSource({
    source: 'registry',
    reference: shown,
    document,
    configBytes,
    parts,
    tags: target.tag !== undefined ? [target.tag] : [],
    openBlob: (blob, blobOptions = {}) => client.openBlob(repository, blob, { ...blobOptions, allowForeignUrls }),
    index,
  });
}

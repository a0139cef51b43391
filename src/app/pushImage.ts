import { type Digest, shortId } from '../domain/digest.ts';
import { normalizeReference } from '../domain/image/reference.ts';
import { manifestFor } from '../oci/manifestFor.ts';
import type { RegistryCredentials } from '../oci/registry/credentials.ts';
import { toImageTarget } from '../oci/registry/openImage.ts';
import { pushImage as pushToRegistry } from '../oci/registry/pushImage.ts';
import type { AppContext } from './context.ts';
import { imageContentOf, type LayerOrigin } from './imageContent.ts';

export interface PushOptions {
  /** As for pull: omitted → STRATA_REGISTRY_* then the Docker config file; `null` → anonymous. */
  credentials?: RegistryCredentials | null;
  env?: NodeJS.ProcessEnv;
  dockerConfigPath?: string;
  insecure?: boolean;
  /** Per layer blob, bytes uploaded so far. */
  onProgress?: (digest: Digest, bytes: number) => void;
  asOf?: number;
  signal?: AbortSignal;
}

export interface PushResult {
  imageId: Digest;
  /** Where it went: `registry/repository:tag` (or `@digest`). */
  reference: string;
  manifestDigest: Digest;
  manifestMediaType: string;
  layers: {
    digest: Digest;
    diffId: Digest;
    origin: LayerOrigin;
    outcome: 'Pushed' | 'Layer already exists';
  }[];
  /** What `docker push` prints. */
  lines: string[];
}

/**
 * `docker push`: sends an image Strata holds (`ref`: tag, id or digest reference) to `destination`
 * (`registry/repository[:tag]`, `:latest` when no tag). Blobs the registry already has are skipped; a pulled image keeps
 * its original manifest, so the registry serves the same manifest, config and layer digests.
 */
export async function pushImage(
  app: AppContext,
  ref: string,
  destination: string,
  options: PushOptions = {},
): Promise<PushResult> {
  const content = await imageContentOf(app, ref, options.asOf !== undefined ? { asOf: options.asOf } : {});
  const outcomes = new Map<string, 'Pushed' | 'Layer already exists'>();
  const target = toImageTarget(normalizeReference(destination));
  const pushed = await pushToRegistry(target, content, {
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.dockerConfigPath ? { dockerConfigPath: options.dockerConfigPath } : {}),
    ...(options.insecure ? { insecure: true } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onBlob: (digest, outcome) =>
      outcomes.set(digest, outcome === 'exists' ? 'Layer already exists' : 'Pushed'),
  });
  const layers = content.layers.map((l) => ({
    digest: l.digest,
    diffId: l.diffId,
    origin: l.origin,
    outcome: outcomes.get(l.digest) ?? 'Pushed',
  }));
  const lines = [
    `The push refers to repository [${target.registry}/${target.repository}]`,
    ...[...layers].reverse().map((l) => `${shortId(l.digest)}: ${l.outcome}`),
    `${target.tag ?? target.digest ?? pushed.manifestDigest}: digest: ${pushed.manifestDigest} size: ${manifestFor(content).bytes.byteLength}`,
  ];
  return {
    imageId: content.imageId,
    reference: pushed.reference,
    manifestDigest: pushed.manifestDigest,
    manifestMediaType: pushed.manifestMediaType,
    layers,
    lines,
  };
}

import { shortId } from '../domain/digest.ts';
import { parseReference } from '../domain/image/reference.ts';
import type { RegistryCredentials } from '../oci/registry/credentials.ts';
import { openImage } from '../oci/registry/openImage.ts';
import type { Platform } from '../oci/types.ts';
import { type AppContext, commandMetadata } from './context.ts';
import { importImage, type LayerProgress, type PullReport } from './importImage.ts';
import type { CommandMetadata } from './ports.ts';

export interface PullOptions {
  /** `os/arch[/variant]` or a Platform; default linux/amd64 (picked from an index). */
  platform?: string | Platform;
  /** Byte-level progress per layer: `Already exists`, `Downloading` (bytes so far), `Pull complete`. */
  onProgress?: (progress: LayerProgress) => void;
  /**
   * Credentials for the registry; omitted: STRATA_REGISTRY_* then the Docker config file's `auths`;
   * `null`: anonymous. They reach the registry client only, never an event.
   */
  credentials?: RegistryCredentials | null;
  /** Environment to read DOCKER_CONFIG, STRATA_REGISTRY_* and STRATA_INSECURE_REGISTRIES from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A Docker-style config.json to read credentials from (default `$DOCKER_CONFIG/config.json`, then `~/.docker/config.json`). */
  dockerConfigPath?: string;
  /** Plain HTTP for this registry (as if listed in STRATA_INSECURE_REGISTRIES). */
  insecure?: boolean;
  signal?: AbortSignal;
}

export interface PullResult extends PullReport {
  /** What `docker pull` prints, line by line. */
  lines: string[];
}

/**
 * `docker pull`: opens the image in its registry (tag or digest, platform picked from an index) and
 * imports it: layers whose ChainID is present say `Already exists`, the others stream verified into
 * the content store, then layers, image and tag are appended at once. A failure anywhere appends
 * nothing; verified blobs stay in the content store, so a retry downloads only what is missing.
 */
export async function pullImage(
  app: AppContext,
  ref: string,
  options: PullOptions = {},
  metadata: CommandMetadata = commandMetadata({ command: `pull ${ref}` }),
): Promise<PullResult> {
  const source = await openImage(ref, {
    ...(options.platform !== undefined ? { platform: options.platform } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.dockerConfigPath ? { dockerConfigPath: options.dockerConfigPath } : {}),
    ...(options.insecure ? { insecure: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const report = await importImage(
    app,
    source,
    options.onProgress ? { onProgress: options.onProgress } : {},
    metadata,
  );
  return { ...report, lines: pullLines(ref, report) };
}

/**
 * The lines `docker pull` prints for a finished pull: `Using default tag`, `<tag>: Pulling from
 * <repo>`, one `<12-char id>: Already exists | Pull complete` per layer, `Digest:`, `Status:`, and
 * the full reference.
 */
export function pullLines(ref: string, report: PullReport): string[] {
  const parsed = parseReference(ref);
  const lines: string[] = [];
  if (parsed.tag === undefined && parsed.digest === undefined) lines.push('Using default tag: latest');
  lines.push(`${parsed.digest ?? parsed.tag ?? 'latest'}: Pulling from ${parsed.path}`);
  for (const layer of report.layers) lines.push(`${shortId(layer.digest)}: ${layer.status}`);
  lines.push(`Digest: ${report.manifestDigest}`);
  lines.push(`Status: ${report.status}`);
  lines.push(
    report.reference.startsWith('sha256:')
      ? `${parsed.domain}/${parsed.path}@${report.manifestDigest}`
      : report.reference,
  );
  return lines;
}

import { notFoundError, validationError } from '../domain/errors.ts';
import type { Descriptor, ImageIndex, Platform } from './types.ts';

export const defaultPlatform: Platform = { os: 'linux', architecture: 'amd64' };

const architectureAliases: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
};

/** `linux/arm64/v8` → { os, architecture, variant }; architectures normalised the way containerd does. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw validationError(`invalid platform "${text}": expected os/arch[/variant]`);
  }
  const [os, arch, variant] = parts as [string, string, string | undefined];
  const platform: Platform = { os, architecture: architectureAliases[arch] ?? arch };
  if (variant !== undefined) platform.variant = variant;
  return platform;
}

export const formatPlatform = (p: Platform): string =>
  [p.os, p.architecture, p.variant].filter((x): x is string => x !== undefined && x !== '').join('/');

/** arm64 without a variant means v8; arm without a variant means v7 (containerd's normalisation). */
function normalisedVariant(p: Platform): string | undefined {
  if (p.variant) return p.variant;
  if (p.architecture === 'arm64') return 'v8';
  if (p.architecture === 'arm') return 'v7';
  return undefined;
}

export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  const arch = architectureAliases[candidate.architecture] ?? candidate.architecture;
  if (candidate.os !== wanted.os || arch !== wanted.architecture) return false;
  if (wanted.variant === undefined) return true;
  return normalisedVariant({ ...candidate, architecture: arch }) === normalisedVariant(wanted);
}

/**
 * Picks the manifest for `wanted` from an index. Without a requested variant, an entry with no variant
 * (or the architecture's default variant) wins over other variants. Attestation entries (os "unknown")
 * never match. NOT_FOUND lists what the index offers.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform, what = 'index'): Descriptor {
  const candidates = index.manifests.filter(
    (d) => d.platform !== undefined && platformMatches(d.platform, wanted),
  );
  if (candidates.length > 0) {
    if (wanted.variant !== undefined) return candidates[0]!;
    const defaultVariant = normalisedVariant(wanted);
    return (
      candidates.find((d) => !d.platform!.variant) ??
      candidates.find((d) => normalisedVariant(d.platform!) === defaultVariant) ??
      candidates[0]!
    );
  }
  const offered = index.manifests
    .filter((d) => d.platform !== undefined && d.platform.os !== 'unknown')
    .map((d) => formatPlatform(d.platform!));
  throw notFoundError(
    `${what} has no manifest for platform ${formatPlatform(wanted)}${offered.length ? ` (available: ${offered.join(', ')})` : ''}`,
    { platform: formatPlatform(wanted), available: offered },
  );
}

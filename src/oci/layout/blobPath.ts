import { validationError } from '../../domain/errors.ts';

const sha256 = /^sha256:([a-f0-9]{64})$/;

/**
 * `sha256:<hex>` → `blobs/sha256/<hex>`. The digest is validated here, right where it becomes a path,
 * whatever checked it before: a crafted digest like `sha256:../../x` never reaches the filesystem
 * (CVE-2024-3727).
 */
export function blobPath(digest: string): string {
  const match = sha256.exec(digest);
  if (!match)
    throw validationError(`invalid or unsupported blob digest ${JSON.stringify(digest)}`, { digest });
  return `blobs/sha256/${match[1]}`;
}

import { createHash } from 'node:crypto';
import { validationError } from './errors.ts';

/** A content digest `sha256:<64 lowercase hex>` (image-spec descriptor.md). */
export type Digest = `sha256:${string}`;

const sha256Pattern = /^sha256:[a-f0-9]{64}$/;

export const isDigest = (value: string): value is Digest => sha256Pattern.test(value);

export function parseDigest(value: string): Digest {
  if (!isDigest(value)) {
    throw validationError(`invalid digest "${value}": expected sha256:<64 lowercase hex>`, { digest: value });
  }
  return value;
}

export const sha256Digest = (data: string | Uint8Array): Digest =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** ChainID(L0) = DiffID(L0); ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const chain: Digest[] = [];
  for (const diffId of diffIds) {
    const parent = chain.at(-1);
    chain.push(parent === undefined ? diffId : sha256Digest(`${parent} ${diffId}`));
  }
  return chain;
}

/** The 12-character short id Docker prints. */
export const shortId = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

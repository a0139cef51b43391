/**
 * Helpers for the union-filesystem suites: layers are real tars (tarBuilder → gzip → readLayer, with
 * real digests), and merged views print as one line per path so expectations read like `ls -l`.
 */
import type { FsNode, LayerEntry } from '../../../src/domain/fs/node.ts';
import type { FsTree } from '../../../src/domain/fs/tree.ts';
import { type ApplyLayerOptions, mergeLayers } from '../../../src/domain/fs/union.ts';
import { type ReadLayerResult, readLayer } from '../../../src/layers/readLayer.ts';
import { buildLayer, chunked, sha256, type TarEntrySpec } from '../../support/tarBuilder.ts';

const contents = new Map<string, string>();

/** Reads a real gzip layer built from `specs`, checking its digests on the way. */
export async function readSpecs(specs: readonly TarEntrySpec[]): Promise<ReadLayerResult> {
  for (const spec of specs) {
    if (spec.content !== undefined)
      contents.set(sha256(spec.content), new TextDecoder().decode(spec.content));
  }
  const layer = buildLayer(specs, { compression: 'gzip' });
  return readLayer(chunked(layer.blob, 777), {
    expected: { digest: layer.digest, size: layer.compressedSize, diffId: layer.diffId },
  });
}

export async function entriesOf(specs: readonly TarEntrySpec[]): Promise<LayerEntry[]> {
  return (await readSpecs(specs)).entries;
}

/** The merged view of real tar layers, base first. */
export async function mergeTars(
  layers: readonly (readonly TarEntrySpec[])[],
  options: ApplyLayerOptions = {},
): Promise<FsTree> {
  const entries: LayerEntry[][] = [];
  for (const specs of layers) entries.push(await entriesOf(specs));
  return mergeLayers(entries, options);
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

/** One line per node: `dir 0755`, `file 0644 "text"`, `symlink -> target`, with ` 5:5` when not root-owned. */
export function describeNode(node: FsNode): string {
  const owner = node.uid === 0 && node.gid === 0 ? '' : ` ${node.uid}:${node.gid}`;
  const text = (digest: string | undefined) =>
    digest === undefined ? '(no content)' : JSON.stringify(contents.get(digest) ?? digest);
  switch (node.type) {
    case 'file':
      return `file ${octal(node.mode)}${owner} ${text(node.digest)}`;
    case 'hardlink':
      return `hardlink ${octal(node.mode)}${owner} ${node.linkTarget} ${text(node.digest)}`;
    case 'symlink':
      return `symlink${owner} -> ${node.linkTarget}`;
    case 'char':
    case 'block':
      return `${node.type} ${octal(node.mode)}${owner} ${node.devMajor},${node.devMinor}`;
    default:
      return `${node.type} ${octal(node.mode)}${owner}`;
  }
}

export const view = (tree: FsTree): Record<string, string> =>
  Object.fromEntries([...tree].map(([path, node]) => [path, describeNode(node)]));

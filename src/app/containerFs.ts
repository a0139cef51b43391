import type { ContainerFsCommand } from '../domain/container/commands.ts';
import { decideContainer } from '../domain/container/decide.ts';
import type { ContainerEvent } from '../domain/container/events.ts';
import type { ContainerState } from '../domain/container/state.ts';
import type { FsNode } from '../domain/fs/node.ts';
import { resolvePath } from '../domain/fs/resolvePath.ts';
import { containerStream } from '../domain/streams.ts';
import { FileView } from '../projections/fileView.ts';
import type { ContainerRow } from '../projections/queries/containers.ts';
import { imagesEverByIds } from '../projections/queries/images.ts';
import { loadContainer, resolveContainer } from './containers.ts';
import type { AppContext } from './context.ts';
import type { CommandMetadata } from './ports.ts';
import { withPrefetch } from './prefetch.ts';

export type Lower = Pick<ContainerFsCommand['data'], 'lower'> & {
  lowerChildren: (dir: string) => readonly FsNode[];
};

/** A container addressed by a filesystem command: its row and its merged and image views. */
export interface ContainerTarget {
  row: ContainerRow;
  view: FileView;
  imageView: FileView;
}

export async function targetContainer(app: AppContext, ref: string): Promise<ContainerTarget> {
  const row = await resolveContainer(app, ref);
  const image = (await imagesEverByIds(app.db, [row.image_id])).get(row.image_id);
  const chainId = image?.top_chain_id ?? null;
  return {
    row,
    view: new FileView(app.db, chainId, { containerId: row.container_id, asOf: undefined }),
    imageView: new FileView(app.db, chainId),
  };
}

/** Resolves a path in the container's merged view as the kernel would inside its root. */
export async function resolveInContainer(target: ContainerTarget, path: string, followFinal: boolean) {
  return withPrefetch(
    (paths: string[]) => lookupMany(target.view, paths),
    (lookup) => resolvePath(lookup, path, { followFinal }),
  );
}

/**
 * Runs `compute` — a pure domain function that reads an image's merged view through synchronous
 * `lower(path)` / `lowerChildren(dir)` lookups — fetching the nodes it asks for in batches from
 * `imageView` (see withPrefetch). The decider and `docker diff` both read the lower view this way.
 */
export function withLowerView<Result>(
  imageView: FileView,
  compute: (lower: Lower) => Result,
): Promise<Result> {
  return withPrefetch(
    async (keys: string[]) => {
      const result = new Map<string, FsNode | FsNode[] | undefined>();
      const nodes = await lookupMany(
        imageView,
        keys.filter((k) => k.startsWith('n')).map((k) => k.slice(1)),
      );
      for (const [path, node] of nodes) result.set(`n${path}`, node);
      for (const key of keys.filter((k) => k.startsWith('c'))) {
        const dir = key.slice(1);
        const entry = await imageView.lookup(dir);
        result.set(key, entry?.node.type === 'dir' ? (await imageView.list(dir)).map((e) => e.node) : []);
      }
      return result;
    },
    (lookup) =>
      compute({
        lower: (path) => lookup(`n${path}`) as FsNode | undefined,
        lowerChildren: (dir) => (lookup(`c${dir}`) as FsNode[] | undefined) ?? [],
      }),
  );
}

/** Decides a filesystem command against a container state, reading the image's nodes it asks for. Appends nothing. */
export function decideFs(
  target: ContainerTarget,
  state: ContainerState,
  command: (lower: Lower) => ContainerFsCommand,
): Promise<ContainerEvent[]> {
  return withLowerView(target.imageView, (lower) => decideContainer(command(lower), state));
}

/** Decides one filesystem command and appends its events with the version read. */
export async function decideFsCommand(
  app: AppContext,
  target: ContainerTarget,
  build: (lower: Lower) => ContainerFsCommand,
  metadata: CommandMetadata,
): Promise<{ events: ContainerEvent[]; position: number | undefined }> {
  const { state, expectedVersion } = await loadContainer(app, target.row.container_id);
  const events = await decideFs(target, state, build);
  if (events.length === 0) return { events, position: undefined };
  const { position } = await app.log.append(
    [{ stream: containerStream(target.row.container_id), events, expectedVersion }],
    metadata,
  );
  return { events, position };
}

async function lookupMany(view: FileView, paths: string[]): Promise<Map<string, FsNode | undefined>> {
  const entries = await Promise.all(
    paths.map(async (path) => [path, (await view.lookup(path))?.node] as const),
  );
  return new Map(entries);
}

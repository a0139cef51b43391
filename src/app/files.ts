import type { ContainerEvent } from '../domain/container/events.ts';
import type { Digest } from '../domain/digest.ts';
import { notFoundError } from '../domain/errors.ts';
import { normalizePath } from '../domain/fs/paths.ts';
import type { ViewEntry } from '../projections/fileView.ts';
import { type ContainerTarget, decideFsCommand, resolveInContainer, targetContainer } from './containerFs.ts';
import { type AppContext, commandMetadata } from './context.ts';
import type { CommandMetadata } from './ports.ts';

/**
 * File operations on a container's writable layer, as `docker cp` and a shell would make them.
 * Paths are resolved inside the container's root first (symlinked parents, `..`, absolute links),
 * then the container decider works out copy-up, whiteouts and opaque directories.
 */
export interface FileWriteInput {
  path: string;
  content: Uint8Array | string;
  mode?: number | undefined;
  append?: boolean | undefined;
}

export async function writeFile(
  app: AppContext,
  ref: string,
  input: FileWriteInput,
  metadata = commandMetadata(),
): Promise<ViewEntry> {
  const target = await targetContainer(app, ref);
  const { path } = await resolveInContainer(target, input.path, true);
  const bytes = typeof input.content === 'string' ? new TextEncoder().encode(input.content) : input.content;
  const stored = input.append ? await appendedContent(app, target, path, bytes) : await app.blobs.put(bytes);
  await decideFsCommand(
    app,
    target,
    (lower) => ({
      type: 'WriteFile',
      data: {
        containerId: target.row.container_id,
        now: app.now(),
        ...lower,
        path,
        digest: stored.digest,
        size: stored.size,
        append: input.append ?? false,
        createParents: true,
        ...(input.mode !== undefined ? { mode: input.mode } : {}),
      },
    }),
    metadata,
  );
  return (await target.view.lookup(path))!;
}

async function appendedContent(app: AppContext, target: ContainerTarget, path: string, bytes: Uint8Array) {
  const existing = await target.view.lookup(path);
  const digest =
    existing?.node.type === 'file' || existing?.node.type === 'hardlink' ? existing.node.digest : undefined;
  if (!digest) return app.blobs.put(bytes);
  const blobs = app.blobs;
  async function* concatenated() {
    yield* blobs.get(digest as Digest);
    yield bytes;
  }
  return blobs.put(concatenated());
}

export async function removePath(
  app: AppContext,
  ref: string,
  input: { path: string; recursive?: boolean },
  metadata: CommandMetadata = commandMetadata(),
) {
  const target = await targetContainer(app, ref);
  const { path, node } = await resolveInContainer(target, input.path, false);
  if (!node)
    throw notFoundError(`rm: cannot remove '${normalizePath(input.path)}': No such file or directory`, {
      path: input.path,
    });
  const result = await decideFsCommand(
    app,
    target,
    (lower) => ({
      type: 'RemovePath',
      data: {
        containerId: target.row.container_id,
        now: app.now(),
        ...lower,
        path,
        recursive: input.recursive ?? false,
      },
    }),
    metadata,
  );
  return { ...result, changes: removedPaths(result.events) };
}

export async function createSymlink(
  app: AppContext,
  ref: string,
  input: { path: string; target: string },
  metadata = commandMetadata(),
) {
  const container = await targetContainer(app, ref);
  const { path } = await resolveInContainer(container, input.path, false);
  return decideFsCommand(
    app,
    container,
    (lower) => ({
      type: 'CreateSymlink',
      data: { containerId: container.row.container_id, now: app.now(), ...lower, path, target: input.target },
    }),
    metadata,
  );
}

export async function changeMode(
  app: AppContext,
  ref: string,
  input: { path: string; mode: number },
  metadata = commandMetadata(),
) {
  const target = await targetContainer(app, ref);
  const { path } = await resolveInContainer(target, input.path, true);
  return decideFsCommand(
    app,
    target,
    (lower) => ({
      type: 'ChangeMode',
      data: { containerId: target.row.container_id, now: app.now(), ...lower, path, mode: input.mode },
    }),
    metadata,
  );
}

export async function createHardlink(
  app: AppContext,
  ref: string,
  input: { path: string; target: string },
  metadata = commandMetadata(),
) {
  const container = await targetContainer(app, ref);
  const path = (await resolveInContainer(container, input.path, false)).path;
  const target = (await resolveInContainer(container, input.target, false)).path;
  return decideFsCommand(
    app,
    container,
    (lower) => ({
      type: 'CreateHardlink',
      data: { containerId: container.row.container_id, now: app.now(), ...lower, path, target },
    }),
    metadata,
  );
}

const removedPaths = (events: ContainerEvent[]) =>
  events
    .filter((e) => e.type === 'ContainerPathRemoved')
    .map((e) => ({ kind: 'D' as const, path: (e.data as { path: string }).path }));

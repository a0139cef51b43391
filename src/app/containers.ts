import { randomBytes } from 'node:crypto';
import type { ContainerLifecycleCommand } from '../domain/container/commands.ts';
import { decideContainer } from '../domain/container/decide.ts';
import { noSuchContainer } from '../domain/container/guards.ts';
import { killedExitCode } from '../domain/container/lifecycle.ts';
import { evolveContainerName, initialContainerNameState } from '../domain/container/names/state.ts';
import { createContainer, removeContainer } from '../domain/container/operations.ts';
import { type ContainerState, evolveContainer, initialContainerState } from '../domain/container/state.ts';
import { notFoundError } from '../domain/errors.ts';
import { containerNameStream, containerStream } from '../domain/streams.ts';
import { findContainer } from '../projections/queries/containers.ts';
import { findImage } from '../projections/queries/images.ts';
import { type AppContext, commandMetadata } from './context.ts';
import { loadStream } from './loadStream.ts';
import { generateName } from './names.ts';
import type { CommandMetadata } from './ports.ts';

export const loadContainer = (app: AppContext, containerId: string) =>
  loadStream(app.log, containerStream(containerId), evolveContainer, initialContainerState);

/** The current container a ref (name, id, id prefix) names, or Docker's "No such container". */
export async function resolveContainer(app: AppContext, ref: string) {
  const row = await findContainer(app.db, ref);
  if (!row) throw noSuchContainer(ref);
  return row;
}

/** `docker create [--name NAME] IMAGE [CMD...]`. Returns the new container's id. */
export async function createContainerFrom(
  app: AppContext,
  input: { image: string; name?: string | undefined; cmd?: string[] | undefined },
  metadata: CommandMetadata = commandMetadata(),
): Promise<string> {
  const image = await findImage(app.db, input.image);
  if (!image) throw notFoundError(`No such image: ${input.image}`, { image: input.image });
  const containerId = randomBytes(32).toString('hex');
  const name = input.name?.replace(/^\//, '') ?? (await unusedName(app));
  const nameStream = await loadStream(
    app.log,
    containerNameStream(name),
    evolveContainerName,
    initialContainerNameState,
  );
  const cmd = input.cmd?.length ? input.cmd : defaultCmd(image.config);
  const decisions = createContainer(
    {
      type: 'CreateContainer',
      data: {
        containerId,
        now: app.now(),
        name,
        imageId: image.image_id as `sha256:${string}`,
        imageReference: input.image,
        cmd,
      },
    },
    { container: initialContainerState(), name: nameStream.state },
  );
  await app.log.append(
    decisions.map((d) => ({
      stream: d.stream,
      events: d.events,
      expectedVersion: d.stream === containerNameStream(name) ? nameStream.expectedVersion : 'no_stream',
    })),
    metadata,
  );
  return containerId;
}

/** start, stop, restart, pause, unpause: one stream, Docker's rules in the decider. */
export async function changeContainerState(
  app: AppContext,
  ref: string,
  action: 'start' | 'stop' | 'restart' | 'pause' | 'unpause',
  metadata: CommandMetadata = commandMetadata(),
  exitCode = killedExitCode,
): Promise<string> {
  const row = await resolveContainer(app, ref);
  const { state, expectedVersion } = await loadContainer(app, row.container_id);
  const base = { containerId: row.container_id, now: app.now() };
  const command: ContainerLifecycleCommand =
    action === 'start'
      ? { type: 'StartContainer', data: base }
      : action === 'stop'
        ? { type: 'StopContainer', data: { ...base, exitCode } }
        : action === 'restart'
          ? { type: 'RestartContainer', data: { ...base, exitCode } }
          : action === 'pause'
            ? { type: 'PauseContainer', data: base }
            : { type: 'UnpauseContainer', data: base };
  const events = decideContainer(command, state);
  if (events.length > 0)
    await app.log.append([{ stream: containerStream(row.container_id), events, expectedVersion }], metadata);
  return row.container_id;
}

/** `docker rm [-f]`: the writable layer goes with the container; its name is free again. */
export async function removeContainerByRef(
  app: AppContext,
  ref: string,
  force: boolean,
  metadata: CommandMetadata = commandMetadata(),
) {
  const row = await resolveContainer(app, ref);
  const { state, expectedVersion } = await loadContainer(app, row.container_id);
  const nameStream = await loadStream(
    app.log,
    containerNameStream(row.name),
    evolveContainerName,
    initialContainerNameState,
  );
  const decisions = removeContainer(
    { type: 'RemoveContainer', data: { containerId: row.container_id, now: app.now(), force } },
    state,
  );
  await app.log.append(
    decisions.map((d) => ({
      stream: d.stream,
      events: d.events,
      expectedVersion:
        d.stream === containerStream(row.container_id) ? expectedVersion : nameStream.expectedVersion,
    })),
    metadata,
  );
  return row.container_id;
}

export type { ContainerState };

function defaultCmd(config: unknown): string[] {
  const run = (config as { config?: { Entrypoint?: string[] | null; Cmd?: string[] | null } }).config;
  return [...(run?.Entrypoint ?? []), ...(run?.Cmd ?? [])];
}

async function unusedName(app: AppContext): Promise<string> {
  for (;;) {
    const name = generateName();
    if (!(await findContainer(app.db, name))) return name;
  }
}

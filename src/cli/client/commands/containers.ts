import { bool, type CliContext, type Command, errLine, line, str } from '../context.ts';
import { CliError, DaemonError, runFailure } from '../errors.ts';
import { type Column, renderList } from '../format/list.ts';
import { containerStatus, dockerState } from '../format/status.ts';
import { ellipsis, shortId } from '../format/table.ts';
import { ago, goTime, shortSize } from '../format/units.ts';
import { allPages, getContainer } from '../queries.ts';

export interface ContainerListNode {
  containerId: string;
  name: string;
  imageReference: string | null;
  command: string[];
  created: string;
  state: string;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  sizeRw?: number;
  image: { imageId: string; size: number };
}

const containerSelection = (size: boolean) =>
  `containerId name imageReference command created state exitCode startedAt finishedAt ${size ? 'sizeRw' : ''} image { imageId size }`;

/**
 * docker ps's IMAGE: the image as given to create, while that reference still names the
 * container's image; else the image id (moby daemon/list.go).
 */
async function imageNames(
  ctx: CliContext,
  containers: readonly ContainerListNode[],
  noTrunc: boolean,
): Promise<Map<string, string>> {
  const refs = [...new Set(containers.flatMap((c) => (c.imageReference ? [c.imageReference] : [])))];
  const resolved = new Map<string, string | null>();
  for (let i = 0; i < refs.length; i += 50) {
    const chunk = refs.slice(i, i + 50);
    const query = `query($asOf: Position) { ${chunk.map((r, j) => `i${j}: image(ref: ${JSON.stringify(r)}, asOf: $asOf) { imageId }`).join(' ')} }`;
    const data = await ctx.api.request<Record<string, { imageId: string } | null>>(query, {
      asOf: ctx.asOf ?? null,
    });
    for (const [j, r] of chunk.entries()) resolved.set(r, data[`i${j}`]?.imageId ?? null);
  }
  return new Map(
    containers.map((c) => {
      const byRef =
        c.imageReference && resolved.get(c.imageReference) === c.image.imageId ? c.imageReference : undefined;
      return [c.containerId, byRef ?? (noTrunc ? c.image.imageId : shortId(c.image.imageId))];
    }),
  );
}

export const ps: Command = {
  name: 'ps',
  usage: '[OPTIONS]',
  description: 'List containers',
  readOnly: true,
  maxArgs: 0,
  flags: [
    { long: 'all', short: 'a', description: 'Show all containers (default shows just running)' },
    {
      long: 'format',
      type: 'string',
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template",
    },
    {
      long: 'last',
      short: 'n',
      type: 'string',
      value: 'int',
      description: 'Show n last created containers (includes all states)',
    },
    { long: 'latest', short: 'l', description: 'Show the latest created container (includes all states)' },
    { long: 'no-trunc', description: "Don't truncate output" },
    { long: 'quiet', short: 'q', description: 'Only display container IDs' },
    { long: 'size', short: 's', description: 'Display total file sizes' },
  ],
  async run(ctx, flags) {
    const last = bool(flags, 'latest')
      ? 1
      : str(flags, 'last') !== undefined
        ? Number(str(flags, 'last'))
        : -1;
    if (!Number.isInteger(last))
      throw new CliError(
        `invalid argument "${str(flags, 'last')}" for "-n, --last" flag: strconv.ParseInt: parsing "${str(flags, 'last')}": invalid syntax`,
        125,
      );
    const size = bool(flags, 'size');
    let containers = await allPages<ContainerListNode>(
      ctx,
      '$all: Boolean, $asOf: Position',
      'containers(all: $all, asOf: $asOf',
      containerSelection(size),
      {
        all: bool(flags, 'all') || last !== -1,
        asOf: ctx.asOf ?? null,
      },
      25,
    );
    if (last !== -1) containers = containers.slice(0, last);
    const noTrunc = bool(flags, 'no-trunc');
    if (bool(flags, 'quiet')) {
      for (const c of containers) line(ctx, noTrunc ? c.containerId : shortId(c.containerId));
      return 0;
    }
    const names = await imageNames(ctx, containers, noTrunc);
    const rows = containers.map((c) => {
      const command = c.command.join(' ');
      const sizeRw = c.sizeRw ?? 0;
      const virtual = sizeRw + c.image.size;
      return {
        Command: JSON.stringify(noTrunc ? command : ellipsis(command, 20)),
        CreatedAt: goTime(c.created),
        ID: noTrunc ? c.containerId : shortId(c.containerId),
        Image: names.get(c.containerId)!,
        Labels: '',
        LocalVolumes: '0',
        Mounts: '',
        Names: c.name,
        Networks: '',
        Ports: '',
        RunningFor: ago(c.created, ctx.now),
        Size:
          size && virtual > 0 ? `${shortSize(sizeRw)} (virtual ${shortSize(virtual)})` : shortSize(sizeRw),
        State: dockerState(c.state),
        Status: containerStatus(c, ctx.now),
      };
    });
    const columns: Column[] = [
      { field: 'ID', header: 'CONTAINER ID' },
      { field: 'Image', header: 'IMAGE' },
      { field: 'Command', header: 'COMMAND' },
      { field: 'RunningFor', header: 'CREATED' },
      { field: 'Status', header: 'STATUS' },
      { field: 'Ports', header: 'PORTS' },
      { field: 'Names', header: 'NAMES' },
      ...(size ? [{ field: 'Size', header: 'SIZE' }] : []),
    ];
    ctx.out.write(
      renderList(rows, columns, str(flags, 'format'), {
        CreatedAt: 'CREATED AT',
        State: 'STATE',
        LocalVolumes: 'LOCAL VOLUMES',
      }),
    );
    return 0;
  },
};

export interface CreatedContainer {
  containerId: string;
  name: string;
}

/** createContainer; the CMD is kept as argv (what `docker ps` shows and `docker inspect` reports). */
export async function createContainer(
  ctx: CliContext,
  image: string,
  name: string | undefined,
  cmd: string[],
): Promise<CreatedContainer> {
  return ctx.api.mutate<CreatedContainer>(
    'createContainer',
    {
      image: { type: 'String!', value: image },
      ...(name !== undefined ? { name: { type: 'String', value: name } } : {}),
      ...(cmd.length ? { cmd: { type: '[String!]', value: cmd } } : {}),
    },
    'containerId name',
  );
}

export const create: Command = {
  name: 'create',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  minArgs: 1,
  interspersed: false,
  flags: [
    {
      long: 'interactive',
      short: 'i',
      description: 'Keep STDIN open even if not attached (accepted: attach later with start -ai)',
    },
    { long: 'name', type: 'string', description: 'Assign a name to the container' },
    { long: 'tty', short: 't', description: 'Allocate a pseudo-TTY (accepted: attach later with start -ai)' },
  ],
  async run(ctx, flags, [image, ...cmd]) {
    try {
      const created = await createContainer(ctx, image!, str(flags, 'name'), cmd);
      line(ctx, created.containerId);
      return 0;
    } catch (error) {
      throw runFailure('create', error);
    }
  },
};

/** Runs `action` for every argument as docker does: prints the argument on success, each failure on stderr. */
export async function eachContainer(
  ctx: CliContext,
  args: string[],
  action: (ref: string) => Promise<void>,
): Promise<string[]> {
  const failed: string[] = [];
  for (const ref of args) {
    try {
      await action(ref);
      line(ctx, ref);
    } catch (error) {
      if (!(error instanceof DaemonError)) throw error;
      errLine(ctx, error.display);
      failed.push(ref);
    }
  }
  return failed;
}

/** startContainer, stopContainer, …: one container's state change. */
export async function lifecycle(ctx: CliContext, field: string, ref: string): Promise<void> {
  await ctx.api.mutate(field, { container: { type: 'String!', value: ref } }, 'state');
}

/** eachContainer's exit status: 1 when any argument failed. */
const eachContainerStatus = async (...args: Parameters<typeof eachContainer>) =>
  (await eachContainer(...args)).length ? 1 : 0;

/** A command's run that applies the lifecycle mutation `field` to every argument. */
const lifecycleRun =
  (field: string): Command['run'] =>
  (ctx, _flags, args) =>
    eachContainerStatus(ctx, args, (ref) => lifecycle(ctx, field, ref));

export const stop: Command = {
  name: 'stop',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  minArgs: 1,
  flags: [
    {
      long: 'signal',
      short: 's',
      type: 'string',
      description:
        'Signal to send to the container (accepted: no process, the shell is killed, exit code 137)',
    },
    {
      long: 'time',
      short: 't',
      type: 'string',
      value: 'int',
      description: 'Seconds to wait before killing the container (accepted: nothing to wait for)',
    },
  ],
  run: lifecycleRun('stopContainer'),
};

export const restart: Command = {
  ...stop,
  name: 'restart',
  description: 'Restart one or more containers',
  run: lifecycleRun('restartContainer'),
};

export const pause: Command = {
  name: 'pause',
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  minArgs: 1,
  flags: [],
  run: lifecycleRun('pauseContainer'),
};

export const unpause: Command = {
  ...pause,
  name: 'unpause',
  description: 'Unpause all processes within one or more containers',
  run: lifecycleRun('unpauseContainer'),
};

export async function removeContainer(ctx: CliContext, ref: string, force: boolean): Promise<void> {
  await ctx.api.mutate(
    'removeContainer',
    { container: { type: 'String!', value: ref }, force: { type: 'Boolean', value: force } },
    'containerId',
  );
}

export const rm: Command = {
  name: 'rm',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  minArgs: 1,
  flags: [
    {
      long: 'force',
      short: 'f',
      description: 'Force the removal of a running container (kills it: exit code 137)',
    },
    {
      long: 'volumes',
      short: 'v',
      description: 'Remove anonymous volumes (Strata has none: accepted, no effect)',
    },
  ],
  async run(ctx, flags, args) {
    return eachContainerStatus(ctx, args, (ref) => removeContainer(ctx, ref, bool(flags, 'force')));
  },
};

export const diff: Command = {
  name: 'diff',
  usage: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  readOnly: true,
  minArgs: 1,
  maxArgs: 1,
  flags: [],
  async run(ctx, _flags, [ref]) {
    const container = await getContainer<{ changes: { kind: string; path: string }[] }>(
      ctx,
      ref!,
      'changes { kind path }',
    );
    for (const change of container.changes) line(ctx, `${change.kind} ${change.path}`);
    return 0;
  },
};

export const commit: Command = {
  name: 'commit',
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  minArgs: 1,
  maxArgs: 2,
  flags: [
    {
      long: 'author',
      short: 'a',
      type: 'string',
      description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
    },
    { long: 'message', short: 'm', type: 'string', description: 'Commit message' },
    {
      long: 'pause',
      short: 'p',
      description: 'Pause container during commit (accepted: a commit is one atomic read)',
    },
  ],
  async run(ctx, flags, [container, reference]) {
    const image = await ctx.api.mutate<{ imageId: string }>(
      'commitContainer',
      {
        container: { type: 'String!', value: container },
        ...(reference ? { reference: { type: 'String', value: reference } } : {}),
        ...(str(flags, 'message') !== undefined
          ? { message: { type: 'String', value: str(flags, 'message') } }
          : {}),
        ...(str(flags, 'author') !== undefined
          ? { author: { type: 'String', value: str(flags, 'author') } }
          : {}),
      },
      'imageId',
    );
    line(ctx, image.imageId);
    return 0;
  },
};

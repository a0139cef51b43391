import { bool, type CliContext, type Command, errLine, line, str } from '../context.ts';
import { CliError } from '../errors.ts';
import { shortId } from '../format/table.ts';
import { applyTemplate } from '../format/template.ts';
import { rfc3339Nano } from '../format/units.ts';

interface OciConfig {
  architecture?: string;
  variant?: string;
  os?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  created?: string;
  config?: {
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[] | null;
    WorkingDir?: string;
    User?: string;
    Labels?: Record<string, string> | null;
    [key: string]: unknown;
  };
}

interface ImageData {
  imageId: string;
  repoTags: string[];
  repoDigests: string[];
  created: string | null;
  size: number;
  config: OciConfig | null;
  layers: { layer: { diffId: string } }[];
  history: { comment: string | null }[];
}

interface ContainerData {
  containerId: string;
  name: string;
  created: string;
  state: string;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  restartCount: number;
  command: string[];
  imageReference: string | null;
  sizeRw?: number;
  image: { imageId: string; size: number; config: OciConfig | null };
}

const imageFields =
  'imageId repoTags repoDigests created size config layers { layer { diffId } } history { comment }';
const containerFields = (size: boolean) =>
  `containerId name created state exitCode startedAt finishedAt restartCount command imageReference ${size ? 'sizeRw' : ''} image { imageId size config }`;

/** `docker image inspect`'s shape, from the image's OCI config. */
export function imageInspect(image: ImageData): Record<string, unknown> {
  const config = image.config ?? {};
  return {
    Id: image.imageId,
    RepoTags: image.repoTags,
    RepoDigests: image.repoDigests,
    Parent: '',
    Comment: config.comment ?? image.history[0]?.comment ?? '',
    Created: image.created ? rfc3339Nano(image.created) : '',
    DockerVersion: config.docker_version ?? '',
    Author: config.author ?? '',
    Config: config.config ?? null,
    Architecture: config.architecture ?? '',
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os ?? '',
    Size: image.size,
    GraphDriver: { Data: null, Name: 'strata' },
    RootFS: { Type: 'layers', Layers: image.layers.map((l) => l.layer.diffId) },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

/** `docker container inspect`'s shape: State, Config (the image's, with this container's command), Name with its slash. */
export function containerInspect(c: ContainerData, withSize: boolean): Record<string, unknown> {
  const image = c.image.config?.config ?? {};
  const entrypoint = image.Entrypoint ?? null;
  const cmd = entrypoint?.every((part, i) => c.command[i] === part)
    ? c.command.slice(entrypoint.length)
    : c.command;
  const running = ['RUNNING', 'PAUSED', 'RESTARTING'].includes(c.state);
  return {
    Id: c.containerId,
    Created: rfc3339Nano(c.created),
    Path: c.command[0] ?? '',
    Args: c.command.slice(1),
    State: {
      Status: c.state.toLowerCase(),
      Running: running,
      Paused: c.state === 'PAUSED',
      Restarting: c.state === 'RESTARTING',
      OOMKilled: false,
      Dead: c.state === 'DEAD',
      Pid: 0,
      ExitCode: c.exitCode ?? 0,
      Error: '',
      StartedAt: rfc3339Nano(c.startedAt),
      FinishedAt: rfc3339Nano(c.finishedAt),
    },
    Image: c.image.imageId,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'strata',
    Platform: c.image.config?.os ?? 'linux',
    ...(withSize ? { SizeRw: c.sizeRw ?? 0, SizeRootFs: (c.sizeRw ?? 0) + c.image.size } : {}),
    Config: {
      Hostname: shortId(c.containerId),
      Domainname: '',
      User: image.User ?? '',
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: image.Env ?? [],
      Cmd: cmd.length ? cmd : null,
      Image: c.imageReference ?? c.image.imageId,
      Volumes: null,
      WorkingDir: image.WorkingDir ?? '',
      Entrypoint: entrypoint,
      OnBuild: null,
      Labels: image.Labels ?? {},
    },
  };
}

async function find(
  ctx: CliContext,
  name: string,
  type: string | undefined,
  size: boolean,
): Promise<Record<string, unknown> | undefined> {
  const asOf = ctx.asOf ?? null;
  if (type !== 'image') {
    const { container } = await ctx.api.request<{ container: ContainerData | null }>(
      `query($ref: String!, $asOf: Position) { container(ref: $ref, asOf: $asOf) { ${containerFields(size)} } }`,
      { ref: name, asOf },
    );
    if (container) return containerInspect(container, size);
  }
  if (type !== 'container') {
    const { image } = await ctx.api.request<{ image: ImageData | null }>(
      `query($ref: String!, $asOf: Position) { image(ref: $ref, asOf: $asOf) { ${imageFields} } }`,
      { ref: name, asOf },
    );
    if (image) return imageInspect(image);
  }
  return undefined;
}

export const inspect: Command = {
  name: 'inspect',
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on containers and images',
  readOnly: true,
  minArgs: 1,
  flags: [
    { long: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
    { long: 'size', short: 's', description: 'Display total file sizes if the type is container' },
    {
      long: 'type',
      type: 'string',
      description: 'Only inspect objects of the given type (container or image)',
    },
  ],
  async run(ctx, flags, args) {
    const type = str(flags, 'type');
    if (type !== undefined && type !== 'container' && type !== 'image')
      throw new CliError(`"${type}" is not a valid value for --type`);
    const found: Record<string, unknown>[] = [];
    const missing: string[] = [];
    for (const name of args) {
      const object = await find(ctx, name, type, bool(flags, 'size'));
      if (object) found.push(object);
      else missing.push(name);
    }
    const format = str(flags, 'format');
    if (format !== undefined) for (const object of found) line(ctx, applyTemplate(format, object));
    else line(ctx, JSON.stringify(found, null, 4));
    for (const name of missing) errLine(ctx, `Error: No such ${type ?? 'object'}: ${name}`);
    return missing.length ? 1 : 0;
  },
};

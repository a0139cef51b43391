import { readFileSync } from 'node:fs';
import { bool, type CliContext, type Command, line, str } from '../context.ts';
import { CliError } from '../errors.ts';
import { renderList } from '../format/list.ts';
import { containerStatus } from '../format/status.ts';
import { ellipsis, shortId, table } from '../format/table.ts';
import { sortedJson } from '../format/template.ts';
import { ago, humanSize, shortSize } from '../format/units.ts';
import type { ContainerListNode } from './containers.ts';
import { splitRepoTag } from './images.ts';

interface DiskUsageData {
  images: {
    image: { imageId: string; repoTags: string[]; created: string | null };
    size: number;
    sharedSize: number;
    uniqueSize: number;
    containers: number;
  }[];
  containers: {
    container: Omit<ContainerListNode, 'sizeRw' | 'image'> & { image: { imageId: string } };
    sizeRw: number;
  }[];
  layersSize: number;
  storedBytes: number;
}

const active = (state: string) => state === 'RUNNING' || state === 'PAUSED' || state === 'RESTARTING';
const withPercent = (reclaimable: number, total: number) =>
  total > 0
    ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)`
    : humanSize(reclaimable);

export const df: Command = {
  name: 'system df',
  usage: '[OPTIONS]',
  description: 'Show Strata disk usage',
  readOnly: true,
  maxArgs: 0,
  flags: [
    {
      long: 'format',
      type: 'string',
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template",
    },
    { long: 'verbose', short: 'v', description: 'Show detailed information on space usage' },
  ],
  async run(ctx, flags) {
    const { diskUsage: usage } = await ctx.api.request<{ diskUsage: DiskUsageData }>(
      `query($asOf: Position) { diskUsage(asOf: $asOf) {
        images { image { imageId repoTags created } size sharedSize uniqueSize containers }
        containers { container { containerId name imageReference command created state exitCode startedAt finishedAt image { imageId } } sizeRw }
        layersSize storedBytes } }`,
      { asOf: ctx.asOf ?? null },
    );
    if (bool(flags, 'verbose')) {
      const images = usage.images.map((u) => {
        const [repository, tag] = u.image.repoTags[0]
          ? splitRepoTag(u.image.repoTags[0])
          : ['<none>', '<none>'];
        return [
          repository,
          tag,
          shortId(u.image.imageId),
          ago(u.image.created, ctx.now),
          shortSize(u.size),
          humanSize(u.sharedSize),
          humanSize(u.uniqueSize),
          String(u.containers),
        ];
      });
      const containers = usage.containers.map(({ container: c, sizeRw }) => [
        shortId(c.containerId),
        c.imageReference ?? shortId(c.image.imageId),
        JSON.stringify(ellipsis(c.command.join(' '), 20)),
        '0',
        shortSize(sizeRw),
        ago(c.created, ctx.now),
        containerStatus(c, ctx.now),
        c.name,
      ]);
      ctx.out.write(
        `Images space usage:\n\n${table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'], images)}` +
          `\nContainers space usage:\n\n${table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'], containers)}` +
          `\nLocal Volumes space usage:\n\n${table(['VOLUME NAME', 'LINKS', 'SIZE'], [])}` +
          `\nBuild cache usage: 0B\n\n${table(['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'], [])}` +
          `\nStrata content store: ${humanSize(usage.storedBytes)} of file contents, each stored once, for ${humanSize(usage.layersSize)} of layers\n`,
      );
      return 0;
    }
    const used = usage.images
      .filter((i) => i.containers > 0)
      .reduce((sum, i) => sum + i.size - i.sharedSize, 0);
    const containersSize = usage.containers.reduce((sum, c) => sum + c.sizeRw, 0);
    const idleSize = usage.containers
      .filter((c) => !active(c.container.state))
      .reduce((sum, c) => sum + c.sizeRw, 0);
    const rows = [
      {
        Type: 'Images',
        TotalCount: String(usage.images.length),
        Active: String(usage.images.filter((i) => i.containers > 0).length),
        Size: humanSize(usage.layersSize),
        Reclaimable: withPercent(usage.layersSize - used, usage.layersSize),
      },
      {
        Type: 'Containers',
        TotalCount: String(usage.containers.length),
        Active: String(usage.containers.filter((c) => active(c.container.state)).length),
        Size: humanSize(containersSize),
        Reclaimable: withPercent(idleSize, containersSize),
      },
      { Type: 'Local Volumes', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
      { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
    ];
    ctx.out.write(
      renderList(
        rows,
        [
          { field: 'Type', header: 'TYPE' },
          { field: 'TotalCount', header: 'TOTAL' },
          { field: 'Active', header: 'ACTIVE' },
          { field: 'Size', header: 'SIZE' },
          { field: 'Reclaimable', header: 'RECLAIMABLE' },
        ],
        str(flags, 'format'),
      ),
    );
    return 0;
  },
};

/** `42` (a position), `2024-05-01T12:00:00Z` (the position current then), or `10m` / `2h` / `30s` ago. */
export async function parsePosition(ctx: CliContext, text: string, what: string): Promise<number> {
  if (/^\d+$/.test(text)) return Number(text);
  let time: string | undefined;
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (duration) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[duration[2] as 'ms' | 's' | 'm' | 'h'];
    time = new Date(Date.now() - Number(duration[1]) * unit).toISOString();
  } else if (!Number.isNaN(Date.parse(text)) && /\d{4}-\d{2}-\d{2}/.test(text)) {
    time = new Date(text).toISOString();
  }
  if (time === undefined)
    throw new CliError(
      `Error: invalid ${what} "${text}": a position (42), a time (2024-05-01T12:00:00Z) or a duration (10m)`,
    );
  return (
    await ctx.api.request<{ positionAt: number }>('query($t: DateTime!) { positionAt(time: $t) }', {
      t: time,
    })
  ).positionAt;
}

interface EventData {
  position: number;
  stream: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

const streamKinds = ['container-name-', 'container-', 'image-', 'layer-', 'tag-', 'session-'];

/** `docker events`' line: `<time, 9 decimals> <type> <action> <id> (attr=value, …)`. */
export function eventLine(event: EventData): string {
  const prefix = streamKinds.find((p) => event.stream.startsWith(p));
  const kind = prefix ? prefix.slice(0, -1) : 'stream';
  const id = prefix ? event.stream.slice(prefix.length) : event.stream;
  const attributes: Record<string, string> = { position: String(event.position) };
  const show = (value: string) => ellipsis(value.replaceAll('\n', '\\n'), 80);
  for (const [key, value] of Object.entries(event.data ?? {})) {
    if (key === 'stdout' || key === 'stderr') continue; // outputs: `strata replay` shows them
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      attributes[key] = show(String(value));
  }
  if (typeof event.metadata?.command === 'string') attributes.command = show(event.metadata.command);
  const attrs = Object.keys(attributes)
    .sort()
    .map((k) => `${k}=${attributes[k]}`)
    .join(', ');
  const d = new Date(event.recordedAt);
  const time = `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000000Z`;
  return `${time} ${kind} ${event.type} ${id} (${attrs})`;
}

const eventFields = 'position stream type data metadata recordedAt';

export const events: Command = {
  name: 'events',
  usage: '[OPTIONS]',
  description: 'Get real time events from the server',
  maxArgs: 0,
  flags: [
    {
      long: 'filter',
      short: 'f',
      type: 'list',
      value: 'filter',
      description:
        'Filter output: type=container|image|layer|tag|session, event=ContainerStarted, container=NAME',
    },
    {
      long: 'format',
      type: 'string',
      description: "Format output using a custom template: 'json', or a Go template",
    },
    {
      long: 'since',
      type: 'string',
      description: 'Show events after this position (or time, or duration: 10m)',
    },
    {
      long: 'until',
      type: 'string',
      description: 'Stop at this position (or time): print the events up to it and exit',
    },
  ],
  async run(ctx, flags) {
    let stream: string | undefined;
    const types: string[] = [];
    let kind: string | undefined;
    for (const filter of (flags.filter as string[] | undefined) ?? []) {
      const [key, value] = [filter.slice(0, filter.indexOf('=')), filter.slice(filter.indexOf('=') + 1)];
      if (key === 'event') types.push(value);
      else if (key === 'type') kind = value;
      else if (key === 'container') {
        const { container } = await ctx.api.request<{ container: { containerId: string } | null }>(
          'query($ref: String!) { container(ref: $ref) { containerId } }',
          { ref: value },
        );
        stream = `container-${container?.containerId ?? value}`;
      } else throw new CliError(`Error response from daemon: invalid filter '${key}'`);
    }
    if (kind !== undefined && stream === undefined) stream = `${kind}-*`;
    const wanted = (e: EventData) =>
      kind === undefined ||
      (kind === 'container'
        ? e.stream.startsWith('container-') && !e.stream.startsWith('container-name-')
        : true);
    const format = str(flags, 'format');
    const print = (e: EventData) => {
      if (!wanted(e)) return;
      if (format === 'json') line(ctx, sortedJson(e));
      else if (format !== undefined)
        line(
          ctx,
          format.replace(/\{\{json \.\}\}/g, () => sortedJson(e)),
        );
      else line(ctx, eventLine(e));
    };
    const since = str(flags, 'since');
    let after =
      since !== undefined
        ? await parsePosition(ctx, since, 'since')
        : (await ctx.api.request<{ head: number }>('{ head }')).head;
    const untilText = str(flags, 'until');
    const filterArgs = { ...(stream ? { stream } : {}), ...(types.length ? { types } : {}) };
    if (untilText !== undefined) {
      const until = await parsePosition(ctx, untilText, 'until');
      for (;;) {
        const data = await ctx.api.request<{
          events: { edges: { node: EventData }[]; pageInfo: { hasNextPage: boolean } };
        }>(
          `query($after: Position, $stream: String, $types: [String!]) { events(after: $after, first: 500, stream: $stream, types: $types) { edges { node { ${eventFields} } } pageInfo { hasNextPage } } }`,
          { after, ...filterArgs },
        );
        for (const { node } of data.events.edges) {
          if (node.position > until) return 0;
          print(node);
        }
        const last = data.events.edges.at(-1)?.node.position;
        if (!data.events.pageInfo.hasNextPage || last === undefined) return 0;
        after = last;
      }
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      for await (const data of ctx.api.subscribe<{ events: EventData }>(
        `subscription($after: Position, $stream: String, $types: [String!]) { events(after: $after, stream: $stream, types: $types) { ${eventFields} } }`,
        { after, ...filterArgs },
        stop.signal,
      )) {
        print(data.events);
      }
    } catch (error) {
      if (!stop.signal.aborted) throw error;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  },
};

const clientVersion = (): string => {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'unknown';
  }
};

export const version: Command = {
  name: 'version',
  usage: '',
  description: 'Show the Strata version information',
  maxArgs: 0,
  flags: [],
  async run(ctx) {
    line(
      ctx,
      `Client:\n Version:           ${clientVersion()}\n Node.js version:   ${process.version}\n Server URL:        ${ctx.api.options.url}\n`,
    );
    const { serverInfo } = await ctx.api.request<{ serverInfo: { version: string; backend: string } }>(
      '{ serverInfo { version backend } }',
    );
    line(
      ctx,
      `Server:\n Version:           ${serverInfo.version}\n Event store:       ${serverInfo.backend}`,
    );
    return 0;
  },
};

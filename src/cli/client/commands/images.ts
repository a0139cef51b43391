import { familiarName, normalizeReference, parseReference } from '../../../domain/image/reference.ts';
import { bool, type CliContext, type Command, errLine, line, str } from '../context.ts';
import { DaemonError } from '../errors.ts';
import { type Column, renderList } from '../format/list.ts';
import { ellipsis, shortId } from '../format/table.ts';
import { ago, goTime, humanSize, rfc3339Nano, shortSize } from '../format/units.ts';
import { allPages, getImage } from '../queries.ts';

/** `ubuntu:latest` → [`ubuntu`, `latest`]; `localhost:5000/app:1` → [`localhost:5000/app`, `1`]. */
export function splitRepoTag(repoTag: string): [string, string] {
  const colon = repoTag.lastIndexOf(':');
  if (colon > repoTag.lastIndexOf('/')) return [repoTag.slice(0, colon), repoTag.slice(colon + 1)];
  return [repoTag, '<none>'];
}

const formatFlag = {
  long: 'format',
  type: 'string' as const,
  description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template",
};

interface ImageListNode {
  imageId: string;
  repoTags: string[];
  repoDigests: string[];
  created: string | null;
  size: number;
}

export const images: Command = {
  name: 'images',
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  readOnly: true,
  maxArgs: 1,
  flags: [
    {
      long: 'all',
      short: 'a',
      description: 'Show all images (Strata keeps no intermediate images: same as without)',
    },
    { long: 'digests', description: 'Show digests' },
    formatFlag,
    { long: 'no-trunc', description: "Don't truncate output" },
    { long: 'quiet', short: 'q', description: 'Only show image IDs' },
  ],
  async run(ctx, flags, args) {
    const nodes = await allPages<ImageListNode>(
      ctx,
      '$asOf: Position',
      'images(asOf: $asOf',
      'imageId repoTags repoDigests created size',
      { asOf: ctx.asOf ?? null },
    );
    const sorted = nodes
      .map((node, order) => ({ node, order }))
      .sort(
        (a, b) =>
          (Date.parse(b.node.created ?? '') || 0) - (Date.parse(a.node.created ?? '') || 0) ||
          b.order - a.order,
      )
      .map((x) => x.node);
    const noTrunc = bool(flags, 'no-trunc');
    const [wantRepo, wantTag] = args[0] ? splitRepoTag(args[0]) : [undefined, undefined];
    const rows: Record<string, string>[] = [];
    for (const image of sorted) {
      const tags = image.repoTags.length ? image.repoTags : ['<none>:<none>'];
      for (const repoTag of tags) {
        const [repository, tag] = splitRepoTag(repoTag);
        if (
          wantRepo !== undefined &&
          (repository !== wantRepo || (args[0]!.includes(':') && wantTag !== '<none>' && tag !== wantTag))
        )
          continue;
        const digest =
          image.repoDigests.find((d) => d.startsWith(`${repository}@`))?.split('@')[1] ?? '<none>';
        rows.push({
          Containers: 'N/A',
          CreatedAt: goTime(image.created),
          CreatedSince: ago(image.created, ctx.now),
          Digest: digest,
          ID: noTrunc ? image.imageId : shortId(image.imageId),
          Repository: repository,
          SharedSize: 'N/A',
          Size: shortSize(image.size),
          Tag: tag,
          UniqueSize: 'N/A',
          VirtualSize: humanSize(image.size),
        });
      }
    }
    if (bool(flags, 'quiet')) {
      for (const id of new Set(rows.map((r) => r.ID!))) line(ctx, id);
      return 0;
    }
    const columns: Column[] = [
      { field: 'Repository', header: 'REPOSITORY' },
      { field: 'Tag', header: 'TAG' },
      ...(bool(flags, 'digests') ? [{ field: 'Digest', header: 'DIGEST' }] : []),
      { field: 'ID', header: 'IMAGE ID' },
      { field: 'CreatedSince', header: 'CREATED' },
      { field: 'Size', header: 'SIZE' },
    ];
    ctx.out.write(renderList(rows, columns, str(flags, 'format'), { CreatedAt: 'CREATED AT' }));
    return 0;
  },
};

interface HistoryNode {
  imageId: string;
  history: {
    created: string | null;
    createdBy: string;
    size: number;
    comment: string | null;
    emptyLayer: boolean;
  }[];
}

export const history: Command = {
  name: 'history',
  usage: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  readOnly: true,
  minArgs: 1,
  maxArgs: 1,
  flags: [
    formatFlag,
    {
      long: 'human',
      short: 'H',
      description: 'Print sizes and dates in human readable format (default true)',
    },
    { long: 'no-trunc', description: "Don't truncate output" },
    { long: 'quiet', short: 'q', description: 'Only show image IDs' },
  ],
  async run(ctx, flags, args) {
    const image = await getImage<HistoryNode>(
      ctx,
      args[0]!,
      'imageId history { created createdBy size comment emptyLayer }',
    );
    const noTrunc = bool(flags, 'no-trunc');
    const human = flags.human !== false;
    const rows = image.history.map((h, i) => {
      const createdBy = h.createdBy.replaceAll('\t', ' ');
      return {
        Comment: h.comment ?? '',
        CreatedAt: h.created ? rfc3339Nano(h.created).replace(/\.\d+Z$/, 'Z') : '',
        CreatedBy: noTrunc ? createdBy : ellipsis(createdBy, 45),
        CreatedSince: human
          ? ago(h.created, ctx.now)
          : h.created
            ? rfc3339Nano(h.created).replace(/\.\d+Z$/, 'Z')
            : 'N/A',
        ID: i === 0 ? (noTrunc ? image.imageId : shortId(image.imageId)) : '<missing>',
        Size: human ? shortSize(h.size) : String(h.size),
      };
    });
    if (bool(flags, 'quiet')) {
      for (const row of rows) line(ctx, row.ID);
      return 0;
    }
    const columns: Column[] = [
      { field: 'ID', header: 'IMAGE' },
      { field: 'CreatedSince', header: 'CREATED' },
      { field: 'CreatedBy', header: 'CREATED BY' },
      { field: 'Size', header: 'SIZE' },
      { field: 'Comment', header: 'COMMENT' },
    ];
    ctx.out.write(renderList(rows, columns, str(flags, 'format'), { CreatedAt: 'CREATED AT' }));
    return 0;
  },
};

export const tag: Command = {
  name: 'tag',
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  minArgs: 2,
  maxArgs: 2,
  flags: [],
  async run(ctx, _flags, [image, target]) {
    await ctx.api.mutate(
      'tagImage',
      { image: { type: 'String!', value: image }, target: { type: 'String!', value: target } },
      'imageId',
    );
    return 0;
  },
};

export const rmi: Command = {
  name: 'rmi',
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  minArgs: 1,
  flags: [
    { long: 'force', short: 'f', description: 'Force removal of the image' },
    {
      long: 'no-prune',
      description: 'Do not delete untagged parents (Strata keeps no parents: accepted, no effect)',
    },
  ],
  async run(ctx, flags, args) {
    let status = 0;
    for (const ref of args) {
      try {
        const removed = await ctx.api.mutate<{ untagged: string[]; deleted: string[] }>(
          'removeImage',
          { image: { type: 'String!', value: ref }, force: { type: 'Boolean', value: bool(flags, 'force') } },
          'untagged deleted',
        );
        for (const u of removed.untagged) line(ctx, `Untagged: ${u}`);
        for (const d of removed.deleted) line(ctx, `Deleted: ${d}`);
      } catch (error) {
        if (!(error instanceof DaemonError)) throw error;
        errLine(ctx, error.display);
        status = 1;
      }
    }
    return status;
  },
};

/** The contract's PullReport (../shared/contract/core.graphql): what the CLI reads of a pull. */
interface PullReportData {
  layers: { digest: string; status: string }[];
  status: string;
  image: { repoDigests: string[] };
}

interface Progress {
  digest: string;
  status: string;
  current: number;
  total: number;
}

/** jsonmessage's progress bar: `[=====>      ]  1.2MB/4.5MB`. */
export function progressBar(current: number, total: number, width = 50): string {
  if (total <= 0) return humanSize(current);
  const filled = Math.min(width, Math.floor(((current / total) * 100) / (100 / width)));
  const arrow = filled < width ? '>' : '';
  const bar = `[${'='.repeat(filled)}${arrow}${' '.repeat(Math.max(0, width - filled - arrow.length))}] `;
  return `${bar}${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** The first lines docker pull prints before any layer: `Using default tag`, `<tag>: Pulling from <repo>`. */
function pullHeader(ref: string): string[] {
  const parsed = parseReference(ref);
  const lines: string[] = [];
  if (parsed.tag === undefined && parsed.digest === undefined) lines.push('Using default tag: latest');
  lines.push(`${parsed.digest ?? parsed.tag ?? 'latest'}: Pulling from ${parsed.path}`);
  return lines;
}

/** The lines docker pull prints after the layers: `Digest:`, `Status:`, and the full reference. */
function pullFooter(ref: string, report: PullReportData): string[] {
  const parsed = parseReference(ref);
  const repository = familiarName(parsed);
  const digest =
    parsed.digest ?? report.image.repoDigests.find((d) => d.startsWith(`${repository}@`))?.split('@')[1];
  return [
    ...(digest ? [`Digest: ${digest}`] : []),
    `Status: ${report.status}`,
    parsed.digest ? `${parsed.domain}/${parsed.path}@${parsed.digest}` : normalizeReference(ref),
  ];
}

const layerLine = (layer: { digest: string; status: string }) => `${shortId(layer.digest)}: ${layer.status}`;

/**
 * `docker pull`. On a terminal, layer lines are redrawn in place from the `pullProgress`
 * subscription (Downloading [==>  ] 1.2MB/4.5MB) while the pull runs; otherwise (or when the
 * server has no such subscription) the lines of the finished pull are printed, as docker
 * prints them to a pipe.
 */
export async function pullImage(
  ctx: CliContext,
  ref: string,
  options: { platform?: string | undefined; quiet?: boolean; out?: CliContext['out'] } = {},
): Promise<PullReportData> {
  const out = options.out ?? ctx.out;
  const variables = {
    ref: { type: 'String!', value: ref },
    ...(options.platform ? { platform: { type: 'String', value: options.platform } } : {}),
  };
  const selection = 'status layers { digest status } image { repoDigests }';
  if (options.quiet || !ctx.stdoutIsTTY || out !== ctx.out) {
    const report = await ctx.api.mutate<PullReportData>('pullImage', variables, selection);
    const lines = [...pullHeader(ref), ...report.layers.map(layerLine), ...pullFooter(ref, report)];
    if (options.quiet) out.write(`${lines.at(-1)}\n`);
    else for (const l of lines) out.write(`${l}\n`);
    return report;
  }
  const header = pullHeader(ref);
  for (const l of header) out.write(`${l}\n`);
  const order: string[] = [];
  const state = new Map<string, string>();
  let drawn = 0;
  const draw = () => {
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    for (const digest of order) out.write(`\x1b[2K${state.get(digest)}\n`);
    drawn = order.length;
  };
  const stop = new AbortController();
  const watching = (async () => {
    try {
      for await (const data of ctx.api.subscribe<{ pullProgress: Progress }>(
        'subscription($ref: String!) { pullProgress(ref: $ref) { digest status current total } }',
        { ref },
        stop.signal,
      )) {
        const p = data.pullProgress;
        if (!state.has(p.digest)) order.push(p.digest);
        state.set(
          p.digest,
          `${shortId(p.digest)}: ${p.status}${p.status === 'Downloading' ? ` ${progressBar(p.current, p.total)}` : ''}`,
        );
        draw();
      }
    } catch {
      // No progress (an older server, or the stream broke): the final lines still come from the report.
    }
  })();
  try {
    const report = await ctx.api.mutate<PullReportData>('pullImage', variables, selection);
    stop.abort();
    await watching;
    for (const layer of report.layers) {
      if (!state.has(layer.digest)) order.push(layer.digest);
      state.set(layer.digest, layerLine(layer));
    }
    draw();
    for (const l of pullFooter(ref, report)) out.write(`${l}\n`);
    return report;
  } finally {
    stop.abort();
  }
}

export const pull: Command = {
  name: 'pull',
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { long: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
    { long: 'quiet', short: 'q', description: 'Suppress verbose output' },
  ],
  async run(ctx, flags, [ref]) {
    await pullImage(ctx, ref!, { platform: str(flags, 'platform'), quiet: bool(flags, 'quiet') });
    return 0;
  },
};

import { posix } from 'node:path';
import { bool, type CliContext, type Command, errLine, line, str } from '../context.ts';
import { CliError, DaemonError } from '../errors.ts';
import { renderList } from '../format/list.ts';
import { shortId } from '../format/table.ts';
import { ago, shortSize } from '../format/units.ts';
import { getContainer } from '../queries.ts';

interface FileNode {
  path: string;
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkTarget: string | null;
  content?: string | null;
  base64?: string | null;
}

const entryFields = 'path name type mode uid gid size mtime linkTarget';

async function lookup(
  ctx: CliContext,
  ref: string,
  path: string,
  withContent: boolean,
): Promise<FileNode | null> {
  const container = await getContainer<{ file: FileNode | null }>(
    ctx,
    ref,
    `file(path: ${JSON.stringify(path)}) { ${entryFields} ${withContent ? 'content base64' : ''} }`,
  );
  return container.file;
}

/** Follows symlinks inside the container root (at most 40, as the kernel's ELOOP), as `cat` does. */
async function resolveFile(ctx: CliContext, ref: string, path: string): Promise<FileNode | null | 'loop'> {
  let current = posix.resolve('/', path);
  for (let hops = 0; hops <= 40; hops++) {
    const node = await lookup(ctx, ref, current, true);
    if (node?.type !== 'SYMLINK') return node;
    current = posix.resolve(posix.dirname(current), node.linkTarget ?? '');
  }
  return 'loop';
}

const contentOf = (node: FileNode): Uint8Array | string =>
  (node.content ?? null) !== null ? node.content! : Buffer.from(node.base64 ?? '', 'base64');

export const cp: Command = {
  name: 'cp',
  usage: '[OPTIONS] CONTAINER:SRC_PATH -',
  description: "Print a file of a container's filesystem on stdout (docker cp would write a tar)",
  readOnly: true,
  minArgs: 2,
  maxArgs: 2,
  flags: [
    {
      long: 'follow-link',
      short: 'L',
      description: 'Always follow symbol link in SRC_PATH (strata cp always does)',
    },
  ],
  async run(ctx, _flags, [source, dest]) {
    const colon = source!.indexOf(':');
    if (colon <= 0 || dest !== '-') {
      throw new CliError(
        'Error: strata cp copies one file from a container to standard output only: strata cp CONTAINER:SRC_PATH -',
      );
    }
    const ref = source!.slice(0, colon);
    const path = source!.slice(colon + 1);
    const node = await resolveFile(ctx, ref, path);
    if (node === 'loop')
      throw new DaemonError(
        'VALIDATION',
        `Could not find the file ${path} in container ${ref}: too many levels of symbolic links`,
      );
    if (!node) throw new DaemonError('NOT_FOUND', `Could not find the file ${path} in container ${ref}`);
    if (node.type !== 'FILE')
      throw new CliError(
        `Error: ${path} is a ${node.type.toLowerCase().replace('_', ' ')}: strata cp prints the content of one file (docker cp would write a tar archive)`,
      );
    ctx.out.write(contentOf(node));
    return 0;
  },
};

export const cat: Command = {
  name: 'cat',
  usage: 'CONTAINER PATH [PATH...]',
  description: "Print files of a container's filesystem (a read command for strata at)",
  readOnly: true,
  minArgs: 2,
  flags: [],
  async run(ctx, _flags, [ref, ...paths]) {
    let status = 0;
    for (const path of paths) {
      const node = await resolveFile(ctx, ref!, path);
      const problem =
        node === 'loop'
          ? 'Too many levels of symbolic links'
          : !node
            ? 'No such file or directory'
            : node.type === 'DIRECTORY'
              ? 'Is a directory'
              : undefined;
      if (problem || node === 'loop' || !node) {
        errLine(ctx, `cat: ${path}: ${problem}`);
        status = 1;
        continue;
      }
      ctx.out.write(contentOf(node));
    }
    return status;
  },
};

const typeLetter: Record<string, string> = {
  DIRECTORY: 'd',
  SYMLINK: 'l',
  CHAR_DEVICE: 'c',
  BLOCK_DEVICE: 'b',
  FIFO: 'p',
  SOCKET: 's',
  FILE: '-',
};

/** `drwxr-xr-x`, with setuid/setgid/sticky as ls shows them. */
export function modeString(type: string, mode: number): string {
  const bits = ['r', 'w', 'x', 'r', 'w', 'x', 'r', 'w', 'x'].map((c, i) => (mode & (1 << (8 - i)) ? c : '-'));
  const special = (index: number, flag: number, set: string, unset: string) => {
    if (mode & flag) bits[index] = bits[index] === 'x' ? set : unset;
  };
  special(2, 0o4000, 's', 'S');
  special(5, 0o2000, 's', 'S');
  special(8, 0o1000, 't', 'T');
  return `${typeLetter[type] ?? '?'}${bits.join('')}`;
}

const date = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');

export function longListing(entries: readonly FileNode[]): string {
  const cols = entries.map((e) => [
    modeString(e.type, e.mode),
    String(e.uid),
    String(e.gid),
    String(e.size),
    date(e.mtime),
    e.linkTarget !== null && e.type === 'SYMLINK' ? `${e.name} -> ${e.linkTarget}` : e.name,
  ]);
  const widths = [1, 2, 3].map((i) => Math.max(0, ...cols.map((c) => c[i]!.length)));
  return cols
    .map(
      (c) =>
        `${c[0]} ${c[1]!.padStart(widths[0]!)} ${c[2]!.padStart(widths[1]!)} ${c[3]!.padStart(widths[2]!)} ${c[4]} ${c[5]}\n`,
    )
    .join('');
}

export const ls: Command = {
  name: 'ls',
  usage: 'CONTAINER [PATH]',
  description: "List a directory of a container's filesystem (mode uid gid size mtime name, as ls -lan)",
  readOnly: true,
  minArgs: 1,
  maxArgs: 2,
  flags: [{ long: 'names', short: '1', description: 'Only names, one per line' }],
  async run(ctx, flags, [ref, path = '/']) {
    const node = await lookup(ctx, ref!, path, false);
    if (!node) {
      errLine(ctx, `ls: cannot access '${path}': No such file or directory`);
      return 2;
    }
    const entries =
      node.type === 'DIRECTORY'
        ? (
            await getContainer<{ directory: FileNode[] }>(
              ctx,
              ref!,
              `directory(path: ${JSON.stringify(path)}) { ${entryFields} }`,
            )
          ).directory
        : [{ ...node, name: path }];
    if (bool(flags, 'names')) for (const e of entries) line(ctx, e.name);
    else ctx.out.write(longListing(entries));
    return 0;
  },
};

interface BlameData {
  image: {
    layers: { index: number; layer: { diffId: string } }[];
    history: { createdBy: string; emptyLayer: boolean }[];
  };
  blame: {
    position: number;
    until: number | null;
    kind: string;
    operation: string | null;
    command: string | null;
    layer: { diffId: string } | null;
    session: { id: string } | null;
    entry: { type: string; size: number } | null;
  }[];
}

export const blame: Command = {
  name: 'blame',
  usage: 'CONTAINER PATH',
  description:
    'Show every version of a path: the image layers that put it there, then each change of the container, with its command',
  readOnly: true,
  minArgs: 2,
  maxArgs: 2,
  flags: [
    {
      long: 'format',
      type: 'string',
      description:
        "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template",
    },
  ],
  async run(ctx, flags, [ref, path]) {
    const data = await getContainer<BlameData>(
      ctx,
      ref!,
      `image { layers { index layer { diffId } } history { createdBy emptyLayer } } blame(path: ${JSON.stringify(path)}) { position until kind operation command layer { diffId } session { id } entry { type size } }`,
    );
    if (data.blame.length === 0)
      throw new DaemonError('NOT_FOUND', `Could not find the file ${path} in container ${ref}`);
    const times = (
      await ctx.api.request<{ recordedAt: (string | null)[] }>(
        'query($p: [Position!]!) { recordedAt(positions: $p) }',
        { p: data.blame.map((v) => v.position) },
      )
    ).recordedAt;
    const layerIndex = new Map(data.image.layers.map((l) => [l.layer.diffId, l.index]));
    const createdBy = data.image.history
      .filter((h) => !h.emptyLayer)
      .reverse()
      .map((h) => h.createdBy);
    const rows = data.blame.map((v, i) => {
      const index = v.layer ? layerIndex.get(v.layer.diffId) : undefined;
      const operation = v.layer
        ? v.kind === 'whiteout'
          ? 'delete'
          : v.kind === 'opaque'
            ? 'opaque'
            : 'layer'
        : (v.operation ?? (v.kind === 'whiteout' ? 'delete' : v.kind));
      const source = v.layer
        ? `layer ${index ?? '?'} ${shortId(v.layer.diffId)}${index !== undefined && createdBy[index] ? `: ${createdBy[index]}` : ''}`
        : v.command !== null
          ? `$ ${v.command}`
          : '(written through the API)';
      return {
        Position: String(v.position),
        Until: v.until === null ? '' : String(v.until),
        CreatedSince: times[i] ? ago(times[i], ctx.now) : 'N/A',
        CreatedAt: times[i] ?? '',
        Operation: operation,
        Size: v.entry && v.entry.type !== 'DIRECTORY' ? shortSize(v.entry.size) : '-',
        Session: v.session?.id ?? '',
        Source: source,
      };
    });
    ctx.out.write(
      renderList(
        rows,
        [
          { field: 'Position', header: 'POSITION' },
          { field: 'CreatedSince', header: 'CREATED' },
          { field: 'Operation', header: 'OPERATION' },
          { field: 'Size', header: 'SIZE' },
          { field: 'Source', header: 'SOURCE' },
        ],
        str(flags, 'format'),
      ),
    );
    return 0;
  },
};

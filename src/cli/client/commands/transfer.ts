import { resolve } from 'node:path';
import { type Command, line, str } from '../context.ts';
import { CliError } from '../errors.ts';

/**
 * `save`, `load`, `push`. The archive paths are files of the machine the Strata server runs on
 * (resolved against this shell's directory, so they mean the same file when the server is local,
 * as `docker save -o` does with a local daemon); reading and writing them needs an `admin` token.
 */
export const save: Command = {
  name: 'save',
  usage: '[OPTIONS] IMAGE',
  description: 'Save an image to a tar archive (docker save format) or an OCI layout directory',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    {
      long: 'output',
      short: 'o',
      type: 'string',
      description: 'Write to a file (required: Strata writes no archive to a terminal or pipe)',
    },
    {
      long: 'format',
      type: 'string',
      description: "'docker-archive' (default) or 'oci' (an OCI image layout directory)",
    },
  ],
  async run(ctx, flags, [image]) {
    const output = str(flags, 'output');
    if (!output)
      throw new CliError(
        'Error: "strata save" needs -o FILE (the archive is written by the server, not streamed)',
      );
    await ctx.api.mutate(
      'saveImage',
      {
        image: { type: 'String!', value: image },
        path: { type: 'String!', value: resolve(output) },
        format: { type: 'String', value: str(flags, 'format') ?? 'docker-archive' },
      },
      'imageId',
    );
    return 0;
  },
};

export const load: Command = {
  name: 'load',
  usage: '[OPTIONS]',
  description: 'Load an image from a tar archive or an OCI layout directory',
  maxArgs: 0,
  flags: [
    {
      long: 'input',
      short: 'i',
      type: 'string',
      description: 'Read from a tar archive file or OCI layout directory',
    },
  ],
  async run(ctx, flags) {
    const input = str(flags, 'input');
    if (!input) throw new CliError('Error: "strata load" needs -i FILE');
    const loaded = await ctx.api.mutate<{ lines: string[] }>(
      'loadImage',
      { path: { type: 'String!', value: resolve(input) } },
      'lines',
    );
    for (const text of loaded.lines) line(ctx, text);
    return 0;
  },
};

export const push: Command = {
  name: 'push',
  usage: 'NAME[:TAG]',
  description: 'Upload an image to a registry',
  minArgs: 1,
  maxArgs: 1,
  flags: [],
  async run(ctx, _flags, [image]) {
    const pushed = await ctx.api.mutate<{ lines: string[] }>(
      'pushImage',
      { image: { type: 'String!', value: image } },
      'lines',
    );
    for (const text of pushed.lines) line(ctx, text);
    return 0;
  },
};

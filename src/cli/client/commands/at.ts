import type { Command } from '../context.ts';
import { CliError } from '../errors.ts';
import { parsePosition } from './system.ts';

/**
 * `strata at POSITION -- COMMAND [ARG...]`: runs a read command as of a past position (every
 * query gets `asOf`; "2 minutes ago" counts from that position's time). POSITION may also be a
 * time or a duration ago (`10m`), turned into the position current then.
 */
export const at: Command = {
  name: 'at',
  usage: 'POSITION|TIME -- COMMAND [ARG...]',
  description:
    'Run a read command (ls, cat, cp, diff, ps, images, inspect, history, system df, blame, replay) as of a past position',
  minArgs: 2,
  interspersed: false,
  flags: [],
  async run(ctx, _flags, [positionText, ...rest]) {
    const argv = rest[0] === '--' ? rest.slice(1) : rest;
    const { findCommand, dispatch } = await import('../run.ts');
    const found = findCommand(argv);
    if (!found)
      throw new CliError(`strata at: '${argv[0] ?? ''}' is not a strata command.\nSee 'strata at --help'`);
    if (!found.command.readOnly)
      throw new CliError(
        `Error: "strata at" runs read commands only (ls, cat, cp, diff, ps, images, inspect, history, system df, blame, replay), not "${found.command.name}"`,
      );
    const position = await parsePosition(ctx, positionText!, 'position');
    const { head, recordedAt } = await ctx.api.request<{ head: number; recordedAt: (string | null)[] }>(
      'query($p: [Position!]!) { head recordedAt(positions: $p) }',
      { p: [position] },
    );
    if (position > head)
      throw new CliError(`Error: position ${position} is in the future: the newest position is ${head}`);
    const time = recordedAt[0];
    return dispatch(
      { ...ctx, asOf: position, now: time ? Date.parse(time) : ctx.now },
      found.command,
      found.rest,
    );
  },
};

import { apiOptionsFromEnv, StrataApi } from './api.ts';
import { flagUsage, parseArgs } from './args.ts';
import { at } from './commands/at.ts';
import { commit, create, diff, pause, ps, restart, rm, stop, unpause } from './commands/containers.ts';
import { blame, cat, cp, ls } from './commands/files.ts';
import { history, images, pull, rmi, tag } from './commands/images.ts';
import { inspect } from './commands/inspect.ts';
import { replay } from './commands/replay.ts';
import { exec, run, start } from './commands/run.ts';
import { df, events, version } from './commands/system.ts';
import { load, push, save } from './commands/transfer.ts';
import type { CliContext, Command } from './context.ts';
import { CliError, DaemonError } from './errors.ts';

export const commands: Command[] = [
  run,
  exec,
  ps,
  images,
  pull,
  create,
  start,
  stop,
  restart,
  pause,
  unpause,
  rm,
  rmi,
  tag,
  commit,
  save,
  load,
  push,
  diff,
  history,
  inspect,
  cp,
  df,
  events,
  version,
  replay,
  blame,
  at,
  ls,
  cat,
];

const byName = new Map(commands.map((c) => [c.name, c]));
byName.set('df', { ...df, name: 'df' });

/** `strata rm` → the rm command; `strata system df` → df (two words); undefined when unknown. */
export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  const [first, second, ...rest] = argv;
  if (first === undefined) return undefined;
  if (first === 'system' && second !== undefined && byName.has(`system ${second}`))
    return { command: byName.get(`system ${second}`)!, rest };
  const command = byName.get(first);
  return command ? { command, rest: argv.slice(1) } : undefined;
}

export function commandHelp(command: Command): string {
  const usage = `Usage:  strata ${command.name}${command.usage ? ` ${command.usage}` : ''}\n\n${command.description}\n`;
  return command.flags.length ? `${usage}\nOptions:\n${flagUsage(command.flags)}\n` : usage;
}

const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;

function checkArity(command: Command, args: readonly string[]): void {
  const min = command.minArgs ?? 0;
  const max = command.maxArgs ?? Number.POSITIVE_INFINITY;
  if (args.length >= min && args.length <= max) return;
  const rule =
    max === 0
      ? 'accepts no arguments'
      : min === max
        ? `requires exactly ${plural(min)}`
        : max === Number.POSITIVE_INFINITY
          ? `requires at least ${plural(min)}`
          : args.length < min
            ? `requires at least ${min} and at most ${plural(max)}`
            : `requires at least ${min} and at most ${plural(max)}`;
  throw new CliError(
    `"strata ${command.name}" ${rule}.\nSee 'strata ${command.name} --help'.\n\nUsage:  strata ${command.name} ${command.usage}\n\n${command.description}`,
  );
}

/** Parses a command's flags and arguments (docker's rules) and runs it. */
export async function dispatch(ctx: CliContext, command: Command, argv: string[]): Promise<number> {
  if (argv.includes('--help') && (command.interspersed !== false || argv[0] === '--help')) {
    ctx.out.write(commandHelp(command));
    return 0;
  }
  const { flags, args } = parseArgs(command.name, command.flags, argv, command.interspersed !== false);
  checkArity(command, args);
  return command.run(ctx, flags, args);
}

function mainHelp(): string {
  const row = (c: Command) => `  ${c.name.padEnd(11)} ${c.description}`;
  const strataOnly = new Set(['replay', 'blame', 'at', 'ls', 'cat']);
  return [
    'Usage:  strata COMMAND',
    '',
    'A docker-like client for a Strata server: images and containers as layered, event-sourced filesystems, with time travel.',
    'The server is STRATA_URL (default http://127.0.0.1:4000/graphql); STRATA_TOKEN is sent as a bearer token.',
    '',
    'Docker commands:',
    ...commands.filter((c) => !strataOnly.has(c.name)).map(row),
    '',
    'Strata commands:',
    ...commands.filter((c) => strataOnly.has(c.name)).map(row),
    '',
    'Server commands:',
    '  serve       Start the Strata server (GraphQL API, playground); embedded PGlite, or PostgreSQL with DATABASE_URL',
    '  migrate     Apply database migrations',
    '',
    "Run 'strata COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

export function createContext(overrides: Partial<CliContext> = {}): CliContext {
  return {
    api: new StrataApi(apiOptionsFromEnv(process.env)),
    out: process.stdout,
    err: process.stderr,
    stdin: process.stdin,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    env: process.env,
    asOf: undefined,
    now: Date.now(),
    ...overrides,
  };
}

/** Prints a failure as the docker CLI does and gives its exit status. */
export function reportError(ctx: CliContext, error: unknown): number {
  if (error instanceof DaemonError) {
    ctx.err.write(`${error.display}\n`);
    return 1;
  }
  if (error instanceof CliError) {
    ctx.err.write(`${error.message}\n`);
    return error.exitCode;
  }
  ctx.err.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

/** The docker-like client commands: `strata <command> [args]`. */
export async function runClientCommand(command: string | undefined, args: string[]): Promise<number> {
  const ctx = createContext();
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    ctx.out.write(mainHelp());
    return 0;
  }
  if (command === '--version' || command === '-v') return runClientCommand('version', []);
  const found = findCommand([command, ...args]);
  if (!found) {
    ctx.err.write(
      `strata: '${[command, ...(command === 'system' && args[0] ? [args[0]] : [])].join(' ')}' is not a strata command.\nSee 'strata --help'\n`,
    );
    return 1;
  }
  try {
    return await dispatch(ctx, found.command, found.rest);
  } catch (error) {
    return reportError(ctx, error);
  }
}

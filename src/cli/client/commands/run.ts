import { familiarReference, normalizeReference } from '../../../domain/image/reference.ts';
import { bool, type CliContext, type Command, errLine, line, str } from '../context.ts';
import { CliError, DaemonError, runFailure } from '../errors.ts';
import { commandLine, isInteractiveShell } from '../format/shellQuote.ts';
import { getContainer, getImage } from '../queries.ts';
import { attachSession, execLine, execShell, printOutput, readStdin, runOnce } from '../session.ts';
import { createContainer, eachContainer, lifecycle, removeContainer } from './containers.ts';
import { pullImage } from './images.ts';

interface ImageConfig {
  config?: { config?: { WorkingDir?: string } } | null;
}

const workingDirOf = (image: ImageConfig) => image.config?.config?.WorkingDir || undefined;

/** `ubuntu` → `ubuntu:latest`, as docker names an image it cannot find. */
function familiar(ref: string): string {
  try {
    return familiarReference(normalizeReference(ref));
  } catch {
    return ref;
  }
}

async function findImage(ctx: CliContext, ref: string): Promise<ImageConfig | undefined> {
  try {
    return await getImage<ImageConfig>(ctx, ref, 'imageId config');
  } catch (error) {
    if (error instanceof DaemonError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
}

export const run: Command = {
  name: 'run',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  minArgs: 1,
  interspersed: false,
  flags: [
    { long: 'detach', short: 'd', description: 'Run container in background and print container ID' },
    {
      long: 'interactive',
      short: 'i',
      description: 'Keep STDIN open: read command lines from it (a terminal or a pipe)',
    },
    { long: 'name', type: 'string', description: 'Assign a name to the container' },
    { long: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
    {
      long: 'pull',
      type: 'string',
      description: 'Pull image before running ("always", "missing", "never") (default "missing")',
    },
    { long: 'rm', description: 'Automatically remove the container when it exits' },
    {
      long: 'tty',
      short: 't',
      description: 'Allocate a pseudo-TTY (the prompt shows when stdin is a terminal)',
    },
  ],
  async run(ctx, flags, [imageRef, ...cmd]) {
    const policy = str(flags, 'pull') ?? 'missing';
    if (!['always', 'missing', 'never'].includes(policy))
      throw runFailure(
        'run',
        new Error(`invalid pull option: '${policy}': must be one of "always", "missing" or "never"`),
      );
    let image: ImageConfig | undefined;
    try {
      image = policy === 'always' ? undefined : await findImage(ctx, imageRef!);
      if (!image) {
        if (policy === 'never') throw new DaemonError('NOT_FOUND', `No such image: ${familiar(imageRef!)}`);
        if (policy === 'missing') errLine(ctx, `Unable to find image '${familiar(imageRef!)}' locally`);
        await pullImage(ctx, imageRef!, { platform: str(flags, 'platform'), out: ctx.err });
        image = await findImage(ctx, imageRef!);
      }
    } catch (error) {
      throw runFailure('run', error);
    }
    let created: { containerId: string; name: string };
    try {
      created = await createContainer(ctx, imageRef!, str(flags, 'name'), cmd);
      await lifecycle(ctx, 'startContainer', created.containerId);
    } catch (error) {
      throw runFailure('run', error);
    }
    if (bool(flags, 'detach')) {
      line(ctx, created.containerId);
      return 0;
    }
    let status: number;
    if (bool(flags, 'interactive') && (cmd.length === 0 || isInteractiveShell(cmd))) {
      status = await attachSession(ctx, {
        containerId: created.containerId,
        workingDir: image ? workingDirOf(image) : undefined,
      });
    } else if (cmd.length > 0) {
      // `run -i IMAGE CMD < file`: the command reads the piped data.
      const stdin = bool(flags, 'interactive') && !ctx.stdinIsTTY ? await readStdin(ctx) : undefined;
      status = await runOnce(ctx, created.containerId, commandLine(cmd), stdin);
    } else {
      // No command and no input: Strata has no process to wait for; the container stays running.
      return 0;
    }
    if (bool(flags, 'rm')) await removeContainer(ctx, created.containerId, true);
    return status;
  },
};

export const start: Command = {
  name: 'start',
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  minArgs: 1,
  flags: [
    {
      long: 'attach',
      short: 'a',
      description: "Attach STDOUT/STDERR and forward signals (with -i: the container's shell)",
    },
    { long: 'interactive', short: 'i', description: "Attach container's STDIN: read command lines from it" },
  ],
  async run(ctx, flags, args) {
    const attach = bool(flags, 'attach') || bool(flags, 'interactive');
    if (attach) {
      if (args.length > 1) throw new CliError('you cannot start and attach multiple containers at once');
      const ref = args[0]!;
      await lifecycle(ctx, 'startContainer', ref);
      if (!bool(flags, 'interactive')) return 0;
      const container = await getContainer<{ containerId: string; image: ImageConfig }>(
        ctx,
        ref,
        'containerId image { config }',
      );
      return attachSession(ctx, {
        containerId: container.containerId,
        workingDir: workingDirOf(container.image),
      });
    }
    const failed = await eachContainer(ctx, args, (ref) => lifecycle(ctx, 'startContainer', ref));
    if (failed.length) throw new CliError(`Error: failed to start containers: ${failed.join(', ')}`);
    return 0;
  },
};

export const exec: Command = {
  name: 'exec',
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  minArgs: 2,
  interspersed: false,
  flags: [
    {
      long: 'detach',
      short: 'd',
      description: 'Detached mode: run command in the background (prints nothing)',
    },
    {
      long: 'interactive',
      short: 'i',
      description:
        'Keep STDIN open: a shell as COMMAND reads its commands from it (a script when piped); another COMMAND reads it as its input',
    },
    {
      long: 'tty',
      short: 't',
      description: 'Allocate a pseudo-TTY (the prompt shows when stdin is a terminal)',
    },
  ],
  async run(ctx, flags, [ref, ...cmd]) {
    const piped = bool(flags, 'interactive') && !bool(flags, 'tty') && !ctx.stdinIsTTY;
    if (piped && isInteractiveShell(cmd)) {
      // `exec -i c sh < script`: the shell reads the whole script; it runs as one command line.
      const script = await readStdin(ctx);
      if (script.trim() === '') return 0;
      const result = await execLine(ctx, ref!, script);
      printOutput(ctx, result);
      return result.exitCode;
    }
    if (bool(flags, 'interactive') && isInteractiveShell(cmd)) {
      const container = await getContainer<{ containerId: string; state: string; image: ImageConfig }>(
        ctx,
        ref!,
        'containerId state image { config }',
      );
      if (container.state !== 'RUNNING')
        throw new DaemonError('CONFLICT', `Container ${container.containerId} is not running`);
      return execShell(ctx, {
        containerId: container.containerId,
        workingDir: workingDirOf(container.image),
      });
    }
    // `exec -i c sh -c 'cat > f' < file`: the command reads the piped data as its stdin.
    const stdin = piped ? await readStdin(ctx) : undefined;
    const result = await execLine(ctx, ref!, commandLine(cmd), undefined, stdin);
    if (bool(flags, 'detach')) return 0;
    printOutput(ctx, result);
    return result.exitCode;
  },
};

import { randomUUID } from 'node:crypto';
import type { ContainerFsCommand } from '../domain/container/commands.ts';
import type { ContainerEvent } from '../domain/container/events.ts';
import { assertExecAllowed } from '../domain/container/guards.ts';
import { evolveContainer } from '../domain/container/state.ts';
import type { Digest } from '../domain/digest.ts';
import { conflictError } from '../domain/errors.ts';
import { decideSession } from '../domain/session/decide.ts';
import {
  inlineOutputLimit,
  type ShellState,
  type StepChange,
  sessionStream,
} from '../domain/session/events.ts';
import { evolveSession, initialSessionState, type SessionShell } from '../domain/session/state.ts';
import { containerStream } from '../domain/streams.ts';
import { type ExecOptions, type FsOperation, runCommand } from '../exec/index.ts';
import { imagesEverByIds } from '../projections/queries/images.ts';
import { type ContainerTarget, decideFs, type Lower, targetContainer } from './containerFs.ts';
import { loadContainer } from './containers.ts';
import { type AppContext, commandMetadata } from './context.ts';
import type { AppendWrite } from './ports.ts';
import { loadSession } from './sessions.ts';

export interface ExecResultView {
  exitCode: number;
  stdout: string;
  stderr: string;
  sessionId: string;
  step: number;
  position: number;
  changes: StepChange[];
  limitHit?: string;
  /** The shell's working directory after the command: where the session's next line starts (the prompt's). */
  workingDir: string;
  /**
   * A line of a session whose shell itself ran `exit` (`cd /tmp && exit 3`) or was ended by
   * `set -e`: the session ends with `exitCode` (the client ends it, as for a bare `exit`).
   */
  exited: boolean;
}

/**
 * `docker exec CONTAINER sh -c COMMAND` (or one line typed in an attached session): runs the
 * command line with a real bash interpreter over the container's merged view, then records, in
 * ONE append, the file changes it made (through the container decider: copy-up, whiteouts,
 * opaque directories) and the step (command, exit code, output, changes). A command that fails
 * midway keeps the writes made before, as a shell would; a crash before the append records nothing.
 */
export async function execInContainer(
  app: AppContext,
  ref: string,
  command: string,
  options: {
    sessionId?: string | undefined;
    limits?: ExecOptions['limits'];
    signal?: AbortSignal;
    /** Standard input of the command line (`exec -i`); not recorded, only what the command does with it. */
    stdin?: string | undefined;
  } = {},
): Promise<ExecResultView> {
  const target = await targetContainer(app, ref);
  const containerId = target.row.container_id;
  const loaded = await loadContainer(app, containerId);
  assertExecAllowed(loaded.state, ref);

  const session = options.sessionId ? await loadSession(app, options.sessionId) : undefined;
  if (session && (session.state.status === 'absent' || session.state.containerId !== containerId)) {
    throw conflictError(`session ${options.sessionId} does not belong to container ${ref}`);
  }
  const image = (await imagesEverByIds(app.db, [target.row.image_id])).get(target.row.image_id);
  const runConfig = (image?.config as { config?: { Env?: string[]; WorkingDir?: string } } | undefined)
    ?.config;
  // Defined exactly when a session is given (an absent one was refused above).
  const sessionNow = session && session.state.status !== 'absent' ? session.state : undefined;
  // The next line of an open session runs in the shell its previous line left; else a fresh shell.
  const shell = sessionNow ? await shellOf(app, sessionNow.shell) : undefined;
  const result = await runCommand(
    {
      lookup: async (path) => (await target.view.lookup(path))?.node ?? null,
      list: async (dir) => (await target.view.list(dir)).map((e) => e.node),
      read: (node) => app.blobs.readAll(node.digest as Digest),
    },
    command,
    {
      containerId,
      ...(runConfig?.Env ? { env: runConfig.Env } : {}),
      ...(runConfig?.WorkingDir ? { workingDir: runConfig.WorkingDir } : {}),
      ...(shell ? { shell } : {}),
      // `$?` carries over between the lines of a session, as in bash.
      ...(sessionNow ? { interactive: true, lastExitCode: sessionNow.lastExitCode } : {}),
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );

  const before = new Map<string, boolean>();
  const existedBefore = async (path: string) => {
    if (!before.has(path)) before.set(path, (await target.view.lookup(path)) !== null);
    return before.get(path)!;
  };
  let state = loaded.state;
  const events: ContainerEvent[] = [];
  for (const operation of result.operations) {
    const decided = await decideOperation(app, target, state, operation);
    for (const event of decided) {
      const path =
        event.type === 'ContainerPathWritten' || event.type === 'ContainerPathRemoved'
          ? event.data.path
          : undefined;
      if (path) await existedBefore(path);
      state = evolveContainer(state, event);
    }
    events.push(...decided);
  }
  const changes = await stepChanges(events, existedBefore);

  const stdout = await boundedOutput(app, result.stdout);
  const stderr = await boundedOutput(app, result.stderr);
  const sessionId = options.sessionId ?? randomUUID();
  const now = app.now();
  let sessionState = session?.state ?? initialSessionState();
  const sessionEvents = [];
  if (!session) {
    const started = decideSession(
      { type: 'StartSession', data: { sessionId, containerId, interactive: false, now } },
      sessionState,
    );
    sessionEvents.push(...started);
    sessionState = started.reduce(evolveSession, sessionState);
  }
  const shellAfter = await recordedShell(app, result.shell);
  const step = decideSession(
    {
      type: 'RecordStep',
      data: {
        command,
        exitCode: result.exitCode,
        stdout: stdout.inline,
        stderr: stderr.inline,
        ...(stdout.digest ? { stdoutDigest: stdout.digest } : {}),
        ...(stderr.digest ? { stderrDigest: stderr.digest } : {}),
        changes,
        ...(result.limitHit ? { limitHit: result.limitHit.message } : {}),
        ...shellAfter,
        now,
      },
    },
    sessionState,
  );
  sessionEvents.push(...step);
  if (!session)
    sessionEvents.push({ type: 'SessionEnded' as const, data: { exitCode: result.exitCode, endedAt: now } });
  const writes: AppendWrite[] = [];
  if (events.length > 0)
    writes.push({ stream: containerStream(containerId), events, expectedVersion: loaded.expectedVersion });
  writes.push({
    stream: sessionStream(sessionId),
    events: sessionEvents,
    expectedVersion: session?.expectedVersion ?? 'no_stream',
  });
  await app.log.append(writes, commandMetadata({ sessionId, command }));
  const recorded = await app.db
    .selectFrom('session_steps')
    .select(['idx', 'position'])
    .where('session_id', '=', sessionId)
    .orderBy('idx', 'desc')
    .executeTakeFirstOrThrow();
  return {
    exitCode: result.exitCode,
    stdout: result.stdout,
    stderr: result.stderr,
    sessionId,
    step: recorded.idx,
    position: Number(recorded.position),
    changes,
    ...(result.limitHit ? { limitHit: result.limitHit.message } : {}),
    workingDir: result.shell.cwd,
    exited: result.exited === true,
  };
}

/** The shell state a session's next step starts from (read back from the content store when it was large). */
async function shellOf(app: AppContext, shell: SessionShell | undefined): Promise<ShellState | undefined> {
  if (!shell) return undefined;
  if ('state' in shell) return shell.state;
  return JSON.parse(new TextDecoder().decode(await app.blobs.readAll(shell.digest))) as ShellState;
}

/** A step's shell state for its event: inline, or by digest when its JSON is larger than the inline output limit. */
async function recordedShell(
  app: AppContext,
  shell: ShellState,
): Promise<{ shell: ShellState } | { shellDigest: Digest }> {
  const digest = await storedWhenLarge(app, new TextEncoder().encode(JSON.stringify(shell)));
  return digest ? { shellDigest: digest } : { shell };
}

/** One shell file operation through the container decider (content goes to the content store first). */
async function decideOperation(
  app: AppContext,
  target: ContainerTarget,
  state: Parameters<typeof decideFs>[1],
  operation: FsOperation,
) {
  const base = { containerId: target.row.container_id, now: app.now() };
  /** The command of `type` with `fields`, against the lower layer the decider reads. */
  const command =
    <T extends ContainerFsCommand['type']>(
      type: T,
      fields: Omit<Extract<ContainerFsCommand, { type: T }>['data'], keyof typeof base | keyof Lower>,
    ) =>
    (lower: Lower) =>
      ({ type, data: { ...base, ...lower, ...fields } }) as unknown as ContainerFsCommand;
  const build = await (async () => {
    switch (operation.op) {
      case 'writeFile': {
        const stored = await app.blobs.put(operation.content);
        return command('WriteFile', {
          path: operation.path,
          digest: stored.digest,
          size: stored.size,
          append: false,
          createParents: true,
          ...(operation.mode !== undefined ? { mode: operation.mode } : {}),
        });
      }
      case 'mkdir':
        return command('MakeDirectory', { path: operation.path, parents: false, mode: operation.mode });
      case 'symlink':
        return command('CreateSymlink', { path: operation.path, target: operation.target });
      case 'hardlink':
        return command('CreateHardlink', { path: operation.path, target: operation.target });
      case 'chmod':
        return command('ChangeMode', { path: operation.path, mode: operation.mode });
      case 'chown':
        return command('ChangeOwner', { path: operation.path, uid: operation.uid, gid: operation.gid });
      case 'rename':
        return command('RenamePath', { from: operation.from, to: operation.to });
      case 'remove':
        return command('RemovePath', { path: operation.path, recursive: operation.recursive });
      case 'utimes':
        // Strata keeps no separate mtime event: `touch` of an existing file changes nothing recorded.
        return undefined;
    }
  })();
  return build ? decideFs(target, state, build) : [];
}

/** The step's changes: A for a path that did not exist before the command, C for one that did, D for one removed. */
async function stepChanges(
  events: readonly ContainerEvent[],
  existedBefore: (path: string) => Promise<boolean>,
): Promise<StepChange[]> {
  const changes = new Map<string, StepChange['kind']>();
  for (const event of events) {
    if (event.type !== 'ContainerPathWritten' && event.type !== 'ContainerPathRemoved') continue;
    const { path } = event.data;
    const existed = await existedBefore(path);
    if (event.type === 'ContainerPathWritten') changes.set(path, existed ? 'C' : 'A');
    else if (existed) changes.set(path, 'D');
    else changes.delete(path);
  }
  return [...changes]
    .map(([path, kind]) => ({ kind, path }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function boundedOutput(app: AppContext, text: string): Promise<{ inline: string; digest?: Digest }> {
  const bytes = new TextEncoder().encode(text);
  const digest = await storedWhenLarge(app, bytes);
  if (!digest) return { inline: text };
  return { inline: new TextDecoder().decode(bytes.subarray(0, inlineOutputLimit)), digest };
}

/** The digest of `bytes` put in the content store when they are over the inline limit of a step's event. */
async function storedWhenLarge(app: AppContext, bytes: Uint8Array): Promise<Digest | undefined> {
  if (bytes.length <= inlineOutputLimit) return undefined;
  return (await app.blobs.put(bytes)).digest;
}

import { type ExecResultView, execInContainer } from '../../app/exec.ts';
import { endSession, startSession } from '../../app/sessions.ts';
import { builder } from '../builder.ts';
import { mutationField } from '../mutation.ts';
import { SessionRef } from './refs.ts';
import { SessionStepRef } from './session.ts';

const ExecOutputRef = builder.objectRef<ExecResultView>('ExecOutput').implement({
  description: 'What a command printed and returned; its step holds the position and the changes it made.',
  fields: (t) => ({
    exitCode: t.exposeInt('exitCode'),
    stdout: t.exposeString('stdout'),
    stderr: t.exposeString('stderr'),
    workingDir: t.exposeString('workingDir', {
      description:
        "The shell's working directory after the command: where the session's next line runs (its prompt's).",
    }),
    exited: t.exposeBoolean('exited', {
      description:
        "True when the line's own shell ran `exit` (anywhere in it: `cd /tmp && exit 3`) or `set -e` ended it, in a session: the shell is gone and the session should end with exitCode, as after a bare `exit`. An `exit` in a subshell, `bash -c` or a pipeline does not.",
    }),
    limitHit: t.exposeString('limitHit', {
      nullable: true,
      description: 'The resource limit that stopped the command, if one did (exit code 137).',
    }),
    session: t.field({ type: SessionRef, resolve: (r) => ({ sessionId: r.sessionId }) }),
    step: t.field({
      type: SessionStepRef,
      resolve: async (r, _a, ctx) =>
        ctx.app.db
          .selectFrom('session_steps')
          .selectAll()
          .where('session_id', '=', r.sessionId)
          .where('idx', '=', r.step)
          .executeTakeFirstOrThrow(),
    }),
  }),
});

mutationField('exec', {
  type: ExecOutputRef,
  description:
    'Runs a shell command line in a running container (a real bash interpreter over its merged filesystem); its file changes and output are events. Without `session`, it is a one-step session of its own, like `docker exec`.',
  args: (arg) => ({
    container: arg.string({ required: true }),
    command: arg.string({ required: true }),
    session: arg.id(),
    stdin: arg.string({
      description:
        'Standard input of the command line (`exec -i`). Not recorded; what the command writes is.',
    }),
  }),
  resolve: ({ container, command, session, stdin }, ctx) =>
    execInContainer(ctx.app, container, command, {
      ...(session ? { sessionId: String(session) } : {}),
      ...(stdin != null ? { stdin } : {}),
      signal: ctx.signal,
    }),
});

mutationField('startSession', {
  type: SessionRef,
  description:
    "Opens a shell in a running container: pass its id to `exec` for each line; the lines share the shell's state (working directory, variables), which starts fresh from the image config. Attached (`run -it`, `start -ai`; the default), the shell is the container's main process: ending it stops the container. Not attached (`exec -it CONTAINER bash`), ending it leaves the container running.",
  args: (arg) => ({
    container: arg.string({ required: true }),
    attach: arg.boolean({ defaultValue: true }),
  }),
  resolve: async ({ container, attach }, ctx) => ({
    sessionId: await startSession(ctx.app, container, attach ?? true),
  }),
});

mutationField('endSession', {
  type: SessionRef,
  description:
    '`exit N` or Ctrl-D in an attached shell: the session ends and, as in Docker, the container stops with that exit code.',
  args: (arg) => ({ session: arg.id({ required: true }), exitCode: arg.int({ defaultValue: 0 }) }),
  resolve: async ({ session, exitCode }, ctx) => {
    await endSession(ctx.app, String(session), exitCode ?? 0);
    return { sessionId: String(session) };
  },
});

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
  }),
  resolve: ({ container, command, session }, ctx) =>
    execInContainer(ctx.app, container, command, {
      ...(session ? { sessionId: String(session) } : {}),
      signal: ctx.signal,
    }),
});

mutationField('startSession', {
  type: SessionRef,
  description:
    'Attaches a shell to a running container (`run -it`, `start -ai`): pass its id to `exec` for each line.',
  args: (arg) => ({ container: arg.string({ required: true }) }),
  resolve: async ({ container }, ctx) => ({ sessionId: await startSession(ctx.app, container) }),
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

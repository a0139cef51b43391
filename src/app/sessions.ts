import { randomUUID } from 'node:crypto';
import { decideSession } from '../domain/session/decide.ts';
import { sessionStream } from '../domain/session/events.ts';
import { evolveSession, initialSessionState } from '../domain/session/state.ts';
import { changeContainerState, resolveContainer } from './containers.ts';
import { type AppContext, commandMetadata } from './context.ts';
import { loadStream } from './loadStream.ts';

export const loadSession = (app: AppContext, sessionId: string) =>
  loadStream(app.log, sessionStream(sessionId), evolveSession, initialSessionState);

/**
 * Opens an interactive session (`run -it`, `start -ai`): the container must be running, as a
 * shell is attached to its main process.
 */
export async function startSession(app: AppContext, ref: string, interactive = true): Promise<string> {
  const row = await resolveContainer(app, ref);
  if (row.state !== 'running') {
    const { assertExecAllowed } = await import('../domain/container/guards.ts');
    const { loadContainer } = await import('./containers.ts');
    assertExecAllowed((await loadContainer(app, row.container_id)).state, ref);
  }
  const sessionId = randomUUID();
  const events = decideSession(
    { type: 'StartSession', data: { sessionId, containerId: row.container_id, interactive, now: app.now() } },
    initialSessionState(),
  );
  await app.log.append(
    [{ stream: sessionStream(sessionId), events, expectedVersion: 'no_stream' }],
    commandMetadata({ sessionId }),
  );
  return sessionId;
}

/**
 * Ends a session: `exit N` or Ctrl-D in the attached shell. The shell was the container's main
 * process, so, as in Docker, the container stops with the shell's exit code.
 */
export async function endSession(app: AppContext, sessionId: string, exitCode: number): Promise<void> {
  const session = await loadSession(app, sessionId);
  const events = decideSession({ type: 'EndSession', data: { exitCode, now: app.now() } }, session.state);
  if (events.length === 0) return;
  await app.log.append(
    [{ stream: sessionStream(sessionId), events, expectedVersion: session.expectedVersion }],
    commandMetadata({ sessionId }),
  );
  if (session.state.status !== 'absent' && session.state.interactive) {
    await changeContainerState(
      app,
      session.state.containerId,
      'stop',
      commandMetadata({ sessionId }),
      exitCode,
    );
  }
}

import { assertNever, type Decider } from '../decider.ts';
import { conflictError, notFoundError, validationError } from '../errors.ts';
import type { CommandExecutedData, SessionEvent, ShellState } from './events.ts';
import { evolveSession, initialSessionState, type SessionState } from './state.ts';

export type SessionCommand =
  | {
      type: 'StartSession';
      data: { sessionId: string; containerId: string; interactive: boolean; now: string };
    }
  | { type: 'RecordStep'; data: Omit<CommandExecutedData, 'index' | 'executedAt'> & { now: string } }
  | { type: 'EndSession'; data: { exitCode: number; now: string } };

/** Sessions: started once, steps numbered from 1 while open, ended once (exit or Ctrl-D). */
export function decideSession(command: SessionCommand, state: SessionState): SessionEvent[] {
  switch (command.type) {
    case 'StartSession':
      if (state.status !== 'absent') throw conflictError(`session ${command.data.sessionId} already exists`);
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(command.data.sessionId))
        throw validationError(`invalid session id "${command.data.sessionId}"`);
      return [
        {
          type: 'SessionStarted',
          data: {
            sessionId: command.data.sessionId,
            containerId: command.data.containerId,
            interactive: command.data.interactive,
            startedAt: command.data.now,
          },
        },
      ];
    case 'RecordStep': {
      if (state.status === 'absent') throw notFoundError('No such session');
      if (state.status === 'ended')
        throw conflictError(`session ${state.sessionId} has ended`, { sessionId: state.sessionId });
      const { now, ...step } = command.data;
      if (step.shell) assertShellState(step.shell);
      if (step.shell && step.shellDigest)
        throw validationError('a step records its shell state inline or by digest, not both');
      return [{ type: 'CommandExecuted', data: { ...step, index: state.steps + 1, executedAt: now } }];
    }
    case 'EndSession':
      if (state.status === 'absent') throw notFoundError('No such session');
      if (state.status === 'ended') return [];
      return [{ type: 'SessionEnded', data: { exitCode: command.data.exitCode, endedAt: command.data.now } }];
    default:
      return assertNever(command);
  }
}

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

function assertShellState(shell: ShellState): void {
  for (const [what, dir] of [
    ['working directory', shell.cwd],
    ['OLDPWD', shell.oldCwd],
  ] as const) {
    if (dir !== undefined && !dir.startsWith('/'))
      throw validationError(`shell ${what} "${dir}" is not an absolute path`);
  }
  for (const name of [...Object.keys(shell.env), ...Object.keys(shell.vars)]) {
    if (!variableName.test(name)) throw validationError(`invalid shell variable name "${name}"`, { name });
  }
  const both = Object.keys(shell.vars).find((name) => Object.hasOwn(shell.env, name));
  if (both) throw validationError(`shell variable "${both}" is both exported and not`, { name: both });
}

export const sessionDecider: Decider<SessionCommand, SessionEvent, SessionState> = {
  decide: decideSession,
  evolve: evolveSession,
  initialState: initialSessionState,
};

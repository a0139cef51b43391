import type { Digest } from '../digest.ts';
import type { SessionEvent, ShellState } from './events.ts';

/** Where the session's shell state after its last step is: inline, or as JSON in the content store. */
export type SessionShell = { state: ShellState } | { digest: Digest };

export type SessionState =
  | { status: 'absent' }
  | {
      status: 'open' | 'ended';
      sessionId: string;
      containerId: string;
      interactive: boolean;
      steps: number;
      exitCode: number | undefined;
      /** The shell state the next step starts from; undefined: a fresh shell from the container's config. */
      shell: SessionShell | undefined;
      /** The last step's exit status: `$?` when the next step starts (0 before the first). */
      lastExitCode: number;
    };

export const initialSessionState = (): SessionState => ({ status: 'absent' });

export function evolveSession(state: SessionState, event: SessionEvent): SessionState {
  switch (event.type) {
    case 'SessionStarted':
      return {
        status: 'open',
        sessionId: event.data.sessionId,
        containerId: event.data.containerId,
        interactive: event.data.interactive,
        steps: 0,
        exitCode: undefined,
        shell: undefined,
        lastExitCode: 0,
      };
    case 'CommandExecuted': {
      if (state.status === 'absent') return state;
      const { shell, shellDigest } = event.data;
      return {
        ...state,
        steps: event.data.index,
        lastExitCode: event.data.exitCode,
        shell: shell ? { state: shell } : shellDigest ? { digest: shellDigest } : state.shell,
      };
    }
    case 'SessionEnded':
      return state.status === 'absent' ? state : { ...state, status: 'ended', exitCode: event.data.exitCode };
  }
}

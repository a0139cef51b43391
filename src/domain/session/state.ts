import type { SessionEvent } from './events.ts';

export type SessionState =
  | { status: 'absent' }
  | {
      status: 'open' | 'ended';
      sessionId: string;
      containerId: string;
      interactive: boolean;
      steps: number;
      exitCode: number | undefined;
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
      };
    case 'CommandExecuted':
      return state.status === 'absent' ? state : { ...state, steps: event.data.index };
    case 'SessionEnded':
      return state.status === 'absent' ? state : { ...state, status: 'ended', exitCode: event.data.exitCode };
  }
}

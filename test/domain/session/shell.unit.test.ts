import { describe, expect, it } from 'vitest';
import { sessionDecider } from '../../../src/domain/session/decide.ts';
import type { CommandExecutedData, SessionEvent, ShellState } from '../../../src/domain/session/events.ts';
import { specFor } from '../../support/given.ts';

const given = specFor(sessionDecider);
const now = '2026-11-28T12:00:00.000Z';
const started: SessionEvent = {
  type: 'SessionStarted',
  data: { sessionId: 's1', containerId: 'c1', interactive: true, startedAt: now },
};
const inTmp: ShellState = { cwd: '/tmp', oldCwd: '/', env: { PATH: '/bin', X: '1' }, vars: { Y: '2' } };
const step = (index: number, extra: Partial<CommandExecutedData> = {}): SessionEvent => ({
  type: 'CommandExecuted',
  data: {
    index,
    command: 'true',
    exitCode: 0,
    stdout: '',
    stderr: '',
    changes: [],
    executedAt: now,
    ...extra,
  },
});
const record = (extra: Partial<CommandExecutedData> = {}) => ({
  type: 'RecordStep' as const,
  data: { command: 'true', exitCode: 0, stdout: '', stderr: '', changes: [], now, ...extra },
});
const shellAfter = (events: SessionEvent[]) => {
  const state = events.reduce(sessionDecider.evolve, sessionDecider.initialState());
  if (state.status === 'absent') throw new Error('no session');
  return state.shell;
};

describe('the shell state of a session', () => {
  it('a step records the shell state it left', () => {
    const state = given([started])
      .when(record({ shell: inTmp }))
      .then([step(1, { shell: inTmp })]);
    expect(state).toMatchObject({ steps: 1, shell: { state: inTmp } });
  });

  it('a new session starts without one: a fresh shell from the container config', () => {
    expect(shellAfter([started])).toBeUndefined();
  });

  it('the state after step N is the one step N recorded, inline or by digest', () => {
    const digest = `sha256:${'a'.repeat(64)}` as const;
    expect(shellAfter([started, step(1, { shell: inTmp })])).toEqual({ state: inTmp });
    expect(shellAfter([started, step(1, { shell: inTmp }), step(2, { shellDigest: digest })])).toEqual({
      digest,
    });
  });

  it('an event recorded before shell state was kept leaves it as it was (none: a fresh shell)', () => {
    expect(shellAfter([started, step(1)])).toBeUndefined();
    expect(shellAfter([started, step(1, { shell: inTmp }), step(2)])).toEqual({ state: inTmp });
  });

  it("$? for the next step is the last step's exit status: 0 before the first", () => {
    const lastExitCode = (events: SessionEvent[]) => {
      const state = events.reduce(sessionDecider.evolve, sessionDecider.initialState());
      return state.status === 'absent' ? undefined : state.lastExitCode;
    };
    expect(lastExitCode([started])).toBe(0);
    expect(lastExitCode([started, step(1, { exitCode: 2 })])).toBe(2);
    expect(lastExitCode([started, step(1, { exitCode: 2 }), step(2, { exitCode: 0 })])).toBe(0);
  });

  it('refuses a relative working directory, bad variable names, a name both exported and not', () => {
    given([started])
      .when(record({ shell: { ...inTmp, cwd: 'tmp' } }))
      .thenThrows('VALIDATION', /not an absolute path/);
    given([started])
      .when(record({ shell: { ...inTmp, env: { 'A-B': '1' } } }))
      .thenThrows('VALIDATION', /invalid shell variable name "A-B"/);
    given([started])
      .when(record({ shell: { ...inTmp, vars: { X: '2' } } }))
      .thenThrows('VALIDATION', /"X" is both exported and not/);
    given([started])
      .when(record({ shell: inTmp, shellDigest: `sha256:${'b'.repeat(64)}` }))
      .thenThrows('VALIDATION', /inline or by digest/);
  });
});

import { describe, expect, it } from 'vitest';
import type { ContainerCommand } from '../../../src/domain/container/commands.ts';
import { containerDecider } from '../../../src/domain/container/decide.ts';
import { assertExecAllowed } from '../../../src/domain/container/guards.ts';
import { type ContainerState, foldContainer } from '../../../src/domain/container/state.ts';
import { emptyWritableLayer } from '../../../src/domain/container/writableLayer.ts';
import { StrataError } from '../../../src/domain/errors.ts';
import { specFor } from '../../support/given.ts';
import {
  containerId,
  createdEvent,
  imageId,
  now,
  paused,
  removed,
  started,
  stopped,
  t0,
} from './fixtures.ts';

const given = specFor(containerDecider);
const base = { containerId, now };
const start: ContainerCommand = { type: 'StartContainer', data: base };
const stop = (exitCode = 0): ContainerCommand => ({ type: 'StopContainer', data: { ...base, exitCode } });
const restart = (exitCode = 143): ContainerCommand => ({
  type: 'RestartContainer',
  data: { ...base, exitCode },
});
const pause: ContainerCommand = { type: 'PauseContainer', data: base };
const unpause: ContainerCommand = { type: 'UnpauseContainer', data: base };
const rm = (force = false): ContainerCommand => ({ type: 'RemoveContainer', data: { ...base, force } });
const create = (
  over: Partial<Extract<ContainerCommand, { type: 'CreateContainer' }>['data']> = {},
): ContainerCommand => ({
  type: 'CreateContainer',
  data: { containerId, now: t0, name: 'web', imageId, imageReference: 'ubuntu', cmd: ['/bin/sh'], ...over },
});

/** Docker states no event sequence reaches yet (restart policies, asynchronous removal). */
const inState = (status: 'restarting' | 'removing' | 'dead'): ContainerState => ({
  status,
  container: { containerId, name: 'web', imageId, cmd: [], created: t0, restartCount: 2 },
  layer: emptyWritableLayer(),
});

describe('create', () => {
  it('creates a container with an empty writable layer', () => {
    const state = given([]).when(create()).then([createdEvent]);
    expect(state.status).toBe('created');
    expect(state.status === 'created' && state.layer.entries.size).toBe(0);
  });

  it('takes a name with a leading slash and stores it without', () => {
    given([])
      .when(create({ name: '/web' }))
      .then([createdEvent]);
  });

  it('refuses names outside [a-zA-Z0-9][a-zA-Z0-9_.-]+ with moby wording', () => {
    for (const name of ['w', '-web', 'we b', 'wéb', '']) {
      given([])
        .when(create({ name }))
        .thenThrows(
          'VALIDATION',
          `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
        );
    }
    given([])
      .when(create({ name: 'a_b.c-1' }))
      .thenEvents((events) => expect(events).toHaveLength(1));
  });

  it('refuses a bad id, image id or clock, and an id already used', () => {
    given([])
      .when(create({ containerId: 'abc' }))
      .thenThrows('VALIDATION', /expected 64 lowercase hex/);
    given([])
      .when(create({ imageId: 'sha256:x' as never }))
      .thenThrows('VALIDATION', /invalid digest/);
    given([])
      .when(create({ now: 'yesterday' }))
      .thenThrows('VALIDATION', 'invalid timestamp "yesterday"');
    given([createdEvent])
      .when(create())
      .thenThrows('CONFLICT', /already exists/);
  });
});

describe('start', () => {
  it('starts a created or exited container', () => {
    given([createdEvent])
      .when(start)
      .then([{ type: 'ContainerStarted', data: { startedAt: now } }]);
    given([createdEvent, started, stopped(1)])
      .when(start)
      .then([{ type: 'ContainerStarted', data: { startedAt: now } }]);
  });

  it('is a no-op on a running container (Docker: 304 Not Modified)', () => {
    given([createdEvent, started]).when(start).thenNothing();
    given.givenState(inState('restarting')).when(start).thenNothing();
  });

  it('refuses a paused container, and one marked for removal', () => {
    given([createdEvent, started, paused])
      .when(start)
      .thenThrows('CONFLICT', 'cannot start a paused container, try unpause instead');
    for (const status of ['removing', 'dead'] as const) {
      given
        .givenState(inState(status))
        .when(start)
        .thenThrows('CONFLICT', 'container is marked for removal and cannot be started');
    }
  });

  it('refuses a container that does not exist or was removed', () => {
    given([]).when(start).thenThrows('NOT_FOUND', `No such container: ${containerId}`);
    given([createdEvent, removed()]).when(start).thenThrows('NOT_FOUND', `No such container: ${containerId}`);
  });
});

describe('stop', () => {
  it('stops a running or paused container with the exit code given', () => {
    given([createdEvent, started])
      .when(stop(143))
      .then([{ type: 'ContainerStopped', data: { exitCode: 143, finishedAt: now } }]);
    given([createdEvent, started, paused])
      .when(stop(137))
      .then([{ type: 'ContainerStopped', data: { exitCode: 137, finishedAt: now } }]);
  });

  it('is a no-op on a container that is not running', () => {
    given([createdEvent]).when(stop()).thenNothing();
    given([createdEvent, started, stopped()]).when(stop()).thenNothing();
  });

  it('records the exit code and finish time', () => {
    const state = given([createdEvent, started])
      .when(stop(2))
      .then([{ type: 'ContainerStopped', data: { exitCode: 2, finishedAt: now } }]);
    expect(state.status === 'exited' && state.container).toMatchObject({ exitCode: 2, finishedAt: now });
  });

  it('refuses an exit code outside 0..255', () => {
    given([createdEvent, started])
      .when(stop(256))
      .thenThrows('VALIDATION', /exit code/);
  });
});

describe('restart', () => {
  it('stops then starts a running container', () => {
    given([createdEvent, started])
      .when(restart(143))
      .then([
        { type: 'ContainerStopped', data: { exitCode: 143, finishedAt: now } },
        { type: 'ContainerRestarted', data: { startedAt: now } },
      ]);
  });

  it('starts a stopped or created container', () => {
    given([createdEvent])
      .when(restart())
      .then([{ type: 'ContainerRestarted', data: { startedAt: now } }]);
    given([createdEvent, started, stopped()])
      .when(restart())
      .then([{ type: 'ContainerRestarted', data: { startedAt: now } }]);
  });

  it('restarts a paused container (the stop kills it)', () => {
    given([createdEvent, started, paused])
      .when(restart(137))
      .thenEvents((events) =>
        expect(events.map((e) => e.type)).toEqual(['ContainerStopped', 'ContainerRestarted']),
      );
  });

  it('resets the restart count, as a manual restart does in moby (ResetRestartManager)', () => {
    const state = given
      .givenState(inState('restarting'))
      .when(restart())
      .then([
        { type: 'ContainerStopped', data: { exitCode: 143, finishedAt: now } },
        { type: 'ContainerRestarted', data: { startedAt: now } },
      ]);
    expect(state.status === 'running' && state.container.restartCount).toBe(0);
    expect(state.status === 'running' && state.container.exitCode).toBe(0);
  });

  it('refuses a container marked for removal', () => {
    given
      .givenState(inState('dead'))
      .when(restart())
      .thenThrows('CONFLICT', 'container is marked for removal and cannot be started');
  });
});

describe('pause and unpause', () => {
  it('pauses a running container and unpauses it', () => {
    given([createdEvent, started])
      .when(pause)
      .then([{ type: 'ContainerPaused', data: { pausedAt: now } }]);
    given([createdEvent, started, paused])
      .when(unpause)
      .then([{ type: 'ContainerUnpaused', data: { unpausedAt: now } }]);
  });

  it('refuses with moby wording', () => {
    given([createdEvent]).when(pause).thenThrows('CONFLICT', `Container ${containerId} is not running`);
    given([createdEvent, started, stopped()])
      .when(pause)
      .thenThrows('CONFLICT', `Container ${containerId} is not running`);
    given([createdEvent, started, paused])
      .when(pause)
      .thenThrows('CONFLICT', `Container ${containerId} is already paused`);
    given
      .givenState(inState('restarting'))
      .when(pause)
      .thenThrows('CONFLICT', `Container ${containerId} is restarting, wait until the container is running`);
    given([createdEvent, started])
      .when(unpause)
      .thenThrows('CONFLICT', `Container ${containerId} is not paused`);
    given([createdEvent]).when(unpause).thenThrows('CONFLICT', `Container ${containerId} is not paused`);
  });
});

describe('remove', () => {
  it('removes a created, exited or dead container', () => {
    given([createdEvent])
      .when(rm())
      .then([{ type: 'ContainerRemoved', data: { force: false, removedAt: now } }]);
    given([createdEvent, started, stopped()])
      .when(rm())
      .then([{ type: 'ContainerRemoved', data: { force: false, removedAt: now } }]);
    given
      .givenState(inState('dead'))
      .when(rm())
      .then([{ type: 'ContainerRemoved', data: { force: false, removedAt: now } }]);
  });

  it('refuses a running, paused or restarting container without force, in Docker words', () => {
    given([createdEvent, started])
      .when(rm())
      .thenThrows(
        'CONFLICT',
        'cannot remove container "/web": container is running: stop the container before removing or force remove',
      );
    given([createdEvent, started, paused])
      .when(rm())
      .thenThrows(
        'CONFLICT',
        'cannot remove container "/web": container is paused and must be unpaused first',
      );
    given
      .givenState(inState('restarting'))
      .when(rm())
      .thenThrows(
        'CONFLICT',
        'cannot remove container "/web": container is restarting: stop the container before removing or force remove',
      );
  });

  it('with force, records the kill (exit code 137) then the removal', () => {
    for (const history of [
      [createdEvent, started],
      [createdEvent, started, paused],
    ]) {
      const state = given(history)
        .when(rm(true))
        .then([
          { type: 'ContainerStopped', data: { exitCode: 137, finishedAt: now } },
          { type: 'ContainerRemoved', data: { force: true, removedAt: now } },
        ]);
      expect(state.status).toBe('removed');
    }
  });

  it('refuses a removal already in progress, and a container already removed', () => {
    given
      .givenState(inState('removing'))
      .when(rm(true))
      .thenThrows('CONFLICT', `removal of container ${containerId} is already in progress`);
    given([createdEvent, removed()]).when(rm()).thenThrows('NOT_FOUND', `No such container: ${containerId}`);
  });
});

describe('exec', () => {
  const fold = (...events: Parameters<typeof foldContainer>[0] extends Iterable<infer E> ? E[] : never) =>
    foldContainer(events);
  const refusal = (state: ContainerState, ref?: string) => {
    try {
      assertExecAllowed(state, ref);
    } catch (error) {
      return [(error as StrataError).code, (error as StrataError).message];
    }
    return undefined;
  };

  it('is allowed in a running container only, with moby wording otherwise', () => {
    expect(assertExecAllowed(fold(createdEvent, started)).status).toBe('running');
    expect(refusal(fold(createdEvent))).toEqual(['CONFLICT', `Container ${containerId} is not running`]);
    expect(refusal(fold(createdEvent, started, stopped()))).toEqual([
      'CONFLICT',
      `Container ${containerId} is not running`,
    ]);
    expect(refusal(fold(createdEvent, started, paused), 'web')).toEqual([
      'CONFLICT',
      'Container web is paused, unpause the container before exec',
    ]);
    expect(refusal(inState('restarting'))).toEqual([
      'CONFLICT',
      `Container ${containerId} is restarting, wait until the container is running`,
    ]);
    expect(refusal(fold(), 'web')).toEqual(['NOT_FOUND', 'No such container: web']);
    expect(refusal(fold(createdEvent, removed()))).toEqual([
      'NOT_FOUND',
      `No such container: ${containerId}`,
    ]);
  });
});

describe('state', () => {
  it('a command for another container is a programming error', () => {
    given([createdEvent])
      .when({ type: 'StartContainer', data: { containerId: 'c'.repeat(64), now } })
      .thenThrows('VALIDATION', /given the state of container/);
  });

  it('keeps timestamps and exit codes as Docker reports them', () => {
    const state = foldContainer([createdEvent, { type: 'ContainerStarted', data: { startedAt: now } }]);
    expect(state.status === 'running' && state.container).toMatchObject({
      startedAt: now,
      exitCode: 0,
      restartCount: 0,
      imageReference: 'ubuntu',
    });
  });

  it('is a StrataError for every refusal', () => {
    expect(() => containerDecider.decide(pause, foldContainer([createdEvent]))).toThrow(StrataError);
  });
});

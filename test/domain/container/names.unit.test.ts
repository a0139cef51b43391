import { describe, expect, it } from 'vitest';
import { containerNameDecider } from '../../../src/domain/container/names/decide.ts';
import type { ContainerNameEvent } from '../../../src/domain/container/names/events.ts';
import { createContainer, removeContainer } from '../../../src/domain/container/operations.ts';
import { foldContainer } from '../../../src/domain/container/state.ts';
import { containerNameStream, containerStream } from '../../../src/domain/streams.ts';
import { specFor } from '../../support/given.ts';
import { containerId, createdEvent, imageId, now, otherId, started, t0 } from './fixtures.ts';

const given = specFor(containerNameDecider);
const claimed = (id = containerId): ContainerNameEvent => ({
  type: 'ContainerNameClaimed',
  data: { name: 'web', containerId: id },
});
const released = (id = containerId): ContainerNameEvent => ({
  type: 'ContainerNameReleased',
  data: { name: 'web', containerId: id },
});

describe('container name registry', () => {
  it('claims a free name (without its slash)', () => {
    given([])
      .when({ type: 'ClaimContainerName', data: { name: '/web', containerId } })
      .then([claimed()]);
  });

  it('refuses a name another container holds, in moby words', () => {
    given([claimed(otherId)])
      .when({ type: 'ClaimContainerName', data: { name: 'web', containerId } })
      .thenThrows(
        'CONFLICT',
        `Conflict. The container name "/web" is already in use by container "${otherId}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
  });

  it('a claim by the holder decides nothing; a released name can be claimed again', () => {
    given([claimed()])
      .when({ type: 'ClaimContainerName', data: { name: 'web', containerId } })
      .thenNothing();
    given([claimed(otherId), released(otherId)])
      .when({ type: 'ClaimContainerName', data: { name: 'web', containerId } })
      .then([claimed()]);
  });

  it('only the holder releases', () => {
    given([claimed()])
      .when({ type: 'ReleaseContainerName', data: { name: 'web', containerId } })
      .then([released()]);
    given([claimed(otherId)])
      .when({ type: 'ReleaseContainerName', data: { name: 'web', containerId } })
      .thenNothing();
    given([])
      .when({ type: 'ReleaseContainerName', data: { name: 'web', containerId } })
      .thenNothing();
  });

  it('validates names', () => {
    given([])
      .when({ type: 'ClaimContainerName', data: { name: 'x', containerId } })
      .thenThrows('VALIDATION', /Invalid container name \(x\)/);
  });
});

describe('create and remove across streams', () => {
  const create = {
    type: 'CreateContainer' as const,
    data: { containerId, now: t0, name: '/web', imageId, imageReference: 'ubuntu', cmd: ['/bin/sh'] },
  };

  it('creates the container and claims its name in one decision', () => {
    expect(
      createContainer(create, { container: foldContainer([]), name: containerNameDecider.initialState() }),
    ).toEqual([
      { stream: containerStream(containerId), events: [createdEvent] },
      { stream: containerNameStream('web'), events: [claimed()] },
    ]);
  });

  it('fails as a whole when the name is taken', () => {
    const name = [claimed(otherId)].reduce(containerNameDecider.evolve, containerNameDecider.initialState());
    expect(() => createContainer(create, { container: foldContainer([]), name })).toThrow(
      /is already in use by container/,
    );
  });

  it('removing releases the name (after the kill when forced)', () => {
    expect(
      removeContainer(
        { type: 'RemoveContainer', data: { containerId, now, force: true } },
        foldContainer([createdEvent, started]),
      ),
    ).toEqual([
      {
        stream: containerStream(containerId),
        events: [
          { type: 'ContainerStopped', data: { exitCode: 137, finishedAt: now } },
          { type: 'ContainerRemoved', data: { force: true, removedAt: now } },
        ],
      },
      { stream: containerNameStream('web'), events: [released()] },
    ]);
  });

  it('a refused removal decides nothing anywhere', () => {
    expect(() =>
      removeContainer(
        { type: 'RemoveContainer', data: { containerId, now, force: false } },
        foldContainer([createdEvent, started]),
      ),
    ).toThrow(/container is running/);
  });
});

describe('stream names', () => {
  it('names each stream after its aggregate', async () => {
    const { imageStream, layerStream, tagStream, mergeStreamEvents } = await import(
      '../../../src/domain/streams.ts'
    );
    expect(containerStream(containerId)).toBe(`container-${containerId}`);
    expect(containerNameStream('web')).toBe('container-name-web');
    expect(imageStream(imageId)).toBe(`image-${imageId.slice(7)}`);
    expect(layerStream(imageId)).toBe(`layer-${imageId.slice(7)}`);
    expect(tagStream('docker.io/library/ubuntu:latest')).toBe('tag-docker.io/library/ubuntu:latest');
    expect(() => containerStream('web')).toThrow(/64 lowercase hex/);
    expect(
      mergeStreamEvents(
        [
          { stream: 'a', events: [1] },
          { stream: 'b', events: [] },
        ],
        [
          { stream: 'a', events: [2] },
          { stream: 'c', events: [3] },
        ],
      ),
    ).toEqual([
      { stream: 'a', events: [1, 2] },
      { stream: 'c', events: [3] },
    ]);
  });
});

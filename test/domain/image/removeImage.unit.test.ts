import { describe, expect, it } from 'vitest';
import { chainIds, type Digest, shortId } from '../../../src/domain/digest.ts';
import type { RemoveImage } from '../../../src/domain/image/commands.ts';
import { imageDecider } from '../../../src/domain/image/decide.ts';
import type { ImageEvent } from '../../../src/domain/image/events.ts';
import { imageRemovalReport, removeImage } from '../../../src/domain/image/operations.ts';
import { isSingleReference } from '../../../src/domain/image/remove.ts';
import { imageStream, tagStream } from '../../../src/domain/streams.ts';
import { specFor } from '../../support/given.ts';
import { created, diff, tagged, untagged } from './fixtures.ts';

const given = specFor(imageDecider);
const layers = [diff(1), diff(2), diff(3)];
const image = created(layers);
const imageId = image.data.imageId;
const short = shortId(imageId);
const chain = chainIds(layers);
const manifest = 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
const ubuntu = 'docker.io/library/ubuntu:latest';
const ubuntu22 = 'docker.io/library/ubuntu:22.04';
const mine = 'docker.io/me/app:v1';
const ubuntuDigest = `docker.io/library/ubuntu@${manifest}`;
const stoppedUser = { containerId: 'c'.repeat(64), running: false };
const runningUser = { containerId: 'r'.repeat(64).replace(/r/g, 'e'), running: true };
const childId = 'sha256:2d2b3bd5c3e8e4d4f0fc1d4a0b5b4e1de1d5fb4e4fa3a4b9a1f0c6f1d2b3a4c5' as Digest;

const rmi = (
  data: Partial<RemoveImage['data']> & Pick<RemoveImage['data'], 'by' | 'input'>,
): RemoveImage => ({
  type: 'RemoveImage',
  data: { force: false, containers: [], childImageIds: [], chainIdsInUse: [], ...data },
});
const byTag = (input: string, extra: Partial<RemoveImage['data']> = {}) =>
  rmi({ by: 'reference', reference: input, input, ...extra });
const byId = (extra: Partial<RemoveImage['data']> = {}) => rmi({ by: 'id', input: short, ...extra });
const deleted = (freed: Digest[] = [...chain].reverse()): ImageEvent => ({
  type: 'ImageDeleted',
  data: { freedChainIds: freed },
});

describe('rmi by reference', () => {
  it('only untags when the image has other tags', () => {
    given([image, tagged(ubuntu), tagged(mine)])
      .when(byTag('ubuntu'))
      .then([untagged(ubuntu)]);
  });

  it('deletes the image with its last tag, freeing every layer no other image uses (topmost first)', () => {
    given([image, tagged(ubuntu)])
      .when(byTag('ubuntu'))
      .then([untagged(ubuntu), deleted()]);
  });

  it('frees only the layers above the first one another image uses', () => {
    given([image, tagged(ubuntu)])
      .when(byTag('ubuntu', { chainIdsInUse: [chain[0]!] }))
      .then([untagged(ubuntu), deleted([chain[2]!, chain[1]!])]);
    given([image, tagged(ubuntu)])
      .when(byTag('ubuntu', { chainIdsInUse: [chain[1]!, chain[0]!] }))
      .then([untagged(ubuntu), deleted([chain[2]!])]);
  });

  it('removes digest references of the repository with its last tag there', () => {
    given([created(layers, { repoDigests: [ubuntuDigest] }), tagged(ubuntu), tagged(mine)])
      .when(byTag('ubuntu'))
      .then([untagged(ubuntu), untagged(ubuntuDigest)]);
    given([created(layers, { repoDigests: [ubuntuDigest] }), tagged(ubuntu), tagged(ubuntu22)])
      .when(byTag('ubuntu'))
      .then([untagged(ubuntu)]);
    given([created(layers, { repoDigests: [ubuntuDigest] }), tagged(ubuntu)])
      .when(byTag('ubuntu'))
      .then([untagged(ubuntu), untagged(ubuntuDigest), deleted()]);
  });

  it('removes a digest reference by itself', () => {
    given([created(layers, { repoDigests: [ubuntuDigest] }), tagged(ubuntu)])
      .when(byTag(`ubuntu@${manifest}`))
      .then([untagged(ubuntuDigest)]);
  });

  it('needs force to untag the only reference of an image a container uses', () => {
    given([image, tagged(ubuntu)])
      .when(byTag('ubuntu', { containers: [stoppedUser] }))
      .thenThrows(
        'CONFLICT',
        `conflict: unable to remove repository reference "ubuntu" (must force) - container ${shortId(stoppedUser.containerId)} is using its referenced image ${short}`,
      );
  });

  it('with force, untags and keeps an image a running container uses (quietly)', () => {
    given([image, tagged(ubuntu)])
      .when(byTag('ubuntu', { force: true, containers: [runningUser] }))
      .then([untagged(ubuntu)]);
  });

  it('with force, deletes an image a stopped container uses, but its layers stay held', () => {
    given([image, tagged(ubuntu)])
      .when(byTag('ubuntu', { force: true, containers: [stoppedUser] }))
      .then([untagged(ubuntu), deleted([])]);
  });

  it('keeps an untagged parent of a child image (quietly)', () => {
    given([image, tagged(ubuntu)])
      .when(byTag('ubuntu', { childImageIds: [childId] }))
      .then([untagged(ubuntu)]);
  });

  it('untags without force when other tags remain, even if a container uses the image', () => {
    given([image, tagged(ubuntu), tagged(mine)])
      .when(byTag('me/app:v1', { containers: [runningUser] }))
      .then([untagged(mine)]);
  });

  it('refuses references the image does not have, and missing images', () => {
    given([image, tagged(ubuntu)])
      .when(byTag('debian'))
      .thenThrows('NOT_FOUND', 'No such image: debian');
    given([]).when(byTag('debian')).thenThrows('NOT_FOUND', 'No such image: debian');
    given([image, tagged(ubuntu), deleted()])
      .when(byId())
      .thenThrows('NOT_FOUND', `No such image: ${short}`);
  });
});

describe('rmi by id', () => {
  it('deletes an image with a single tag, untagging it', () => {
    given([image, tagged(ubuntu)])
      .when(byId())
      .then([untagged(ubuntu), deleted()]);
  });

  it('deletes a dangling image', () => {
    given([image]).when(byId()).then([deleted()]);
  });

  it('needs force when the image is referenced in several repositories', () => {
    given([image, tagged(ubuntu), tagged(mine)])
      .when(byId())
      .thenThrows(
        'CONFLICT',
        `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
      );
    given([image, tagged(ubuntu), tagged(ubuntu22)])
      .when(byId())
      .thenThrows('CONFLICT', /image is referenced in multiple repositories/);
  });

  it('with force, untags every reference (in lexical order, as moby lists them) and deletes', () => {
    given([image, tagged(mine), tagged(ubuntu)])
      .when(byId({ force: true }))
      .then([untagged(ubuntu), untagged(mine), deleted()]);
  });

  it('a tag plus digest references of the same repository count as one reference', () => {
    given([created(layers, { repoDigests: [ubuntuDigest] }), tagged(ubuntu)])
      .when(byId())
      .then([untagged(ubuntu), untagged(ubuntuDigest), deleted()]);
  });

  it('needs force when a stopped container uses the image', () => {
    given([image, tagged(ubuntu)])
      .when(byId({ containers: [stoppedUser] }))
      .thenThrows(
        'CONFLICT',
        `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${shortId(stoppedUser.containerId)}`,
      );
    given([image])
      .when(byId({ containers: [stoppedUser] }))
      .thenThrows('CONFLICT', /being used by stopped container/);
    given([image, tagged(ubuntu)])
      .when(byId({ containers: [stoppedUser], force: true }))
      .then([untagged(ubuntu), deleted([])]);
  });

  it('cannot be forced while a running container uses the image', () => {
    for (const force of [false, true]) {
      given([image, tagged(ubuntu)])
        .when(byId({ force, containers: [stoppedUser, runningUser] }))
        .thenThrows(
          'CONFLICT',
          `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${shortId(runningUser.containerId)}`,
        );
    }
  });

  it('cannot be forced while a child image depends on it', () => {
    given([image])
      .when(byId({ force: true, childImageIds: [childId] }))
      .thenThrows(
        'CONFLICT',
        `conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`,
      );
  });
});

describe('isSingleReference (moby)', () => {
  it.each([
    [[], false],
    [[ubuntu], true],
    [[ubuntuDigest], true],
    [[ubuntu, ubuntuDigest], true],
    [[ubuntu, ubuntu22], false],
    [[ubuntu, `docker.io/me/app@${manifest}`], false],
    [[ubuntuDigest, `docker.io/me/app@${manifest}`], false],
  ])('%j → %s', (references, expected) => {
    expect(isSingleReference(references)).toBe(expected);
  });
});

describe('removeImage across streams', () => {
  it('releases the tags the image loses, not its digest references', () => {
    const state = [created(layers, { repoDigests: [ubuntuDigest] }), tagged(ubuntu)].reduce(
      imageDecider.evolve,
      imageDecider.initialState(),
    );
    const decision = removeImage(byTag('ubuntu'), state);
    expect(decision).toEqual([
      { stream: imageStream(imageId), events: [untagged(ubuntu), untagged(ubuntuDigest), deleted()] },
      { stream: tagStream(ubuntu), events: [{ type: 'TagReleased', data: { reference: ubuntu, imageId } }] },
    ]);
    expect(imageRemovalReport(imageId, decision[0]!.events as ImageEvent[])).toEqual({
      untagged: ['ubuntu:latest', `ubuntu@${manifest}`],
      deleted: [imageId, chain[2], chain[1], chain[0]],
    });
  });
});

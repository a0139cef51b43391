import { describe, expect, it } from 'vitest';
import { imageDecider } from '../../../src/domain/image/decide.ts';
import type { ImageEvent } from '../../../src/domain/image/events.ts';
import { tagImage } from '../../../src/domain/image/operations.ts';
import { tagDecider } from '../../../src/domain/image/tags/decide.ts';
import type { TagEvent } from '../../../src/domain/image/tags/events.ts';
import { imageStream, tagStream } from '../../../src/domain/streams.ts';
import { specFor } from '../../support/given.ts';
import { created, diff, tagged, untagged } from './fixtures.ts';

const given = specFor(tagDecider);
const a = created([diff(1)]);
const b = created([diff(2)]);
const ref = 'docker.io/library/app:v1';
const assigned = (imageId = a.data.imageId, previousImageId?: typeof imageId): TagEvent => ({
  type: 'TagAssigned',
  data: { reference: ref, imageId, ...(previousImageId && { previousImageId }) },
});
const imageState = (...events: ImageEvent[]) =>
  events.reduce(imageDecider.evolve, imageDecider.initialState());
const tagState = (...events: TagEvent[]) => events.reduce(tagDecider.evolve, tagDecider.initialState());

describe('tag registry', () => {
  it('assigns a free tag', () => {
    given([])
      .when({ type: 'AssignTag', data: { reference: 'app:v1', imageId: a.data.imageId } })
      .then([assigned()]);
  });

  it('moves a tag, naming the image it leaves', () => {
    given([assigned()])
      .when({ type: 'AssignTag', data: { reference: ref, imageId: b.data.imageId } })
      .then([assigned(b.data.imageId, a.data.imageId)]);
  });

  it('re-assigning to the same image decides nothing', () => {
    given([assigned()])
      .when({ type: 'AssignTag', data: { reference: ref, imageId: a.data.imageId } })
      .thenNothing();
  });

  it('releases only a tag still pointing at the image', () => {
    given([assigned()])
      .when({ type: 'ReleaseTag', data: { reference: ref, imageId: a.data.imageId } })
      .then([{ type: 'TagReleased', data: { reference: ref, imageId: a.data.imageId } }]);
    given([assigned(b.data.imageId, a.data.imageId)])
      .when({ type: 'ReleaseTag', data: { reference: ref, imageId: a.data.imageId } })
      .thenNothing();
    given([])
      .when({ type: 'ReleaseTag', data: { reference: ref, imageId: a.data.imageId } })
      .thenNothing();
  });

  it('refuses digest references and bad image ids', () => {
    given([])
      .when({ type: 'AssignTag', data: { reference: `app@${a.data.imageId}`, imageId: a.data.imageId } })
      .thenThrows('VALIDATION', /digest reference/);
    given([])
      .when({ type: 'AssignTag', data: { reference: ref, imageId: 'sha256:nope' as never } })
      .thenThrows('VALIDATION', /invalid digest/);
  });
});

describe('tagImage across streams', () => {
  it('tags an image with a free tag', () => {
    expect(
      tagImage({ reference: 'app:v1', imageId: a.data.imageId }, { image: imageState(a), tag: tagState() }),
    ).toEqual([
      { stream: tagStream(ref), events: [assigned()] },
      { stream: imageStream(a.data.imageId), events: [tagged(ref)] },
    ]);
  });

  it('moves a tag: untag on the old image and tag on the new, in one decision', () => {
    expect(
      tagImage(
        { reference: 'app:v1', imageId: b.data.imageId },
        { image: imageState(b), tag: tagState(assigned()) },
      ),
    ).toEqual([
      { stream: tagStream(ref), events: [assigned(b.data.imageId, a.data.imageId)] },
      { stream: imageStream(b.data.imageId), events: [tagged(ref)] },
      { stream: imageStream(a.data.imageId), events: [untagged(ref)] },
    ]);
  });

  it('decides nothing when the tag already points at the image', () => {
    expect(
      tagImage(
        { reference: ref, imageId: a.data.imageId },
        { image: imageState(a, tagged(ref)), tag: tagState(assigned()) },
      ),
    ).toEqual([]);
  });

  it('refuses to tag a missing image', () => {
    expect(() =>
      tagImage({ reference: ref, imageId: a.data.imageId }, { image: imageState(), tag: tagState() }),
    ).toThrow(/No such image/);
  });
});

import { describe, expect, it } from 'vitest';
import { chainIds, sha256Digest } from '../../../src/domain/digest.ts';
import type { CreateImage } from '../../../src/domain/image/commands.ts';
import { imageDecider } from '../../../src/domain/image/decide.ts';
import { specFor } from '../../support/given.ts';
import { configOf, created, diff, tagged, untagged } from './fixtures.ts';

const given = specFor(imageDecider);
const layers = [diff(1), diff(2)];
const text = configOf(layers);
const imageId = sha256Digest(text);
const manifestDigest = sha256Digest('manifest');
const create = (data: Partial<CreateImage['data']> = {}): CreateImage => ({
  type: 'CreateImage',
  data: { config: text, source: 'pull', ...data },
});

describe('CreateImage', () => {
  it('records the image: id = config digest, chain ids, history, repo digests normalised', () => {
    given([])
      .when(create({ manifestDigest, repoDigests: [`ubuntu@${manifestDigest}`], configDigest: imageId }))
      .then([
        created(layers, {
          manifestDigest,
          repoDigests: [`docker.io/library/ubuntu@${manifestDigest}`],
        }),
      ]);
  });

  it('takes the config as bytes too, and counts its size in bytes', () => {
    const bytes = new TextEncoder().encode(configOf(layers, { author: 'Zoë' }));
    given([])
      .when(create({ config: bytes, source: 'import' }))
      .thenEvents(([event]) => {
        expect(event?.type).toBe('ImageCreated');
        if (event?.type !== 'ImageCreated') return;
        expect(event.data.imageId).toBe(sha256Digest(bytes));
        expect(event.data.configSize).toBe(bytes.byteLength);
        expect(event.data.config.author).toBe('Zoë');
        expect(event.data.chainIds).toEqual(chainIds(layers));
        expect(event.data.source).toBe('import');
      });
  });

  it('records a commit with its parent', () => {
    const parent = sha256Digest('parent config');
    given([])
      .when(create({ source: 'commit', parent }))
      .then([created(layers, { source: 'commit', parent })]);
  });

  it('is idempotent for a present image, adding only new repo digests', () => {
    given([created(layers)])
      .when(create())
      .thenNothing();
    given([created(layers, { repoDigests: [`docker.io/library/ubuntu@${manifestDigest}`] })])
      .when(create({ repoDigests: [`ubuntu@${manifestDigest}`, `myorg/ubuntu@${manifestDigest}`] }))
      .then([tagged(`docker.io/myorg/ubuntu@${manifestDigest}`)]);
  });

  it('re-creates an image that was deleted (pull after rmi)', () => {
    given([created(layers), { type: 'ImageDeleted', data: { freedChainIds: [] } }])
      .when(create())
      .then([created(layers)]);
  });

  it('refuses a config whose digest is not the promised one', () => {
    given([])
      .when(create({ configDigest: sha256Digest('other') }))
      .thenThrows('INTEGRITY', /image config digest mismatch/);
  });

  it('refuses invalid configs and repo digests', () => {
    given([])
      .when(create({ config: '{"rootfs":{}}' }))
      .thenThrows('VALIDATION', /rootfs.type must be "layers"/);
    given([])
      .when(create({ repoDigests: ['ubuntu:latest'] }))
      .thenThrows('VALIDATION', 'repository digest "ubuntu:latest" has no digest');
  });
});

describe('TagImage / UntagImage (one image stream)', () => {
  it('adds a normalised tag once', () => {
    const state = given([created(layers)])
      .when({ type: 'TagImage', data: { reference: 'ubuntu' } })
      .then([tagged('docker.io/library/ubuntu:latest')]);
    expect(state.status === 'present' && state.references).toEqual(['docker.io/library/ubuntu:latest']);
    given([created(layers), tagged('docker.io/library/ubuntu:latest')])
      .when({ type: 'TagImage', data: { reference: 'ubuntu:latest' } })
      .thenNothing();
  });

  it('refuses tagging a missing image, and digest references as tags', () => {
    given([])
      .when({ type: 'TagImage', data: { reference: 'x' } })
      .thenThrows('NOT_FOUND', /No such image/);
    given([created(layers)])
      .when({ type: 'TagImage', data: { reference: `x@${manifestDigest}` } })
      .thenThrows('VALIDATION', 'refusing to create a tag with a digest reference');
  });

  it('untags only what the image has', () => {
    given([created(layers), tagged('docker.io/library/a:latest')])
      .when({ type: 'UntagImage', data: { reference: 'a' } })
      .then([untagged('docker.io/library/a:latest')]);
    given([created(layers)])
      .when({ type: 'UntagImage', data: { reference: 'a' } })
      .thenNothing();
    given([])
      .when({ type: 'UntagImage', data: { reference: 'a' } })
      .thenNothing();
  });

  it('keeps the image record once deleted, and ignores tags on a deleted image', () => {
    const deleted = imageDecider.evolve(
      [created(layers)].reduce(imageDecider.evolve, imageDecider.initialState()),
      { type: 'ImageDeleted', data: { freedChainIds: [] } },
    );
    expect(deleted.status === 'deleted' && deleted.image.imageId).toBe(imageId);
    expect(imageDecider.evolve(deleted, tagged('docker.io/library/a:latest'))).toBe(deleted);
    given([created(layers), { type: 'ImageDeleted', data: { freedChainIds: [] } }])
      .when({ type: 'TagImage', data: { reference: 'a' } })
      .thenThrows('NOT_FOUND', `No such image: ${imageId.slice(7, 19)}`);
  });
});

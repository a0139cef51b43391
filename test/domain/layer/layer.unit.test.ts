import { describe, it } from 'vitest';
import type { Digest } from '../../../src/domain/digest.ts';
import type { RegisterLayer } from '../../../src/domain/layer/commands.ts';
import { layerDecider } from '../../../src/domain/layer/decide.ts';
import type { LayerRegisteredData } from '../../../src/domain/layer/events.ts';
import { specFor } from '../../support/given.ts';

const given = specFor(layerDecider);

const layer: LayerRegisteredData = {
  diffId: 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4' as Digest,
  digest: 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa' as Digest,
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  size: 10240,
  compressedSize: 2048,
  entryCount: 12,
  entriesDigest: 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' as Digest,
  contentSize: 4000,
};
const register = (data: LayerRegisteredData = layer): RegisterLayer => ({ type: 'RegisterLayer', data });

describe('layer decider', () => {
  it('registers a new layer', () => {
    given([])
      .when(register())
      .then([{ type: 'LayerRegistered', data: layer }]);
  });

  it('stores a layer once per DiffID: registering it again decides nothing', () => {
    given([{ type: 'LayerRegistered', data: layer }])
      .when(register({ ...layer, digest: undefined }))
      .thenNothing();
  });

  it('accepts a layer without a compressed blob (commit, docker save)', () => {
    const { digest: _d, compressedSize: _c, mediaType: _m, ...plain } = layer;
    given([])
      .when(register(plain))
      .then([{ type: 'LayerRegistered', data: plain }]);
  });

  it('refuses invalid digests and sizes', () => {
    given([])
      .when(register({ ...layer, diffId: 'sha256:XYZ' as Digest }))
      .thenThrows('VALIDATION', /invalid digest/);
    given([])
      .when(register({ ...layer, entriesDigest: 'md5:00' as Digest }))
      .thenThrows('VALIDATION', /invalid digest/);
    given([])
      .when(register({ ...layer, size: -1 }))
      .thenThrows('VALIDATION', 'layer size must be a non-negative integer, got -1');
    given([])
      .when(register({ ...layer, entryCount: 1.5 }))
      .thenThrows('VALIDATION', /entryCount/);
    given([])
      .when(register({ ...layer, compressedSize: -3 }))
      .thenThrows('VALIDATION', /compressedSize/);
  });
});

import { describe, expect, it } from 'vitest';
import { chainIds, isDigest, parseDigest, sha256Digest, shortId } from '../../src/domain/digest.ts';
import { StrataError } from '../../src/domain/errors.ts';
import { buildTar } from '../support/tarBuilder.ts';

// image-spec config.md example: rootfs.diff_ids
const configExampleDiffIds = [
  'sha256:c6f988f4874bb0add23a778f753c65efe992244e148a1d2ec2a8b664fb66bbd1',
  'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef',
] as const;

describe('ChainID', () => {
  it('given the two diff_ids of the image-spec config example, then the top ChainID is the spec value', () => {
    const chain = chainIds(configExampleDiffIds);
    expect(chain).toEqual([
      configExampleDiffIds[0],
      'sha256:c3191d32a37d7159b2e30830937d2e30268ad6c375a773a8994911a3aba9b93f',
    ]);
  });

  it('given one layer, then its ChainID is its DiffID; given none, then there is no chain', () => {
    expect(chainIds([configExampleDiffIds[1]])).toEqual([configExampleDiffIds[1]]);
    expect(chainIds([])).toEqual([]);
  });

  it('given a chain, then each ChainID hashes the previous ChainID, a space and the next DiffID', () => {
    const [a, b] = configExampleDiffIds;
    const three = chainIds([a, b, a]);
    expect(three[2]).toBe(sha256Digest(`${three[1]} ${a}`));
    expect(chainIds([b, a])[1]).not.toBe(three[1]);
  });
});

describe('digests', () => {
  it('given an empty tar (1024 NUL bytes), then its DiffID is the well-known empty layer id', () => {
    const empty = buildTar([]);
    expect(empty).toEqual(new Uint8Array(1024));
    expect(sha256Digest(empty)).toBe(
      'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef',
    );
  });

  it.each([
    ['uppercase hex', 'sha256:5F70BF18A086007016E948B04AED3B82103A36BEA41755B6CDDFAF10ACE3C6EF'],
    ['too short', 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6e'],
    ['too long', 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef0'],
    ['no algorithm', '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef'],
    ['other algorithm', 'sha512:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef'],
    ['uppercase algorithm', 'SHA256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef'],
    ['non-hex', 'sha256:zf70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef'],
    ['path traversal', 'sha256:../../../../etc/passwd'],
    ['empty', ''],
    ['whitespace', ' sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef'],
  ])('given a malformed digest (%s), then it is rejected with VALIDATION', (_, value) => {
    expect(isDigest(value)).toBe(false);
    expect(() => parseDigest(value)).toThrow(StrataError);
    try {
      parseDigest(value);
    } catch (error) {
      expect((error as StrataError).code).toBe('VALIDATION');
    }
  });

  it('given a well-formed digest, then it parses to itself and has a 12-character short id', () => {
    const d = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
    expect(parseDigest(d)).toBe(d);
    expect(shortId(d)).toBe('5f70bf18a086');
  });
});

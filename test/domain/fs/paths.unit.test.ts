import { describe, expect, it } from 'vitest';
import { StrataError } from '../../../src/domain/errors.ts';
import {
  ancestorsOf,
  baseName,
  basename,
  comparePaths,
  comparePathsBytewise,
  isNormalizedPath,
  isWithin,
  joinPath,
  normalizePath,
  normalizeStrictPath,
  parentOf,
} from '../../../src/domain/fs/paths.ts';
import { classifyTarPath, opaqueTarPath, whiteoutTarPath } from '../../../src/domain/fs/whiteout.ts';

describe('path normalisation inside a root', () => {
  it.each([
    ['etc/passwd', '/etc/passwd'],
    ['/etc/passwd', '/etc/passwd'],
    ['./etc//passwd/', '/etc/passwd'],
    ['etc/./x/../passwd', '/etc/passwd'],
    ['dne/../.wh.etc', '/.wh.etc'],
    ['', '/'],
    ['./', '/'],
    ['/', '/'],
    ['a/b/../../c', '/c'],
  ])('given %j, then both normalisations give %j', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
    expect(normalizeStrictPath(input)).toBe(expected);
    expect(isNormalizedPath(expected)).toBe(true);
  });

  it.each([['..'], ['../etc'], ['/../etc'], ['a/../../etc'], ['./../../../../etc/passwd'], ['/..']])(
    'given %j, which climbs above the root, then normalizePath clamps it and normalizeStrictPath refuses it',
    (input) => {
      expect(normalizePath(input).startsWith('/')).toBe(true);
      expect(normalizePath(input)).not.toContain('..');
      expect(() => normalizeStrictPath(input)).toThrow(StrataError);
    },
  );

  it('given a NUL byte, then VALIDATION', () => {
    expect(() => normalizePath('a\0b')).toThrow(StrataError);
  });

  it('given normalised paths, then parent, base name, ancestors, join and containment follow', () => {
    expect(parentOf('/a/b/c')).toBe('/a/b');
    expect(parentOf('/a')).toBe('/');
    expect(parentOf('/')).toBe('/');
    expect(baseName('/a/b')).toBe('b');
    expect(basename('/')).toBe('');
    expect(ancestorsOf('/a/b/c')).toEqual(['/', '/a', '/a/b']);
    expect(ancestorsOf('/')).toEqual([]);
    expect(joinPath('/', 'a')).toBe('/a');
    expect(joinPath('/a', 'b')).toBe('/a/b');
    expect(isWithin('/a/b', '/a')).toBe(true);
    expect(isWithin('/ab', '/a')).toBe(false);
    expect(isWithin('/x', '/')).toBe(true);
  });

  it.each([['a'], ['/a/'], ['/a//b'], ['/a/./b'], ['/a/../b'], ['//a']])(
    'given %j, then it is not in normal form',
    (p) => {
      expect(isNormalizedPath(p)).toBe(false);
    },
  );

  it('given paths, then path order puts parents before children and siblings by name', () => {
    const sorted = ['/a.txt', '/a/b', '/b', '/a', '/'].sort(comparePaths);
    expect(sorted).toEqual(['/', '/a', '/a/b', '/a.txt', '/b']);
  });

  it('given non-BMP names, then the bytewise order follows UTF-8 bytes', () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const names = ['/\u{1F600}', '/\uFF21'];
    expect([...names].sort(comparePathsBytewise)).toEqual(['/\uFF21', '/\u{1F600}']);
  });
});

describe('whiteout names', () => {
  it.each([
    ['/etc/passwd', { kind: 'path', path: '/etc/passwd' }],
    ['/etc/.wh.shadow', { kind: 'whiteout', path: '/etc/shadow' }],
    ['/.wh.etc', { kind: 'whiteout', path: '/etc' }],
    ['/.wh..hidden', { kind: 'whiteout', path: '/.hidden' }],
    ['/etc/.wh..wh..opq', { kind: 'opaque', path: '/etc' }],
    ['/.wh..wh..opq', { kind: 'opaque', path: '/' }],
    ['/.wh..wh.plnk', { kind: 'meta', path: '/.wh..wh.plnk' }],
    ['/etc/.whatever', { kind: 'path', path: '/etc/.whatever' }],
  ])('given the tar path %j, then it means %j', (tarPath, meaning) => {
    expect(classifyTarPath(tarPath)).toEqual(meaning);
  });

  it.each([['/.wh.'], ['/.wh..'], ['/.wh...'], ['/etc/.wh..'], ['/etc/.wh...']])(
    'given %j, then VALIDATION (containerd errInvalidArchive)',
    (p) => {
      expect(() => classifyTarPath(p)).toThrow(StrataError);
    },
  );

  it('given a path, then its whiteout and opaque markers are where the spec puts them', () => {
    expect(whiteoutTarPath('/etc/shadow')).toBe('/etc/.wh.shadow');
    expect(whiteoutTarPath('/etc')).toBe('/.wh.etc');
    expect(opaqueTarPath('/var')).toBe('/var/.wh..wh..opq');
    expect(() => whiteoutTarPath('/')).toThrow(StrataError);
  });
});

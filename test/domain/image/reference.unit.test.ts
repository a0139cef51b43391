import { describe, expect, it } from 'vitest';
import { StrataError } from '../../../src/domain/errors.ts';
import {
  classifyImageArgument,
  familiarReference,
  isDigestReference,
  isValidTag,
  normalizeReference,
  normalizeTagReference,
  parseReference,
  withTag,
} from '../../../src/domain/image/reference.ts';

const hex = 'a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
const digest = `sha256:${hex}`;

function rejects(input: string, message: string | RegExp) {
  let caught: unknown;
  try {
    parseReference(input);
  } catch (error) {
    caught = error;
  }
  expect(caught, input).toBeInstanceOf(StrataError);
  expect((caught as StrataError).code).toBe('VALIDATION');
  if (typeof message === 'string') expect((caught as StrataError).message).toBe(message);
  else expect((caught as StrataError).message).toMatch(message);
}

describe('normalizeReference', () => {
  it.each([
    ['ubuntu', 'docker.io/library/ubuntu:latest'],
    ['ubuntu:22.04', 'docker.io/library/ubuntu:22.04'],
    ['library/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['docker.io/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['index.docker.io/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['index.docker.io/library/ubuntu:20.04', 'docker.io/library/ubuntu:20.04'],
    ['myorg/app', 'docker.io/myorg/app:latest'],
    ['myorg/team/app:v1', 'docker.io/myorg/team/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/app:v2', 'localhost:5000/app:v2'],
    ['127.0.0.1:5000/a/b', '127.0.0.1:5000/a/b:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
    ['ghcr.io/org/app:1.2.3', 'ghcr.io/org/app:1.2.3'],
    ['registry.example.com/app', 'registry.example.com/app:latest'],
    ['Registry.Example.com/app', 'Registry.Example.com/app:latest'],
    [`ubuntu@${digest}`, `docker.io/library/ubuntu@${digest}`],
    [`ubuntu:22.04@${digest}`, `docker.io/library/ubuntu@${digest}`],
    ['a__b/c--d/e.f_g:T_a.g-1', 'docker.io/a__b/c--d/e.f_g:T_a.g-1'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeReference(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const input of ['ubuntu', 'localhost:5000/app:v2', `myorg/app@${digest}`, 'ghcr.io/a/b:c']) {
      const once = normalizeReference(input);
      expect(normalizeReference(once)).toBe(once);
    }
  });
});

describe('parseReference', () => {
  it('splits domain, path, tag and digest', () => {
    expect(parseReference('localhost:5000/team/app:v1')).toEqual({
      domain: 'localhost:5000',
      path: 'team/app',
      tag: 'v1',
    });
    expect(parseReference(`quay.io/a/b:t@${digest}`)).toEqual({
      domain: 'quay.io',
      path: 'a/b',
      tag: 't',
      digest,
    });
    expect(parseReference('ubuntu')).toEqual({ domain: 'docker.io', path: 'library/ubuntu' });
  });

  it('takes a first element with a dot, a colon or uppercase, or localhost, as the registry', () => {
    expect(parseReference('example.com/app').domain).toBe('example.com');
    expect(parseReference('example:5000/app').domain).toBe('example:5000');
    expect(parseReference('Example/app').domain).toBe('Example');
    expect(parseReference('localhost/app').domain).toBe('localhost');
    expect(parseReference('example/app').domain).toBe('docker.io');
  });

  it('refuses uppercase repository names with Docker wording', () => {
    rejects('Ubuntu', 'invalid reference format: repository name (library/Ubuntu) must be lowercase');
    rejects('myorg/App:v1', 'invalid reference format: repository name (myorg/App) must be lowercase');
    rejects('ghcr.io/Org/app', 'invalid reference format: repository name (Org/app) must be lowercase');
  });

  it('refuses a bare 64-hex string as a repository name', () => {
    rejects(hex, `invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings`);
  });

  it.each([
    [''],
    ['ubuntu:'],
    [':latest'],
    ['ubuntu:-tag'],
    ['ubuntu:.tag'],
    [`ubuntu:${'a'.repeat(129)}`],
    ['ubu ntu'],
    ['ubuntu/'],
    ['/ubuntu'],
    ['a//b'],
    ['a_-b'],
    ['a...b'],
    ['_ubuntu'],
    ['ubuntu-'],
    ['ubuntu@sha256:abc'],
    ['ubuntu@sha256'],
    ['-host.com/app'],
    ['host-.com/app'],
  ])('refuses %j', (input) => {
    rejects(input, /invalid reference format|must have at least one component|digest/);
  });

  it('accepts a 128-character tag and refuses 129', () => {
    expect(parseReference(`app:${'x'.repeat(128)}`).tag).toHaveLength(128);
    rejects(`app:${'x'.repeat(129)}`, 'invalid reference format');
  });

  it('checks digests as go-digest does', () => {
    rejects(`app@sha256:${hex.toUpperCase()}`, 'invalid checksum digest format');
    rejects(`app@sha256:${hex}00`, 'invalid checksum digest length');
    rejects(`app@md5:${'0'.repeat(32)}`, 'unsupported digest algorithm');
    expect(parseReference(`app@sha512:${'0'.repeat(128)}`).digest).toBe(`sha512:${'0'.repeat(128)}`);
  });

  it('limits the repository path to 255 characters', () => {
    const path = `a/${'b'.repeat(253)}`;
    expect(parseReference(`host.io/${path}`).path).toBe(path);
    rejects(`host.io/${path}c`, 'repository name must not be more than 255 characters');
  });

  it('stays fast on long hostile input', () => {
    const start = performance.now();
    rejects(`${'a-'.repeat(5000)}!`, /invalid reference format/);
    rejects(`${'a.'.repeat(5000)}/b!`, /invalid reference format/);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('familiarReference', () => {
  it.each([
    ['docker.io/library/ubuntu:latest', 'ubuntu:latest'],
    ['ubuntu', 'ubuntu'],
    ['docker.io/myorg/app:v1', 'myorg/app:v1'],
    ['docker.io/library/a/b:c', 'library/a/b:c'],
    ['localhost:5000/app:v2', 'localhost:5000/app:v2'],
    [`docker.io/library/ubuntu@${digest}`, `ubuntu@${digest}`],
    ['ghcr.io/library/x:y', 'ghcr.io/library/x:y'],
  ])('%s → %s', (input, expected) => {
    expect(familiarReference(input)).toBe(expected);
  });
});

describe('tags and arguments', () => {
  it('validates tags with the distribution grammar', () => {
    expect(isValidTag('latest')).toBe(true);
    expect(isValidTag('_x.y-Z')).toBe(true);
    expect(isValidTag('-x')).toBe(false);
    expect(isValidTag('a/b')).toBe(false);
    expect(isValidTag('')).toBe(false);
  });

  it('builds tag references', () => {
    expect(withTag('ubuntu', '22.04')).toBe('docker.io/library/ubuntu:22.04');
    expect(() => withTag('ubuntu', 'bad tag')).toThrow('invalid tag format');
    expect(() => withTag('ubuntu:x', 'y')).toThrow('invalid reference format');
  });

  it('refuses to create a tag from a digest reference, as docker tag does', () => {
    expect(normalizeTagReference('myapp')).toBe('docker.io/library/myapp:latest');
    expect(() => normalizeTagReference(`myapp@${digest}`)).toThrow(
      'refusing to create a tag with a digest reference',
    );
  });

  it('tells digest references apart', () => {
    expect(isDigestReference(`a@${digest}`)).toBe(true);
    expect(isDigestReference('a:b')).toBe(false);
  });

  it('classifies image arguments as ids or references', () => {
    expect(classifyImageArgument(hex)).toEqual({ kind: 'id', imageId: digest });
    expect(classifyImageArgument(digest)).toEqual({ kind: 'id', imageId: digest });
    expect(classifyImageArgument('ubuntu')).toEqual({
      kind: 'reference',
      reference: 'docker.io/library/ubuntu:latest',
    });
    expect(classifyImageArgument('a3ed95caeb02')).toEqual({
      kind: 'reference',
      reference: 'docker.io/library/a3ed95caeb02:latest',
    });
  });
});

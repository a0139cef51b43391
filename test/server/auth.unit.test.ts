import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Authenticator,
  assertSafeBinding,
  InsecureBindError,
  isLoopbackHost,
  parseTokenFile,
  parseTokenList,
} from '../../src/server/auth.ts';
import { openServerRequestProblem } from '../../src/server/origin.ts';

const secretA = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const secretB = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('STRATA_TOKENS', () => {
  it('parses name:secret:scope|scope entries, comma-separated', () => {
    const tokens = parseTokenList(` ci:${secretA}:read|write , viewer:${secretB}:read `);
    expect(tokens.map((t) => [t.name, [...t.scopes]])).toEqual([
      ['ci', ['read', 'write']],
      ['viewer', ['read']],
    ]);
    expect(tokens[0]!.hash.toString('hex')).toBe(sha256(secretA));
  });

  it('keeps only a hash of each secret', () => {
    const [token] = parseTokenList(`ci:${secretA}:read`);
    expect(JSON.stringify(token)).not.toContain(secretA);
    expect(Object.values(token!).some((v) => v === secretA)).toBe(false);
  });

  it('reads a secret containing colons, and scopes continued after commas (docker-compose style)', () => {
    const [token] = parseTokenList(`admin:${secretA}:x:y:read,write,admin`);
    expect(token!.hash.toString('hex')).toBe(sha256(`${secretA}:x:y`));
    expect([...token!.scopes]).toEqual(['read', 'write', 'admin']);
  });

  it.each([
    [`ci:${secretA}`, /expected name:secret:scopes/],
    ['read', /expected name:secret:scopes/],
    [`ci:${secretA}:root`, /unknown scope "root"/],
    ['ci:short:read', /shorter than 16 characters/],
    [`c i:${secretA}:read`, /token name "c i"/],
    [`ci:${secretA}:`, /unknown scope ""/],
    [`ci:${secretA}:read,ci:${secretB}:read`, /name "ci" is used twice/],
    [`a:${secretA}:read,b:${secretA}:read`, /reuses another token's secret/],
  ])('rejects %j', (text, message) => {
    expect(() => new Authenticator(parseTokenList(text))).toThrow(message);
  });
});

describe('STRATA_TOKENS_FILE', () => {
  it('accepts sha256 hashes (no secret in the file) or secrets', () => {
    const tokens = parseTokenFile(
      JSON.stringify({
        tokens: [
          { name: 'ci', scopes: ['read', 'write'], sha256: sha256(secretA) },
          { name: 'ops', scopes: ['admin'], secret: secretB },
        ],
      }),
    );
    const auth = new Authenticator(tokens);
    expect(auth.authenticate(`Bearer ${secretA}`)).toMatchObject({ authenticated: true, tokenName: 'ci' });
    expect(auth.authenticate(`Bearer ${secretB}`)).toMatchObject({ authenticated: true, tokenName: 'ops' });
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[]', /expected \{"tokens": \[\.\.\.\]\}/],
    ['{"tokens":[{"name":"a","scopes":["read"]}]}', /exactly one of "secret" or "sha256"/],
    ['{"tokens":[{"name":"a","scopes":["read"],"sha256":"ABC"}]}', /64 lowercase hex/],
    [
      '{"tokens":[{"name":"a","scopes":"read","secret":"xxxxxxxxxxxxxxxxxxxx"}]}',
      /"scopes" must be an array/,
    ],
  ])('rejects %s', (json, message) => {
    expect(() => parseTokenFile(json)).toThrow(message);
  });
});

describe('Authenticator', () => {
  const auth = new Authenticator(parseTokenList(`reader:${secretA}:read,root:${secretB}:admin`));

  it('authenticates a Bearer token and reports its scopes, admin expanded', () => {
    expect(auth.authenticate(`Bearer ${secretA}`)).toEqual({
      required: true,
      authenticated: true,
      tokenName: 'reader',
      scopes: new Set(['read']),
    });
    expect(auth.authenticate(`bearer   ${secretB}`).scopes).toEqual(new Set(['read', 'write', 'admin']));
  });

  it('says why a request is not authenticated', () => {
    expect(auth.authenticate(undefined)).toMatchObject({ authenticated: false, failure: 'missing' });
    expect(auth.authenticate('')).toMatchObject({ failure: 'missing' });
    expect(auth.authenticate(`Basic ${secretA}`)).toMatchObject({ failure: 'malformed' });
    expect(auth.authenticate(`Bearer ${secretA}x`)).toMatchObject({ failure: 'invalid', scopes: new Set() });
  });

  it('allows everything when no tokens are configured', () => {
    const open = new Authenticator([]);
    expect(open.required).toBe(false);
    expect(open.authenticate(undefined)).toEqual({
      required: false,
      authenticated: false,
      scopes: new Set(['read', 'write', 'admin']),
    });
  });
});

describe('binding', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
    },
  );

  it.each(['0.0.0.0', '::', '', '192.168.1.10', 'example.com', '128.0.0.1'])('%j is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback address without tokens', () => {
    expect(() => assertSafeBinding('0.0.0.0', [])).toThrow(InsecureBindError);
    expect(() => assertSafeBinding('0.0.0.0', parseTokenList(`a:${secretA}:read`))).not.toThrow();
    expect(() => assertSafeBinding('127.0.0.1', [])).not.toThrow();
  });
});

describe('open (tokenless) server: Host and Origin', () => {
  it.each([
    ['127.0.0.1:4000', undefined],
    ['localhost:4000', 'http://localhost:4000'],
    ['[::1]:4000', 'http://[::1]:4000'],
    ['127.0.0.1:4000', 'http://127.0.0.1:5173'],
  ])('serves Host %s, Origin %s', (host, origin) => {
    expect(openServerRequestProblem(host, origin)).toBeNull();
  });

  it.each([
    ['attacker.example:4000', undefined, /not a loopback name/],
    [undefined, undefined, /not a loopback name/],
    ['127.0.0.1:4000', 'https://attacker.example', /Cross-origin request/],
    ['127.0.0.1:4000', 'null', /opaque origins/],
  ])('refuses Host %s, Origin %s', (host, origin, message) => {
    expect(openServerRequestProblem(host, origin)).toMatch(message);
  });
});

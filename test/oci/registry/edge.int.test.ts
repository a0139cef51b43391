/**
 * Registry behaviour a real registry will not produce on demand, served by tiny loopback HTTP servers:
 * bad manifests, error bodies, redirects to another host, foreign layers, leaking credentials.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from '../../../src/domain/errors.ts';
import { mediaTypes } from '../../../src/oci/mediaTypes.ts';
import { RegistryClient } from '../../../src/oci/registry/client.ts';
import { RegistryCredentials } from '../../../src/oci/registry/credentials.ts';
import { openImage } from '../../../src/oci/registry/openImage.ts';

const sha256 = (data: Uint8Array | string) =>
  `sha256:${createHash('sha256').update(data).digest('hex')}` as const;

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

interface TinyServer {
  host: string;
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const servers: TinyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  address = '127.0.0.1',
): Promise<TinyServer> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const tiny = {
    host: `${address}:${port}`,
    url: `http://${address}:${port}`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  servers.push(tiny);
  return tiny;
}

/** A second loopback address is another host; fall back to another port when it cannot be bound. */
async function serveElsewhere(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TinyServer> {
  try {
    return await serve(handler, '127.0.0.2');
  } catch {
    return serve(handler);
  }
}

async function caught(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected a StrataError');
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

const manifestServer = (contentType: string, body: string | Buffer, extra: Record<string, string> = {}) =>
  serve((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    res.writeHead(200, { 'content-type': contentType, ...extra }).end(body);
  });

const config = JSON.stringify({
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [sha256('layer-tar')] },
});
const layerBytes = Buffer.from('pretend this is a gzip layer');
const ociManifest = (layer: object) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    config: { mediaType: mediaTypes.ociConfig, digest: sha256(config), size: Buffer.byteLength(config) },
    layers: [layer],
  });

describe('manifest documents a registry must not get away with', () => {
  it('rejects schema1, by Content-Type and by body', async () => {
    const byType = await manifestServer(
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
      '{"schemaVersion":1}',
    );
    const error = await caught(new RegistryClient(byType.host).getManifest('a/b', 'latest'));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/schema1/);
    const byBody = await manifestServer(
      'application/json',
      JSON.stringify({ schemaVersion: 1, name: 'a/b', tag: 'latest', fsLayers: [] }),
    );
    expect((await caught(new RegistryClient(byBody.host).getManifest('a/b', 'latest'))).message).toMatch(
      /schema1/,
    );
  });

  it('rejects a mediaType that disagrees with Content-Type', async () => {
    const server = await manifestServer(
      mediaTypes.ociManifest,
      ociManifest({}).replace(mediaTypes.ociManifest, mediaTypes.dockerManifest),
    );
    const error = await caught(new RegistryClient(server.host).getManifest('a/b', 'latest'));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/disagrees/);
  });

  it('rejects a document that is both a manifest and an index', async () => {
    const body = JSON.stringify({ schemaVersion: 2, manifests: [], layers: [], config: {} });
    const server = await manifestServer(mediaTypes.ociIndex, body);
    const error = await caught(new RegistryClient(server.host).getManifest('a/b', 'latest'));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/ambiguous/);
  });

  it('rejects oversized manifests, announced or not', async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const announced = await manifestServer(mediaTypes.ociManifest, huge, {
      'content-length': String(huge.length),
    });
    expect((await caught(new RegistryClient(announced.host).getManifest('a/b', 'latest'))).message).toMatch(
      /over the 4194304-byte limit/,
    );
    const chunked = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': mediaTypes.ociManifest, 'transfer-encoding': 'chunked' });
      for (let i = 0; i < 5; i++) res.write(huge.subarray(0, 1024 * 1024));
      res.end();
    });
    const error = await caught(new RegistryClient(chunked.host).getManifest('a/b', 'latest'));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/larger than/);
  });

  it('verifies a manifest fetched by digest, and the Docker-Content-Digest of one fetched by tag', async () => {
    const body = ociManifest({
      mediaType: mediaTypes.ociLayerGzip,
      digest: sha256(layerBytes),
      size: layerBytes.length,
    });
    const server = await manifestServer(mediaTypes.ociManifest, body, {
      'docker-content-digest': sha256('something else'),
    });
    const client = new RegistryClient(server.host);
    const byDigest = await caught(client.getManifest('a/b', sha256('another document')));
    expect(byDigest.code).toBe('INTEGRITY');
    const byTag = await caught(client.getManifest('a/b', 'latest'));
    expect(byTag.code).toBe('INTEGRITY');
    expect(byTag.message).toContain(sha256(body));
  });

  it('maps registry error bodies to codes and keeps the registry message', async () => {
    const cases: [number, string, string][] = [
      [429, 'TOOMANYREQUESTS', 'UPSTREAM'],
      [403, 'DENIED', 'FORBIDDEN'],
      [404, 'NAME_UNKNOWN', 'NOT_FOUND'],
      [404, 'MANIFEST_UNKNOWN', 'NOT_FOUND'],
      [503, 'UNAVAILABLE', 'UPSTREAM'],
    ];
    for (const [status, code, expected] of cases) {
      const server = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            errors: [{ code, message: `the registry says ${code.toLowerCase()}`, detail: {} }],
          }),
        );
      });
      const error = await caught(new RegistryClient(server.host).getManifest('a/b', 'latest'));
      expect(error.code).toBe(expected);
      expect(error.message).toContain(`the registry says ${code.toLowerCase()}`);
      expect(error.details.registryCodes).toEqual([code]);
    }
    const plain = await serve((_req, res) => void res.writeHead(502).end('bad gateway'));
    expect((await caught(new RegistryClient(plain.host).getManifest('a/b', 'latest'))).code).toBe('UPSTREAM');
  });

  it('reports an unreachable registry as UPSTREAM', async () => {
    const server = await serve(() => {});
    await server.close();
    servers.pop();
    const error = await caught(new RegistryClient(server.host).ping());
    expect(error.code).toBe('UPSTREAM');
    expect(error.message).toMatch(/cannot reach/);
  });
});

describe('credentials stay with the registry', () => {
  const password = 'hunter2-very-secret';
  const credentials = () => new RegistryCredentials('alice', password);
  const basic = `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`;

  /** A registry with basic auth that redirects blobs to `storage`. */
  async function redirectingRegistry(storage: TinyServer, mode: 'basic' | 'bearer') {
    const token = 'opaque-registry-token-123';
    const registry = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        if (req.headers.authorization !== basic) return void res.writeHead(401).end();
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: token, expires_in: 60 }));
      }
      const expected = mode === 'basic' ? basic : `Bearer ${token}`;
      if (req.headers.authorization !== expected) {
        const challenge =
          mode === 'basic'
            ? 'Basic realm="tiny"'
            : `Bearer realm="http://${req.headers.host}/token",service="tiny",scope="repository:a/b:pull"`;
        return void res
          .writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' })
          .end(
            JSON.stringify({
              errors: [
                {
                  code: 'UNAUTHORIZED',
                  message: `authentication required; you sent ${req.headers.authorization ?? 'nothing'}`,
                },
              ],
            }),
          );
      }
      if (url.pathname.startsWith('/v2/a/b/blobs/')) {
        return void res.writeHead(307, { location: `${storage.url}/storage/blob?sig=abc` }).end();
      }
      res.writeHead(404).end();
    });
    return registry;
  }

  it.each(['basic', 'bearer'] as const)(
    'a blob redirect to another host carries no Authorization (%s)',
    async (mode) => {
      const storage = await serveElsewhere(
        (_req, res) =>
          void res.writeHead(200, { 'content-length': String(layerBytes.length) }).end(layerBytes),
      );
      const registry = await redirectingRegistry(storage, mode);
      const client = new RegistryClient(registry.host, { credentials: credentials() });
      const blob = await collect(
        client.openBlob('a/b', { digest: sha256(layerBytes), size: layerBytes.length }),
      );
      expect(blob.equals(layerBytes)).toBe(true);
      const blobRequests = registry.requests.filter((r) => r.url.startsWith('/v2/a/b/blobs/'));
      expect(blobRequests.at(-1)!.headers.authorization).toBeDefined();
      expect(storage.requests).toHaveLength(1);
      expect(storage.requests[0]!.headers.authorization).toBeUndefined();
      expect(JSON.stringify(storage.requests[0]!.headers)).not.toContain(password);
      if (mode === 'bearer') {
        const tokenRequest = registry.requests.find((r) => r.url.startsWith('/token'))!;
        expect(new URL(tokenRequest.url, 'http://x').searchParams.getAll('scope')).toEqual([
          'repository:a/b:pull',
        ]);
      }
    },
  );

  it('wrong credentials give UNAUTHORIZED with no secret in message, details, JSON or inspect', async () => {
    const registry = await serve((req, res) => {
      // a hostile registry echoing what it received
      res.writeHead(401, { 'www-authenticate': 'Basic realm="x"', 'content-type': 'application/json' }).end(
        JSON.stringify({
          errors: [
            { code: 'UNAUTHORIZED', message: `bad: ${req.headers.authorization ?? ''} / ${password}` },
          ],
        }),
      );
    });
    const client = new RegistryClient(registry.host, { credentials: credentials() });
    const error = await caught(client.getManifest('a/b', 'latest'));
    expect(error.code).toBe('UNAUTHORIZED');
    const shown = [
      error.message,
      JSON.stringify(error.details),
      JSON.stringify(error),
      inspect(error),
      error.stack ?? '',
    ].join('\n');
    expect(shown).not.toContain(password);
    expect(shown).not.toContain(basic.slice(6));
    expect(error.message).toContain('credentials were rejected');
    expect(JSON.stringify(client)).not.toContain(password);
    expect(inspect(client, { showHidden: true, depth: 5 })).not.toContain(password);
    expect(JSON.stringify(credentials())).not.toContain(password);
    expect(inspect(credentials(), { showHidden: true })).not.toContain(password);
  });

  it('without credentials, a 401 says none are configured', async () => {
    const registry = await serve(
      (_req, res) => void res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end(),
    );
    const error = await caught(
      new RegistryClient(registry.host, { credentials: null }).getManifest('a/b', 'latest'),
    );
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toMatch(/no credentials configured/);
    expect(registry.requests).toHaveLength(1);
  });

  it('foreign layers are rejected by default, and fetched from their URL without credentials when allowed', async () => {
    const foreign = await serveElsewhere((_req, res) => void res.writeHead(200).end(layerBytes));
    const layer = {
      mediaType: mediaTypes.ociForeignLayerGzip,
      digest: sha256(layerBytes),
      size: layerBytes.length,
      urls: [`${foreign.url}/layers/windows.tar.gz`],
    };
    const manifest = ociManifest(layer);
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== basic)
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end();
      if (req.url === '/v2/a/b/manifests/latest')
        return void res.writeHead(200, { 'content-type': mediaTypes.ociManifest }).end(manifest);
      if (req.url === `/v2/a/b/blobs/${sha256(config)}`) return void res.writeHead(200).end(config);
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
    });
    const target = { registry: registry.host, repository: 'a/b', tag: 'latest' };
    const rejected = await caught(openImage(target, { credentials: credentials() }));
    expect(rejected.code).toBe('VALIDATION');
    expect(rejected.message).toMatch(/foreign/);
    expect(foreign.requests).toHaveLength(0);

    const image = await openImage(target, { credentials: credentials(), allowForeignLayers: true });
    expect(image.layers[0]!.foreign).toBe(true);
    expect((await collect(image.openBlob(image.layers[0]!))).equals(layerBytes)).toBe(true);
    expect(foreign.requests).toHaveLength(1);
    expect(foreign.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('refuses a token realm over plain HTTP on a non-loopback host', async () => {
    const registry = await serve(
      (_req, res) =>
        void res
          .writeHead(401, {
            'www-authenticate': 'Bearer realm="http://auth.example.invalid/token",service="x"',
          })
          .end(),
    );
    const error = await caught(new RegistryClient(registry.host, { credentials: credentials() }).ping());
    expect(error.code).toBe('UPSTREAM');
    expect(error.message).toMatch(/must use HTTPS/);
  });

  it('reaches a loopback registry named localhost over plain HTTP', async () => {
    const registry = await serve((_req, res) => void res.writeHead(200).end('{}'));
    const client = new RegistryClient(`localhost:${registry.host.split(':')[1]}`);
    expect(client.baseUrl.protocol).toBe('http:');
    await client.ping();
    expect(registry.requests).toHaveLength(1);
  });
});

/**
 * Fixture images built with real tools, cached outside the repo:
 *  - small (seconds): umoci on a busybox-static rootfs (scripts/fixtures/build-small.sh) plus a
 *    hand-built layer with whiteouts and an opaque dir; tags base, app1, app2 (sharing base's layer),
 *    whiteouts, and `multi`, an OCI index of base for linux/amd64, linux/arm64 and linux/arm/v7.
 *  - large (minutes, opt-in): a Debian minbase rootfs by debootstrap (scripts/fixtures/build-large.sh).
 * Cache: $STRATA_FIXTURES_CACHE, else $XDG_CACHE_HOME/strata-fixtures, else ~/.cache/strata-fixtures.
 *
 *   const layout = await smallFixtureLayout();               // OCI layout dir (read-only: copy before writing)
 *   const pushed = await pushFixtures(registry);            // skopeo copy into a TestRegistry, v2s2 + oci
 *   openImage(pushed.app1.oci) / openImage(pushed.multi.v2s2, { platform: 'linux/arm64' })
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Digest } from '../../src/domain/digest.ts';
import type { ImageTarget } from '../../src/oci/registry/openImage.ts';
import type { TestRegistry } from './registry.ts';
import { requiredInCi } from './registry.ts';
import { buildTar, dir, file, opaque, whiteout } from './tarBuilder.ts';

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtureScripts = join(repoRoot, 'scripts/fixtures');

/** Bump to rebuild every cached small fixture. */
const smallFixtureVersion = 3;

export const smallImages = ['base', 'app1', 'app2', 'whiteouts'] as const;
export type SmallImage = (typeof smallImages)[number];
export type FixtureName = SmallImage | 'multi';

export const multiPlatforms = [
  { tag: 'base', platform: { os: 'linux', architecture: 'amd64' } },
  { tag: 'base-arm64', platform: { os: 'linux', architecture: 'arm64' } },
  { tag: 'base-armv7', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
] as const;

export const fixtureCacheDir = (): string =>
  process.env.STRATA_FIXTURES_CACHE ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'strata-fixtures');

export const hasFixtureTools = (): boolean =>
  requiredInCi(
    'umoci, skopeo or busybox',
    ['/usr/bin/umoci', '/usr/bin/skopeo'].every((p) => existsSync(p)) &&
      (existsSync('/bin/busybox') || existsSync('/usr/bin/busybox')),
  );

/** The hand-built layer: whiteouts of a file and a dir, an opaque dir with a new file, a changed file. */
export function whiteoutLayerTar(): Uint8Array {
  const mtime = 1_704_067_200;
  return buildTar([
    dir('data', { mtime }),
    whiteout('data/gone.txt', { mtime }),
    whiteout('data/gonedir', { mtime }),
    dir('data/keep', { mtime }),
    file('data/keep/b.txt', 'b2\n', { mtime }),
    dir('data/opaque', { mtime }),
    opaque('data/opaque', { mtime }),
    file('data/opaque/fresh.txt', 'fresh\n', { mtime }),
  ]);
}

let smallLayout: Promise<string> | undefined;

/** Builds (once per machine, cached) the small fixture OCI layout and returns its directory. */
export function smallFixtureLayout(): Promise<string> {
  smallLayout ??= buildSmallLayout();
  return smallLayout;
}

async function buildSmallLayout(): Promise<string> {
  const script = await readFile(join(fixtureScripts, 'build-small.sh'));
  const busybox = existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';
  const key = createHash('sha256')
    .update(`${smallFixtureVersion}\0`)
    .update(script)
    .update(whiteoutLayerTar())
    .update(await readFile(busybox))
    .digest('hex')
    .slice(0, 16);
  const root = fixtureCacheDir();
  const final = join(root, `small-${key}`);
  if (existsSync(join(final, 'layout', 'index.json'))) return join(final, 'layout');
  await mkdir(root, { recursive: true });
  const work = await mkdtemp(join(root, '.build-small-'));
  try {
    await writeFile(join(work, 'whiteouts.tar'), whiteoutLayerTar());
    await run(
      'sh',
      [join(fixtureScripts, 'build-small.sh'), join(work, 'layout'), join(work, 'whiteouts.tar'), busybox],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    await addIndex(join(work, 'layout'), 'multi', multiPlatforms);
    await rm(join(work, 'whiteouts.tar'));
    try {
      await rename(work, final);
    } catch (error) {
      // another worker finished first: use theirs
      if (!existsSync(join(final, 'layout', 'index.json'))) throw error;
      await rm(work, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
  return join(final, 'layout');
}

interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: {
    mediaType: string;
    digest: Digest;
    size: number;
    annotations?: Record<string, string>;
    platform?: object;
  }[];
}

/** Writes an OCI index over tagged manifests of a layout and tags it `name`. */
async function addIndex(
  layout: string,
  name: string,
  entries: readonly { tag: string; platform: { os: string; architecture: string; variant?: string } }[],
): Promise<void> {
  const indexPath = join(layout, 'index.json');
  const top = JSON.parse(await readFile(indexPath, 'utf8')) as LayoutIndex;
  const manifests = entries.map(({ tag, platform }) => {
    const found = top.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
    if (!found) throw new Error(`fixture layout has no tag ${tag}`);
    return { mediaType: found.mediaType, digest: found.digest, size: found.size, platform };
  });
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
  );
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(layout, 'blobs/sha256', hex), bytes);
  top.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: `sha256:${hex}`,
    size: bytes.byteLength,
    annotations: { 'org.opencontainers.image.ref.name': name },
  });
  await writeFile(indexPath, JSON.stringify(top));
}

export type PushedFixtures = Record<FixtureName, { v2s2: ImageTarget; oci: ImageTarget }>;

export interface PushFixturesOptions {
  credentials?: { username: string; password: string };
  images?: readonly FixtureName[];
  /** Repository prefix (default `fixtures`). */
  prefix?: string;
}

/**
 * Copies the small fixtures into a test registry with skopeo, in both Docker schema2 (`--format v2s2`,
 * tag `v2s2`) and OCI (`--format oci`, tag `oci`) form; `multi` as an index / manifest list (`--all`).
 */
export async function pushFixtures(
  registry: TestRegistry,
  options: PushFixturesOptions = {},
): Promise<PushedFixtures> {
  const layout = await smallFixtureLayout();
  const prefix = options.prefix ?? 'fixtures';
  const images = options.images ?? [...smallImages, 'multi'];
  const out = {} as PushedFixtures;
  for (const image of images) {
    const repository = `${prefix}/${image}`;
    for (const format of ['v2s2', 'oci'] as const) {
      await skopeo([
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--format',
        format,
        ...(image === 'multi' ? ['--all'] : []),
        ...(options.credentials
          ? ['--dest-creds', `${options.credentials.username}:${options.credentials.password}`]
          : []),
        `oci:${layout}:${image}`,
        `docker://${registry.host}/${repository}:${format}`,
      ]);
    }
    out[image] = {
      v2s2: { registry: registry.host, repository, tag: 'v2s2' },
      oci: { registry: registry.host, repository, tag: 'oci' },
    };
  }
  return out;
}

let policyPath: Promise<string> | undefined;

/** Runs skopeo with an accept-anything signature policy of our own (no reliance on /etc/containers). */
export async function skopeo(args: readonly string[]): Promise<string> {
  policyPath ??= (async () => {
    const root = fixtureCacheDir();
    await mkdir(root, { recursive: true });
    const path = join(root, 'skopeo-policy.json');
    if (!existsSync(path)) {
      const temporary = `${path}.${process.pid}`;
      await writeFile(temporary, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
      await rename(temporary, path);
    }
    return path;
  })();
  const [command, ...rest] = args;
  const { stdout } = await run('skopeo', ['--policy', await policyPath, command!, ...rest], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, REGISTRY_AUTH_FILE: join(tmpdir(), 'strata-skopeo-no-auth.json') },
  });
  return stdout;
}

export async function umoci(args: readonly string[]): Promise<string> {
  const { stdout } = await run('umoci', [...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The large fixture's OCI layout (built by scripts/fixtures/build-large.sh), or null when not built. */
export function largeFixtureLayout(): string | null {
  const path = join(fixtureCacheDir(), 'large', 'layout');
  return existsSync(join(path, 'index.json')) ? path : null;
}

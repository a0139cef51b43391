import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writableLayerEntries } from '../../src/domain/container/layerEntries.ts';
import { isLive } from '../../src/domain/container/state.ts';
import { type Digest, sha256Digest } from '../../src/domain/digest.ts';
import type { FsNode, LayerEntry } from '../../src/domain/fs/node.ts';
import { parentOf } from '../../src/domain/fs/paths.ts';
import { applyLayer, mergeLayers } from '../../src/domain/fs/union.ts';
import { parseReference } from '../../src/domain/image/reference.ts';
import { readLayer } from '../../src/layers/readLayer.ts';
import {
  catalogueImage,
  generateHistory,
  type History,
  HistoryBuilder,
  type HistoryStep,
  historyArbitrary,
  historyFromScript,
  makeLayer,
  nodeKey,
  pathPool,
} from './histories.ts';
import { type OracleWorld, type RecordedEvent, replay, replayAt } from './oracle.ts';

const T = 1_700_000_000;
const secondsOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const types = (step: HistoryStep) => step.events.map((e) => e.type);

/** A small hand-made world: entries are written out, contents registered in the builder. */
function handWorld(b: HistoryBuilder) {
  const content = (text: string): Digest => {
    const digest = sha256Digest(text);
    b.contents.set(digest, text);
    return digest;
  };
  const dirNode = (path: string, over: Partial<FsNode> = {}): FsNode => ({
    path,
    type: 'dir',
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: T,
    ...over,
  });
  const fileNode = (path: string, text: string, over: Partial<FsNode> = {}): FsNode => ({
    path,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: Buffer.byteLength(text),
    digest: content(text),
    mtime: T,
    ...over,
  });
  const node = (n: FsNode): LayerEntry => ({ kind: 'node', node: n });
  const base = makeLayer(
    [
      node(dirNode('/etc')),
      node(fileNode('/etc/passwd', 'root:x:0:0\n')),
      node(dirNode('/bin')),
      node(fileNode('/bin/sh', '#!sh\n', { mode: 0o755 })),
      node({
        path: '/bin/busybox',
        type: 'hardlink',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: 0,
        linkTarget: '/bin/sh',
        mtime: T,
      }),
      node(dirNode('/data', { mode: 0o750 })),
      node(fileNode('/data/a', 'a\n')),
      node(dirNode('/data/sub')),
      node(fileNode('/data/sub/b', 'b\n')),
      node({
        path: '/link',
        type: 'symlink',
        mode: 0o777,
        uid: 0,
        gid: 0,
        size: 0,
        linkTarget: 'etc',
        mtime: T,
      }),
    ],
    { index: 0, mtime: T, contents: b.contents },
  );
  const hosts = makeLayer([node(fileNode('/etc/hosts', '127.0.0.1 localhost\n', { mtime: T + 1000 }))], {
    index: 1,
    parent: base,
    mtime: T + 1000,
    contents: b.contents,
  });
  const slim = makeLayer(
    [
      { kind: 'whiteout', path: '/etc/passwd' },
      { kind: 'opaque', path: '/data' },
      node(fileNode('/data/fresh', 'fresh\n', { mtime: T + 2000 })),
      { kind: 'whiteout', path: '/link' },
    ],
    { index: 2, parent: base, mtime: T + 2000, contents: b.contents },
  );
  const app = catalogueImage(hosts.stack, 'app');
  const slimImage = catalogueImage(slim.stack, 'slim');
  const baseImage = catalogueImage(base.stack, 'base');
  return { base, hosts, slim, app, slimImage, baseImage, fileNode, dirNode };
}

function setUp(b: HistoryBuilder) {
  const world = handWorld(b);
  for (const layer of [world.base, world.hosts, world.slim])
    expect(b.run({ kind: 'registerLayer', layer }).error).toBeUndefined();
  return world;
}

const pull = (image: { config: string; manifestDigest: Digest }, reference?: string) =>
  ({
    kind: 'pullImage',
    config: image.config,
    manifestDigest: image.manifestDigest,
    ...(reference && { reference }),
  }) as const;

const keysOf = (tree: ReadonlyMap<string, FsNode> | undefined) => (tree ? [...tree.keys()] : undefined);

describe('oracle: the Docker story, by hand', () => {
  const b = new HistoryBuilder('story');
  const w = setUp(b);
  const appPulled = b.run(pull(w.app, 'app:v1'));
  const createWeb = b.run({
    kind: 'createContainer',
    containerId: b.nextContainerId(),
    name: 'web',
    image: 'app:v1',
  });
  const webId = (createWeb.command as { containerId: string }).containerId;
  const write = b.run({ kind: 'writeFile', container: 'web', path: '/etc/app.conf', content: 'x=1\n' });
  const start1 = b.run({ kind: 'startContainer', container: 'web' });
  const stop = b.run({ kind: 'stopContainer', container: 'web', exitCode: 143 });
  const start2 = b.run({ kind: 'startContainer', container: 'web' });
  const createRedis = b.run({
    kind: 'createContainer',
    containerId: b.nextContainerId(),
    name: 'redis',
    image: w.app.imageId,
  });
  const redisId = (createRedis.command as { containerId: string }).containerId;
  const refusedRm = b.run({ kind: 'removeContainer', container: 'web', force: false });
  const forcedRm = b.run({ kind: 'removeContainer', container: 'web', force: true });
  const recreate = b.run({
    kind: 'createContainer',
    containerId: b.nextContainerId(),
    name: 'web',
    image: 'app:v1',
  });
  const newWebId = (recreate.command as { containerId: string }).containerId;
  const events = b.events;
  const at = (step: HistoryStep) => replay(events, step.position, b.layerEntries);
  const appConf: FsNode = {
    path: '/etc/app.conf',
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 4,
    digest: sha256Digest('x=1\n'),
    mtime: secondsOf(write.now),
  };
  const imageKeys = [
    '/',
    '/bin',
    '/bin/busybox',
    '/bin/sh',
    '/data',
    '/data/a',
    '/data/sub',
    '/data/sub/b',
    '/etc',
    '/etc/hosts',
    '/etc/passwd',
    '/link',
  ];

  it('records the steps the deciders decided', () => {
    expect(types(appPulled)).toEqual(['ImageCreated', 'ImageTagged', 'TagAssigned']);
    expect(types(createWeb)).toEqual(['ContainerCreated', 'ContainerNameClaimed']);
    expect(types(write)).toEqual(['ContainerPathWritten', 'ContainerPathWritten']);
    expect(write.events.map((e) => (e.data as { path: string }).path)).toEqual(['/etc', '/etc/app.conf']);
    expect(refusedRm.error?.code).toBe('CONFLICT');
    expect(refusedRm.events).toEqual([]);
    expect(types(forcedRm)).toEqual(['ContainerStopped', 'ContainerRemoved', 'ContainerNameReleased']);
    expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
  });

  it('the image: tags, layers, merged tree (hardlink resolved, symlink kept raw)', () => {
    const world = at(appPulled);
    const image = world.images.get(w.app.imageId)!;
    expect(image.repoTags).toEqual(['docker.io/library/app:v1']);
    expect(image.repoDigests).toEqual([`docker.io/library/app@${w.app.manifestDigest}`]);
    expect(image.diffIds).toEqual([w.base.diffId, w.hosts.diffId]);
    expect(image.chainIds).toEqual(w.app.chainIds);
    expect(image.deleted).toBe(false);
    expect(world.tags).toEqual(new Map([['docker.io/library/app:v1', w.app.imageId]]));
    expect([...world.layers.keys()]).toEqual([w.base.diffId, w.hosts.diffId, w.slim.diffId]);
    const tree = world.imageTree(w.app.imageId)!;
    expect(keysOf(tree)).toEqual(imageKeys);
    expect(tree.get('/bin/busybox')).toEqual({
      path: '/bin/busybox',
      type: 'hardlink',
      linkTarget: '/bin/sh',
      mode: 0o755,
      uid: 0,
      gid: 0,
      size: 5,
      digest: sha256Digest('#!sh\n'),
      mtime: T,
    });
    expect(tree.get('/link')).toEqual({
      path: '/link',
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      size: 0,
      linkTarget: 'etc',
      mtime: T,
    });
    expect(tree.get('/')).toEqual({ path: '/', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 });
  });

  it('a created container sees its image, and nothing has changed', () => {
    const world = at(createWeb);
    const web = world.container('web')!;
    expect(web).toMatchObject({
      containerId: webId,
      name: 'web',
      imageId: w.app.imageId,
      imageReference: 'app:v1',
      status: 'created',
      removed: false,
      restartCount: 0,
    });
    expect(world.containerNames).toEqual(new Map([['web', webId]]));
    expect(keysOf(world.containerTree('web'))).toEqual(imageKeys);
    expect(world.containerChanges('web')).toEqual([]);
  });

  it('a written file is in the container: copy-up of /etc, A and C in docker diff', () => {
    const world = at(write);
    const tree = world.containerTree(webId)!;
    expect(tree.get('/etc/app.conf')).toEqual(appConf);
    expect(tree.get('/etc')).toEqual(world.imageTree(w.app.imageId)!.get('/etc'));
    expect(world.containerLookup('web', '/etc/app.conf')).toEqual(appConf);
    expect(world.containerList('web', '/etc').map((n) => n.path)).toEqual([
      '/etc/app.conf',
      '/etc/hosts',
      '/etc/passwd',
    ]);
    expect(world.containerChanges('web')).toEqual([
      { kind: 'C', path: '/etc' },
      { kind: 'A', path: '/etc/app.conf' },
    ]);
  });

  it('stop and start again: still there; exit code and states follow', () => {
    expect(at(start1).container('web')).toMatchObject({
      status: 'running',
      exitCode: 0,
      startedAt: start1.now,
    });
    expect(at(stop).container('web')).toMatchObject({
      status: 'exited',
      exitCode: 143,
      finishedAt: stop.now,
    });
    const world = at(start2);
    expect(world.container('web')).toMatchObject({
      status: 'running',
      exitCode: 0,
      startedAt: start2.now,
      restartCount: 0,
    });
    expect(world.containerTree('web')!.get('/etc/app.conf')).toEqual(appConf);
  });

  it('a second container from the same image does not see the file; the image is unchanged', () => {
    const world = at(createRedis);
    expect(world.container('redis')!.containerId).toBe(redisId);
    expect(world.containerTree('redis')!.has('/etc/app.conf')).toBe(false);
    expect(keysOf(world.containerTree('redis'))).toEqual(imageKeys);
    expect(world.containerChanges('redis')).toEqual([]);
    const imageTree = world.imageTree(w.app.imageId)!;
    expect(imageTree.has('/etc/app.conf')).toBe(false);
    expect([...imageTree.values()].map(nodeKey)).toEqual(
      [...mergeLayers([w.base.entries, w.hosts.entries]).values()].map(nodeKey),
    );
  });

  it('removed: gone now, still visible as of before the removal', () => {
    const world = at(forcedRm);
    expect(world.container('web')).toBeUndefined();
    expect(world.containerTree('web')).toBeUndefined();
    expect(world.containerTree(webId)).toBeUndefined();
    expect(world.containerChanges(webId)).toBeUndefined();
    expect(world.containers.get(webId)).toMatchObject({ status: 'removed', removed: true, exitCode: 137 });
    expect(world.containerNames).toEqual(new Map([['redis', redisId]]));
    expect(world.liveContainers().map((c) => c.name)).toEqual(['redis']);

    const before = replay(events, forcedRm.position - forcedRm.events.length, b.layerEntries);
    expect(before.container('web')).toMatchObject({ status: 'running' });
    expect(before.containerTree('web')!.get('/etc/app.conf')).toEqual(appConf);
    // Between the kill and the removal (inside the forced rm's append): exited, still there.
    const killed = replay(events, forcedRm.events[0]!.position, b.layerEntries);
    expect(killed.container('web')).toMatchObject({ status: 'exited', exitCode: 137 });
  });

  it('a new container may take the freed name: a different container, without the file', () => {
    const world = at(recreate);
    expect(world.container('web')!.containerId).toBe(newWebId);
    expect(newWebId).not.toBe(webId);
    expect(world.containerTree('web')!.has('/etc/app.conf')).toBe(false);
    expect(at(start2).container('web')!.containerId).toBe(webId);
  });

  it('as of position 0 nothing exists; positions past the end are the end', () => {
    const empty = replay(events, 0, b.layerEntries);
    expect(empty.images.size + empty.containers.size + empty.tags.size + empty.layers.size).toBe(0);
    const end = replay(events, 1e9, b.layerEntries);
    expect(
      end
        .liveContainers()
        .map((c) => c.containerId)
        .sort(),
    ).toEqual([newWebId, redisId].sort());
  });
});

describe('oracle: whiteouts and opaque directories', () => {
  const b = new HistoryBuilder('opaque');
  const w = setUp(b);
  b.run(pull(w.app, 'app:v1'));
  const create = b.run({
    kind: 'createContainer',
    containerId: b.nextContainerId(),
    name: 'web',
    image: 'app:v1',
  });
  const rm = b.run({ kind: 'remove', container: 'web', path: '/data', recursive: true });
  const mkdir = b.run({ kind: 'mkdir', container: 'web', path: '/data', parents: false });
  const write = b.run({ kind: 'writeFile', container: 'web', path: '/data/new', content: 'n' });
  const at = (step: HistoryStep) => replay(b.events, step.position, b.layerEntries);

  it('rm -r of a lower directory leaves a whiteout: the subtree is gone, docker diff shows D', () => {
    expect(rm.events.map((e) => [e.type, e.data])).toEqual([
      ['ContainerPathRemoved', { path: '/data', whiteout: true, operation: 'remove' }],
    ]);
    const world = at(rm);
    const keys = keysOf(world.containerTree('web'))!;
    expect(keys.filter((p) => p.startsWith('/data'))).toEqual([]);
    expect(world.containerChanges('web')).toEqual([{ kind: 'D', path: '/data' }]);
    expect(world.containerLookup('web', '/data/sub/b')).toBeUndefined();
  });

  it('re-creating the directory makes it opaque: the lower children stay hidden', () => {
    expect(types(mkdir)).toEqual(['ContainerPathWritten', 'ContainerDirectoryOpaqued']);
    const world = at(mkdir);
    const tree = world.containerTree('web')!;
    expect(tree.get('/data')).toEqual({
      path: '/data',
      type: 'dir',
      mode: 0o755,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: secondsOf(mkdir.now),
    });
    expect(keysOf(tree)!.filter((p) => p.startsWith('/data'))).toEqual(['/data']);
    expect(world.containerList('web', '/data')).toEqual([]);
    expect(world.containerChanges('web')).toEqual([
      { kind: 'C', path: '/data' },
      { kind: 'D', path: '/data/a' },
      { kind: 'D', path: '/data/sub' },
    ]);
  });

  it('a file written in the opaque directory is all it holds; the commit changeset agrees', () => {
    const world = at(write);
    const tree = world.containerTree('web')!;
    expect(keysOf(tree)!.filter((p) => p.startsWith('/data'))).toEqual(['/data', '/data/new']);
    expect(world.containerList('web', '/data').map((n) => n.path)).toEqual(['/data/new']);
    const state = world.container('web')!.state;
    if (!isLive(state)) throw new Error('expected a live container');
    const committed = applyLayer(world.imageTree(w.app.imageId)!, writableLayerEntries(state.layer));
    expect([...committed.values()].map(nodeKey)).toEqual([...tree.values()].map(nodeKey));
  });

  it('time travel: before the mkdir no /data, before the rm the whole lower subtree', () => {
    expect(at(rm).containerTree('web')!.has('/data')).toBe(false);
    const before = at(create).containerTree('web')!;
    expect(keysOf(before)!.filter((p) => p.startsWith('/data'))).toEqual([
      '/data',
      '/data/a',
      '/data/sub',
      '/data/sub/b',
    ]);
    expect(before.get('/data')!.mode).toBe(0o750);
  });

  it('image layers: a whiteout deletes a lower file and a symlink, an opaque marker hides lower content', () => {
    b.run(pull(w.slimImage, 'slim'));
    const world = replay(b.events, b.lastPosition, b.layerEntries);
    const tree = world.imageTree(w.slimImage.imageId)!;
    expect(keysOf(tree)).toEqual(['/', '/bin', '/bin/busybox', '/bin/sh', '/data', '/data/fresh', '/etc']);
    // The opaque directory keeps its own (lower) attributes.
    expect(tree.get('/data')).toMatchObject({ type: 'dir', mode: 0o750, mtime: T });
    expect(world.images.get(w.slimImage.imageId)!.repoTags).toEqual(['docker.io/library/slim:latest']);
    // The two images share the base layer's ChainID.
    expect(world.images.get(w.slimImage.imageId)!.chainIds[0]).toBe(
      world.images.get(w.app.imageId)!.chainIds[0],
    );
  });
});

describe('oracle: tags and rmi over time', () => {
  const b = new HistoryBuilder('tags');
  const w = setUp(b);
  const a = w.baseImage;
  const bImage = w.app;
  const pullA = b.run(pull(a, 'app:v1'));
  const tagLatest = b.run({ kind: 'tagImage', source: 'app:v1', target: 'app:latest' });
  const pullB = b.run(pull(bImage, 'app:v1'));
  b.run({ kind: 'createContainer', containerId: b.nextContainerId(), name: 'web', image: 'app:latest' });
  b.run({ kind: 'startContainer', container: 'web' });
  const refused = b.run({ kind: 'removeImage', image: 'app:latest', force: false });
  const forced = b.run({ kind: 'removeImage', image: 'app:latest', force: true });
  b.run({ kind: 'removeContainer', container: 'web', force: true });
  const byId = b.run({ kind: 'removeImage', image: a.imageId, force: false });
  const gone = b.run({
    kind: 'createContainer',
    containerId: b.nextContainerId(),
    name: 'api',
    image: a.imageId,
  });
  const at = (step: HistoryStep) => replay(b.events, step.position, b.layerEntries);

  it('a moved tag leaves the old image its other tag', () => {
    expect(at(pullA).images.get(a.imageId)!.repoTags).toEqual(['docker.io/library/app:v1']);
    expect(at(tagLatest).images.get(a.imageId)!.repoTags).toEqual([
      'docker.io/library/app:latest',
      'docker.io/library/app:v1',
    ]);
    expect(types(pullB)).toEqual(['ImageCreated', 'ImageTagged', 'TagAssigned', 'ImageUntagged']);
    const world = at(pullB);
    expect(world.images.get(a.imageId)!.repoTags).toEqual(['docker.io/library/app:latest']);
    expect(world.images.get(bImage.imageId)!.repoTags).toEqual(['docker.io/library/app:v1']);
    expect(world.tags).toEqual(
      new Map([
        ['docker.io/library/app:latest', a.imageId],
        ['docker.io/library/app:v1', bImage.imageId],
      ]),
    );
  });

  it('rmi of the last tag of a used image needs force; forced, a running container keeps it untagged', () => {
    expect(refused.error?.code).toBe('CONFLICT');
    expect(refused.events).toEqual([]);
    expect(types(forced)).toEqual(['ImageUntagged', 'ImageUntagged', 'TagReleased']);
    const world = at(forced);
    expect(world.images.get(a.imageId)).toMatchObject({ repoTags: [], repoDigests: [], deleted: false });
    expect(world.tags.has('docker.io/library/app:latest')).toBe(false);
    expect(world.container('web')!.imageId).toBe(a.imageId);
  });

  it('rmi by id once unused deletes it; as of before, it is still there', () => {
    expect(types(byId)).toEqual(['ImageDeleted']);
    const world = at(byId);
    expect(world.images.get(a.imageId)).toMatchObject({ deleted: true, repoTags: [] });
    expect(world.imageTree(a.imageId)).toBeDefined();
    expect(gone.error?.code).toBe('NOT_FOUND');
    expect(at(refused).images.get(a.imageId)).toMatchObject({
      deleted: false,
      repoTags: ['docker.io/library/app:latest'],
    });
  });
});

describe('oracle: replay semantics', () => {
  const history = generateHistory(11, 80);

  it('ignores the input order and every event past upTo', () => {
    const shuffled = [...history.events].reverse();
    const p = Math.floor(history.lastPosition / 2);
    expect(summary(replay(shuffled, p, history.layerEntries))).toEqual(
      summary(replay(history.events.slice(0, p), 1e9, history.layerEntries)),
    );
  });

  it('replayAt gives the worlds replay gives', () => {
    const positions = [0, 1, 5, 17, history.lastPosition - 1, history.lastPosition];
    const worlds = replayAt(history.events, positions, history.layerEntries);
    for (const p of positions)
      expect(summary(worlds.get(p)!)).toEqual(summary(replay(history.events, p, history.layerEntries)));
  });

  it('refuses unknown streams and event types, and repeated positions', () => {
    const event: RecordedEvent = { stream: 'image-00', position: 1, type: 'ImageExploded', data: {} };
    expect(() => replay([event], 1, history.layerEntries)).toThrow(/unknown event type/);
    expect(() => replay([{ ...event, stream: 'session-1' }], 1, history.layerEntries)).toThrow(
      /unknown stream/,
    );
    expect(() => replay([history.events[0]!, history.events[0]!], 5, history.layerEntries)).toThrow(
      /after position/,
    );
  });
});

describe('histories', () => {
  it('layers: readLayer reads each tar back to the entries and digests the history holds', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const history = generateHistory(seed, 0);
      for (const layer of history.layers) {
        const read = await readLayer(Readable.from([layer.blob]));
        expect(read.diffId).toBe(layer.diffId);
        expect(read.digest).toBe(layer.digest);
        expect(read.size).toBe(layer.registered.size);
        expect(JSON.parse(JSON.stringify(read.entries))).toEqual(JSON.parse(JSON.stringify(layer.entries)));
        // Layers are generated so that spec and moby whiteout modes agree.
        const lower = mergeLayers(layer.stack.slice(0, -1).map((d) => history.layerEntries(d)));
        const spec = applyLayer(lower, layer.entries, { whiteoutMode: 'spec' });
        const moby = applyLayer(lower, layer.entries, { whiteoutMode: 'moby' });
        expect([...spec.values()].map(nodeKey)).toEqual([...moby.values()].map(nodeKey));
      }
    }
  });

  it('are deterministic for a seed and for a script', () => {
    const a = generateHistory(5, 60);
    const b = generateHistory(5, 60);
    expect(JSON.stringify(a.events)).toBe(JSON.stringify(b.events));
    expect(a.steps.map((s) => s.command)).toEqual(b.steps.map((s) => s.command));
    const script = { world: [3, 1, 4, 1, 5, 9, 2, 6], steps: [[0], [1, 2, 3], [7, 7, 7, 7], [2, 0, 1]] };
    expect(JSON.stringify(historyFromScript(script).events)).toBe(
      JSON.stringify(historyFromScript(script).events),
    );
  });

  it('an empty script still makes a world: two layers, one image, pulled', () => {
    const history = historyFromScript({ world: [], steps: [] });
    expect(history.layers).toHaveLength(2);
    expect(history.images).toHaveLength(1);
    expect(history.steps.map((s) => s.command.kind)).toEqual(['registerLayer', 'registerLayer', 'pullImage']);
  });

  it('cover the commands, their refusals and the events (a long seeded run)', () => {
    const history = generateHistory(3, 3000);
    const kinds = new Set(history.steps.map((s) => s.command.kind));
    for (const kind of [
      'createContainer',
      'startContainer',
      'stopContainer',
      'restartContainer',
      'pauseContainer',
      'unpauseContainer',
      'removeContainer',
      'writeFile',
      'appendFile',
      'mkdir',
      'symlink',
      'link',
      'chmod',
      'chown',
      'rename',
      'remove',
      'tagImage',
      'removeImage',
      'pullImage',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    const codes = new Set(history.steps.flatMap((s) => (s.error ? [s.error.code] : [])));
    expect([...codes].sort()).toEqual(['CONFLICT', 'NOT_FOUND', 'VALIDATION']);
    const eventTypes = new Set(history.events.map((e) => e.type));
    for (const type of [
      'ContainerDirectoryOpaqued',
      'ContainerPathRemoved',
      'ContainerRestarted',
      'ContainerPaused',
      'ContainerUnpaused',
      'ImageDeleted',
      'TagReleased',
      'ContainerNameReleased',
    ]) {
      expect(eventTypes, type).toContain(type);
    }
    expect(
      history.events.some(
        (e) => e.type === 'ContainerPathRemoved' && (e.data as { whiteout: boolean }).whiteout,
      ),
    ).toBe(true);
    expect(
      history.events.some(
        (e) => e.type === 'ContainerPathWritten' && (e.data as { node: FsNode }).node.type === 'hardlink',
      ),
    ).toBe(true);
    expect(pathPool.length).toBe(84);
  });

  it('random histories: steps, positions and the oracle hang together at every step', () => {
    fc.assert(
      fc.property(historyArbitrary({ maxSteps: 40 }), (history) => {
        checkSteps(history);
        const worlds = replayAt(
          history.events,
          history.steps.map((s) => s.position),
          history.layerEntries,
        );
        for (const world of worlds.values()) checkWorld(world);
      }),
      { numRuns: 40 },
    );
  });
});

function checkSteps(history: History): void {
  let position = 0;
  for (const step of history.steps) {
    if (step.error) expect(step.events).toEqual([]);
    for (const event of step.events) expect(event.position).toBe(++position);
    expect(step.position).toBe(position);
  }
  expect(history.lastPosition).toBe(position);
  expect(history.events.map((e) => e.position)).toEqual(history.events.map((_, i) => i + 1));
}

/** Invariants any world must satisfy, checked on the oracle's answers. */
function checkWorld(world: OracleWorld): void {
  // The tag registry and the images' references agree.
  for (const [reference, imageId] of world.tags) {
    const image = world.images.get(imageId);
    expect(image?.deleted).toBe(false);
    expect(image?.repoTags).toContain(reference);
  }
  for (const image of world.images.values()) {
    for (const tag of image.repoTags) expect(world.tags.get(tag)).toBe(image.imageId);
    for (const digest of image.repoDigests) expect(parseReference(digest).digest).toBeDefined();
  }
  // The name registry and the live containers agree.
  const live = world.liveContainers();
  expect(new Map(live.map((c) => [c.name, c.containerId]))).toEqual(world.containerNames);

  for (const container of live) {
    const tree = world.containerTree(container.containerId)!;
    const image = world.imageTree(container.imageId)!;
    expect(tree.get('/')?.type).toBe('dir');
    for (const [path, node] of tree) {
      expect(node.path).toBe(path);
      if (path !== '/') expect(tree.get(parentOf(path))?.type).toBe('dir');
      expect(world.containerLookup(container.containerId, path)).toBe(node);
    }
    for (const change of world.containerChanges(container.containerId)!) {
      if (change.kind === 'A') {
        expect(tree.has(change.path)).toBe(true);
        expect(image.has(change.path)).toBe(false);
      } else if (change.kind === 'D') {
        expect(tree.has(change.path)).toBe(false);
        expect(image.has(change.path)).toBe(true);
      } else {
        expect(tree.has(change.path) && image.has(change.path)).toBe(true);
      }
    }
    // The commit changeset applied over the image gives the same tree, except that an image hard
    // link the container changed becomes a regular file in the changeset (it was copied up).
    const state = container.state;
    if (!isLive(state)) throw new Error('live container without a writable layer');
    const committed = applyLayer(image, writableLayerEntries(state.layer));
    const loose = (n: FsNode) =>
      nodeKey(n.type === 'hardlink' ? { ...n, type: 'file', linkTarget: undefined } : n);
    expect([...committed.values()].map(loose)).toEqual([...tree.values()].map(loose));
  }
}

/** What a world answers, as plain data (trees of live containers included). */
function summary(world: OracleWorld) {
  return {
    images: [...world.images.values()].map(({ state: _state, ...image }) => image),
    tags: [...world.tags],
    names: [...world.containerNames],
    containers: [...world.containers.values()].map(({ state: _state, ...c }) => c),
    layers: [...world.layers.keys()],
    trees: world
      .liveContainers()
      .map((c) => [c.containerId, [...world.containerTree(c.containerId)!.values()].map(nodeKey)]),
    changes: world.liveContainers().map((c) => world.containerChanges(c.containerId)),
  };
}

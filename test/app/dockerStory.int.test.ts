import { beforeAll, expect, it } from 'vitest';
import { containerChangesAt } from '../../src/app/changes.ts';
import { commitContainer } from '../../src/app/commitContainer.ts';
import { changeContainerState, createContainerFrom, removeContainerByRef } from '../../src/app/containers.ts';
import { removePath, writeFile } from '../../src/app/files.ts';
import { importImage } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { lastPosition } from '../../src/eventStore/head.ts';
import { FileView } from '../../src/projections/fileView.ts';
import { findContainer } from '../../src/projections/queries/containers.ts';
import { findImage, imageById } from '../../src/projections/queries/images.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend } from '../support/strata.ts';
import { dir, file, symlink, whiteout } from '../support/tarBuilder.ts';

const ubuntu = () =>
  memoryImage(
    [
      [
        dir('etc'),
        file('etc/os-release', 'NAME=Strata\n'),
        dir('bin'),
        file('bin/sh', '#!sh', { mode: 0o755 }),
        dir('tmp', { mode: 0o1777 }),
        symlink('usr/bin', '/bin'),
      ],
      [file('etc/motd', 'hello\n'), dir('var'), file('var/old.log', 'old'), whiteout('etc/os-release')],
    ],
    { tag: 'ubuntu:latest' },
  );

eachBackend('the Docker story, through the command handlers and projections', (getStrata) => {
  let strata: Strata;
  beforeAll(async () => {
    strata = await getStrata();
  });

  const containerView = async (ref: string, asOf?: number) => {
    const row = (await findContainer(strata.db, ref, asOf))!;
    const image = (await imageById(strata.db, row.image_id, asOf))!;
    return new FileView(strata.db, image.top_chain_id, { containerId: row.container_id, asOf });
  };
  const read = async (view: FileView, path: string) => {
    const entry = await view.lookup(path);
    return entry?.node.digest
      ? new TextDecoder().decode(await strata.blobs.readAll(entry.node.digest))
      : undefined;
  };

  it('pulls an image: layers base first, merged view with whiteouts applied', async () => {
    const image = ubuntu();
    const report = await importImage(strata, image);
    expect(report.layers.map((l) => l.status)).toEqual(['Pull complete', 'Pull complete']);
    expect(report.status).toBe('Downloaded newer image for ubuntu:latest');
    const row = (await findImage(strata.db, 'ubuntu'))!;
    expect(row.diff_ids).toEqual(image.built.map((l) => l.diffId));
    const view = new FileView(strata.db, row.top_chain_id);
    expect(await view.lookup('/etc/os-release')).toBeNull();
    expect((await view.list('/etc')).map((e) => e.node.path)).toEqual(['/etc/motd']);
    expect((await view.lookup('/usr/bin'))?.node).toMatchObject({ type: 'symlink', linkTarget: '/bin' });
    expect((await view.lookup('/usr'))?.node).toMatchObject({ type: 'dir', mode: 0o755 });
    const again = await importImage(strata, ubuntu());
    expect(again.layers.map((l) => l.status)).toEqual(['Already exists', 'Already exists']);
    expect(again.status).toBe('Image is up to date for ubuntu:latest');
  });

  it('gives each container its own writable layer that survives stop/start and dies with rm', async () => {
    await createContainerFrom(strata, { image: 'ubuntu', name: 'c1', cmd: ['/bin/sh'] });
    await changeContainerState(strata, 'c1', 'start');
    await writeFile(strata, 'c1', { path: '/root/notes.txt', content: 'hi\n' });
    await writeFile(strata, 'c1', { path: '/etc/motd', content: 'changed\n' });
    await removePath(strata, 'c1', { path: '/var', recursive: true });
    const afterWrites = await lastPosition(strata.db);
    await changeContainerState(strata, 'c1', 'stop');
    await changeContainerState(strata, 'c1', 'start');
    const c1 = await containerView('c1');
    expect(await read(c1, '/root/notes.txt')).toBe('hi\n');
    expect(await read(c1, '/etc/motd')).toBe('changed\n');
    expect(await c1.lookup('/var/old.log')).toBeNull();
    expect((await findContainer(strata.db, 'c1'))!.state).toBe('running');

    await createContainerFrom(strata, { image: 'ubuntu', name: 'c2' });
    const c2 = await containerView('c2');
    expect(await c2.lookup('/root/notes.txt')).toBeNull();
    expect(await read(c2, '/etc/motd')).toBe('hello\n');
    expect(await read(c2, '/var/old.log')).toBe('old');

    const row = (await findContainer(strata.db, 'c1'))!;
    expect(await containerChangesAt(strata.db, row)).toEqual([
      { kind: 'C', path: '/etc' },
      { kind: 'C', path: '/etc/motd' },
      { kind: 'A', path: '/root' },
      { kind: 'A', path: '/root/notes.txt' },
      { kind: 'D', path: '/var' },
    ]);

    await expect(removeContainerByRef(strata, 'c1', false)).rejects.toMatchObject({ code: 'CONFLICT' });
    await removeContainerByRef(strata, 'c1', true);
    expect(await findContainer(strata.db, 'c1')).toBeUndefined();
    const past = await containerView('c1', afterWrites);
    expect(await read(past, '/root/notes.txt')).toBe('hi\n');
    expect(await past.lookup('/var')).toBeNull();
  });

  it('commits a container into an image whose new layer holds the changes', async () => {
    await createContainerFrom(strata, { image: 'ubuntu', name: 'c3' });
    await writeFile(strata, 'c3', { path: '/app/hello.txt', content: 'committed\n' });
    await removePath(strata, 'c3', { path: '/etc/motd' });
    const imageId = await commitContainer(strata, {
      container: 'c3',
      reference: 'myapp:v1',
      message: 'add hello',
    });
    const image = (await findImage(strata.db, 'myapp:v1'))!;
    expect(image.image_id).toBe(imageId);
    expect(image.diff_ids).toHaveLength(3);
    const view = new FileView(strata.db, image.top_chain_id);
    expect((await view.lookup('/app/hello.txt'))?.node.size).toBe(10);
    expect(await view.lookup('/etc/motd')).toBeNull();
    const base = (await findImage(strata.db, 'ubuntu'))!;
    expect(await new FileView(strata.db, base.top_chain_id).lookup('/etc/motd')).not.toBeNull();
  });
});

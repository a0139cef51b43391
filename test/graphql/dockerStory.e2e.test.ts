import { beforeAll, expect, it } from 'vitest';
import { importImage } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend } from '../support/strata.ts';
import { dir, file, whiteout } from '../support/tarBuilder.ts';
import { strataYoga } from './strataYoga.ts';

eachBackend('the Docker story through GraphQL', (getStrata) => {
  let strata: Strata;
  let gql: ReturnType<typeof strataYoga>['gql'];
  beforeAll(async () => {
    strata = await getStrata();
    gql = strataYoga(strata).gql;
    await importImage(
      strata,
      memoryImage(
        [
          [dir('etc'), file('etc/motd', 'hello\n'), file('etc/issue', 'Strata\n')],
          [file('etc/hostname', 'box\n'), whiteout('etc/issue')],
        ],
        { tag: 'ubuntu:latest' },
      ),
    );
  });

  it('lists the image with its layers, history and merged view', async () => {
    const data = await gql(`{
      images(first: 10) { edges { node { id repoTags size layers { index chainId layer { diffId digest imageCount } } history { createdBy emptyLayer size } directory(path: "/etc") { name type content } } } }
    }`);
    const image = data.images.edges[0].node;
    expect(image.repoTags).toEqual(['ubuntu:latest']);
    expect(image.layers).toHaveLength(2);
    expect(image.layers[1].layer.imageCount).toBe(1);
    expect(image.history[0].createdBy).toContain('layer 1');
    expect(image.directory.map((f: { name: string }) => f.name)).toEqual(['hostname', 'motd']);
    expect(image.directory[1].content).toBe('hello\n');
    const node = await gql('query($id: ID!) { node(id: $id) { ... on Image { repoTags } } }', {
      id: image.id,
    });
    expect(node.node.repoTags).toEqual(['ubuntu:latest']);
  });

  it('runs the container story: write, restart, read back, diff, as of the past, rm', async () => {
    const created = await gql(
      `mutation { createContainer(image: "ubuntu", name: "web") { __typename ... on MutationCreateContainerSuccess { data { containerId name state image { repoTags } } } } }`,
    );
    expect(created.createContainer.data).toMatchObject({
      name: 'web',
      state: 'CREATED',
      image: { repoTags: ['ubuntu:latest'] },
    });
    await gql(`mutation { startContainer(container: "web") { __typename } }`);
    const written = await gql(
      `mutation { writeFile(container: "web", path: "/root/hello.txt", content: "hi there\\n") { ... on MutationWriteFileSuccess { data { path size content origin { position command } } } } }`,
    );
    expect(written.writeFile.data).toMatchObject({ path: '/root/hello.txt', size: 9, content: 'hi there\n' });
    const afterWrite = written.writeFile.data.origin.position;
    await gql(
      `mutation { writeFile(container: "web", path: "/root/hello.txt", content: "again\\n", append: true) { __typename } }`,
    );
    await gql(
      `mutation { restartContainer(container: "web") { ... on MutationRestartContainerSuccess { data { state restartCount } } } }`,
    );
    const now = await gql(
      `{ container(ref: "web") { state sizeRw file(path: "/root/hello.txt") { content } changes { kind path } } }`,
    );
    expect(now.container).toMatchObject({
      state: 'RUNNING',
      sizeRw: 15,
      file: { content: 'hi there\nagain\n' },
    });
    expect(now.container.changes).toEqual([
      { kind: 'A', path: '/root' },
      { kind: 'A', path: '/root/hello.txt' },
    ]);
    const past = await gql(
      `query($at: Position) { container(ref: "web", asOf: $at) { state file(path: "/root/hello.txt") { content } } }`,
      { at: afterWrite },
    );
    expect(past.container).toEqual({ state: 'RUNNING', file: { content: 'hi there\n' } });
    const blame = await gql(
      `{ container(ref: "web") { blame(path: "/root/hello.txt") { position until operation entry { size } } } }`,
    );
    expect(blame.container.blame.map((v: { operation: string }) => v.operation)).toEqual(['write', 'append']);

    const second = await gql(`mutation { createContainer(image: "ubuntu", name: "db") { __typename } }`);
    expect(second.createContainer.__typename).toBe('MutationCreateContainerSuccess');
    const other = await gql(`{ container(ref: "db") { file(path: "/root/hello.txt") { path } } }`);
    expect(other.container.file).toBeNull();

    const refused = await gql(
      `mutation { removeContainer(container: "web") { __typename ... on Error { message code } } }`,
    );
    expect(refused.removeContainer).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: expect.stringContaining(
        'container is running: stop the container before removing or force remove',
      ),
    });
    const head = (await gql('{ head }')).head;
    const removed = await gql(
      `mutation { removeContainer(container: "web", force: true) { ... on MutationRemoveContainerSuccess { data { containerId } } } }`,
    );
    expect(removed.removeContainer.data.containerId).toMatch(/^[a-f0-9]{64}$/);
    expect((await gql(`{ container(ref: "web") { name } }`)).container).toBeNull();
    const before = await gql(
      `query($at: Position) { container(ref: "web", asOf: $at) { file(path: "/root/hello.txt") { content } } }`,
      { at: head },
    );
    expect(before.container.file.content).toBe('hi there\nagain\n');
    const all = await gql(
      `query($at: Position) { containers(all: true, asOf: $at) { edges { node { name } } } }`,
      { at: head },
    );
    expect(all.containers.edges.map((e: { node: { name: string } }) => e.node.name).sort()).toEqual([
      'db',
      'web',
    ]);
  });

  it('commits, tags, reports disk usage and removes images like Docker', async () => {
    await gql(`mutation { writeFile(container: "db", path: "/data/x", content: "12345") { __typename } }`);
    const committed = await gql(
      `mutation { commitContainer(container: "db", reference: "mydb:v1", message: "seed") { ... on MutationCommitContainerSuccess { data { repoTags layers { index } history { comment } file(path: "/data/x") { content } } } } }`,
    );
    expect(committed.commitContainer.data).toMatchObject({
      repoTags: ['mydb:v1'],
      file: { content: '12345' },
    });
    expect(committed.commitContainer.data.layers).toHaveLength(3);
    expect(committed.commitContainer.data.history[0].comment).toBe('seed');
    const df = await gql(
      `{ diskUsage { images { image { repoTags } size sharedSize uniqueSize containers } containers { container { name } sizeRw virtualSize } layersSize storedBytes } }`,
    );
    const ubuntu = df.diskUsage.images.find((i: { image: { repoTags: string[] } }) =>
      i.image.repoTags.includes('ubuntu:latest'),
    );
    expect(ubuntu.sharedSize).toBe(ubuntu.size);
    expect(df.diskUsage.containers[0]).toMatchObject({ container: { name: 'db' }, sizeRw: 5 });
    const tagged = await gql(
      `mutation { tagImage(image: "mydb:v1", target: "mydb:latest") { ... on MutationTagImageSuccess { data { repoTags } } } }`,
    );
    expect(tagged.tagImage.data.repoTags).toEqual(['mydb:latest', 'mydb:v1']);
    const untag = await gql(
      `mutation { removeImage(image: "mydb:latest") { ... on MutationRemoveImageSuccess { data { untagged deleted } } } }`,
    );
    expect(untag.removeImage.data).toEqual({ untagged: ['mydb:latest'], deleted: [] });
    const conflict = await gql(
      `mutation { removeImage(image: "ubuntu") { __typename ... on Error { message } } }`,
    );
    expect(conflict.removeImage.__typename).toBe('ConflictError');
    const missing = await gql(
      `mutation { startContainer(container: "nope") { __typename ... on Error { message code } } }`,
    );
    expect(missing.startContainer).toEqual({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      message: 'No such container: nope',
    });
  });
});

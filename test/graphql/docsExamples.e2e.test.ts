import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { changeContainerState, createContainerFrom } from '../../src/app/containers.ts';
import { writeFile } from '../../src/app/files.ts';
import { importImage } from '../../src/app/importImage.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend } from '../support/strata.ts';
import { dir, file } from '../support/tarBuilder.ts';
import { strataYoga } from './strataYoga.ts';

/** Every ```graphql example block of docs/graphql.md runs here, so the documentation cannot rot. */
const docs = readFileSync(new URL('../../docs/graphql.md', import.meta.url), 'utf8');
const examples = [...docs.matchAll(/```graphql example\n([\s\S]*?)```/g)].map((m) => m[1]!);

eachBackend('docs/graphql.md examples', (getStrata) => {
  let gql: ReturnType<typeof strataYoga>['gql'];
  beforeAll(async () => {
    const strata = await getStrata();
    gql = strataYoga(strata).gql;
    await importImage(
      strata,
      memoryImage([[dir('etc'), file('etc/os-release', 'NAME=demo\n'), dir('root')]], {
        tag: 'ubuntu:latest',
      }),
    );
    await createContainerFrom(strata, { image: 'ubuntu', name: 'web' });
    await changeContainerState(strata, 'web', 'start');
    await writeFile(strata, 'web', { path: '/root/notes.txt', content: 'first\n' });
  });

  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it('runs every example without errors', async () => {
    for (const example of examples) {
      const data = await gql(example);
      for (const value of Object.values(data)) {
        if (value && typeof value === 'object' && '__typename' in value)
          expect((value as { __typename: string }).__typename).toMatch(/Success$/);
        if (value && typeof value === 'object' && 'code' in value)
          throw new Error(`example failed: ${JSON.stringify(value)}`);
      }
    }
    const after = await gql('{ container(ref: "web") { file(path: "/root/notes.txt") { content } } }');
    expect(after.container.file.content).toBe('first\nhi\n');
  });
});

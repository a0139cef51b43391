import { importImage } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { memoryImage } from './memoryImage.ts';
import { dir, file } from './tarBuilder.ts';

type Gql = (query: string, variables?: Record<string, unknown>) => Promise<unknown>;

/** The image the shell-session suites run `/bin/bash` in: ubuntu:latest with /etc/motd, /root and /var/log.txt. */
export const importSessionImage = (strata: Strata) =>
  importImage(
    strata,
    memoryImage(
      [
        [
          dir('etc'),
          file('etc/motd', 'hello\n'),
          dir('root', { mode: 0o700 }),
          dir('var'),
          file('var/log.txt', 'old\n'),
        ],
      ],
      { tag: 'ubuntu:latest' },
    ),
  );

/** Starts `container` and a session attached to it (`docker start -ai`) over GraphQL: the session's id. */
export async function startSessionIn(gql: Gql, container: string): Promise<string> {
  await gql(`mutation { startContainer(container: "${container}") { __typename } }`);
  const started = (await gql(
    `mutation { startSession(container: "${container}") { ... on MutationStartSessionSuccess { data { id } } } }`,
  )) as { startSession: { data: { id: string } } };
  return started.startSession.data.id;
}

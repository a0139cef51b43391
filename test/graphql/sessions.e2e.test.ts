import { beforeAll, expect, it } from 'vitest';
import type { Strata } from '../../src/app/openStrata.ts';
import { importSessionImage, startSessionIn } from '../support/shellSessions.ts';
import { eachBackend } from '../support/strata.ts';
import { strataYoga } from './strataYoga.ts';

eachBackend('shell sessions: docker run -it, type commands, exit, start -ai, replay', (getStrata) => {
  let gql: ReturnType<typeof strataYoga>['gql'];
  beforeAll(async () => {
    const strata: Strata = await getStrata();
    gql = strataYoga(strata).gql;
    await importSessionImage(strata);
  });

  const exec = async (command: string, session?: string) =>
    (
      await gql(
        `mutation($c: String!, $s: ID) { exec(container: "shell", command: $c, session: $s) { __typename ... on MutationExecSuccess { data { exitCode stdout stderr step { index position changes { kind path } } } } ... on Error { code message } } }`,
        { c: command, s: session },
      )
    ).exec;

  it('records each command as a step with its output, exit code, changes and position', async () => {
    await gql(
      `mutation { createContainer(image: "ubuntu", name: "shell", cmd: ["/bin/bash"]) { __typename } }`,
    );
    const notRunning = await exec('ls');
    expect(notRunning).toMatchObject({
      __typename: 'ConflictError',
      message: expect.stringMatching(/is not running/),
    });
    const session = await startSessionIn(gql, 'shell');

    const write = await exec(
      'echo "hello from strata" > /root/notes.txt && mkdir -p /srv/app && rm /var/log.txt',
      session,
    );
    expect(write.data).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(write.data.step.changes).toEqual([
      { kind: 'C', path: '/root' },
      { kind: 'A', path: '/root/notes.txt' },
      { kind: 'A', path: '/srv' },
      { kind: 'A', path: '/srv/app' },
      { kind: 'C', path: '/var' },
      { kind: 'D', path: '/var/log.txt' },
    ]);
    const cat = await exec('cat /root/notes.txt | wc -c', session);
    expect(cat.data).toMatchObject({ exitCode: 0, stdout: '18\n' });
    const missing = await exec('cat missing.txt', session);
    expect(missing.data).toMatchObject({
      exitCode: 1,
      stderr: 'cat: missing.txt: No such file or directory\n',
    });
    const apt = await exec('apt-get install -y curl', session);
    expect(apt.data).toMatchObject({ exitCode: 127, stderr: 'bash: apt-get: command not found\n' });
    const partial = await exec('echo one > /root/a && cat /nope && echo two > /root/b', session);
    expect(partial.data.exitCode).toBe(1);
    expect(partial.data.step.changes).toEqual([{ kind: 'A', path: '/root/a' }]);
    expect(partial.data.stderr).toBe('cat: /nope: No such file or directory\n');

    await gql(`mutation($s: ID!) { endSession(session: $s, exitCode: 0) { __typename } }`, { s: session });
    const stopped = await gql(
      `{ container(ref: "shell") { state exitCode file(path: "/root/notes.txt") { content } } }`,
    );
    expect(stopped.container).toEqual({
      state: 'EXITED',
      exitCode: 0,
      file: { content: 'hello from strata\n' },
    });

    const still = await exec('cat /root/notes.txt', await startSessionIn(gql, 'shell'));
    expect(still.data.stdout).toBe('hello from strata\n');

    const replay = await gql(
      `{ container(ref: "shell") { sessions { id interactive exitCode steps { index command exitCode position changes { kind path } } } } }`,
    );
    const [first, second] = replay.container.sessions;
    expect(first.steps.map((s: { command: string }) => s.command)).toEqual([
      'echo "hello from strata" > /root/notes.txt && mkdir -p /srv/app && rm /var/log.txt',
      'cat /root/notes.txt | wc -c',
      'cat missing.txt',
      'apt-get install -y curl',
      'echo one > /root/a && cat /nope && echo two > /root/b',
    ]);
    expect(first.exitCode).toBe(0);
    expect(second.steps).toHaveLength(1);
    const afterFirstStep = first.steps[0].position;
    const asOf = await gql(
      `query($p: Position) { container(ref: "shell", asOf: $p) { file(path: "/root/a") { path } notes: file(path: "/root/notes.txt") { content origin { command session { id } } } } }`,
      { p: afterFirstStep },
    );
    expect(asOf.container.file).toBeNull();
    expect(asOf.container.notes.origin).toEqual({
      command: first.steps[0].command,
      session: { id: first.id },
    });
  });
});

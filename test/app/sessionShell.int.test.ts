/**
 * The lines of a session share one shell (cwd, variables), rebuilt from the session's events;
 * a new session and a separate exec start a fresh shell from the image config, as in Docker.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell parameter expansions in command lines
import { beforeAll, expect, it } from 'vitest';
import { changeContainerState, createContainerFrom } from '../../src/app/containers.ts';
import { execInContainer } from '../../src/app/exec.ts';
import { importImage } from '../../src/app/importImage.ts';
import type { Strata } from '../../src/app/openStrata.ts';
import { endSession, loadSession, startSession } from '../../src/app/sessions.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend } from '../support/strata.ts';
import { dir, file } from '../support/tarBuilder.ts';

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

eachBackend('shell state across the steps of a session', (getStrata) => {
  let strata: Strata;
  let session = '';
  beforeAll(async () => {
    strata = await getStrata();
    await importImage(
      strata,
      memoryImage(
        [
          [
            dir('srv'),
            file('srv/index.html', 'hi\n'),
            dir('tmp', { mode: 0o1777 }),
            dir('root', { mode: 0o700 }),
          ],
        ],
        { tag: 'app:latest', env: ['PATH=/opt/bin:/bin', 'APP_ENV=production'], workingDir: '/srv' },
      ),
    );
    await createContainerFrom(strata, { image: 'app', name: 'box' });
    await changeContainerState(strata, 'box', 'start');
  });

  it('the first step runs in a fresh shell: the image Env and WorkingDir', async () => {
    session = await startSession(strata, 'box');
    const first = await execInContainer(strata, 'box', 'pwd; echo "$PATH $APP_ENV"; ls', {
      sessionId: session,
    });
    expect(out(first)).toBe('/srv\n/opt/bin:/bin production\nindex.html\n');
    expect(first.workingDir).toBe('/srv');
  });

  it('cd, export and plain assignments persist into the next steps', async () => {
    const cd = await execInContainer(strata, 'box', 'cd /tmp && export GREETING=hello && NAME=web', {
      sessionId: session,
    });
    expect(cd).toMatchObject({ exitCode: 0, workingDir: '/tmp' });
    const next = await execInContainer(strata, 'box', 'pwd; echo "$GREETING $NAME"; echo hi > note.txt', {
      sessionId: session,
    });
    expect(out(next)).toBe('/tmp\nhello web\n');
    expect(next.changes).toEqual([
      { kind: 'C', path: '/tmp' },
      { kind: 'A', path: '/tmp/note.txt' },
    ]);
    const child = await execInContainer(strata, 'box', "bash -c 'echo $GREETING ${NAME-unset}'", {
      sessionId: session,
    });
    expect(out(child)).toBe('hello unset\n');
  });

  it('the state after a step is rebuilt from the session stream', async () => {
    const { state } = await loadSession(strata, session);
    expect(state.status).toBe('open');
    if (state.status === 'absent') throw new Error('no session');
    expect(state.shell).toEqual({
      state: {
        cwd: '/tmp',
        oldCwd: '/srv',
        env: {
          PATH: '/opt/bin:/bin',
          HOME: '/root',
          USER: 'root',
          HOSTNAME: expect.stringMatching(/^[0-9a-f]{12}$/),
          APP_ENV: 'production',
          GREETING: 'hello',
        },
        vars: { NAME: 'web' },
      },
    });
  });

  it('a separate exec is a fresh shell, like docker exec', async () => {
    const other = await execInContainer(strata, 'box', 'pwd; echo "${GREETING-unset}"');
    expect(out(other)).toBe('/srv\nunset\n');
    const again = await execInContainer(strata, 'box', 'pwd', { sessionId: session });
    expect(out(again)).toBe('/tmp\n');
  });

  it('a state larger than the inline limit goes to the content store and still carries over', async () => {
    await execInContainer(strata, 'box', "BIG=$(printf '%070000d' 0)", { sessionId: session });
    const { state } = await loadSession(strata, session);
    if (state.status === 'absent') throw new Error('no session');
    expect(state.shell).toEqual({ digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    const length = await execInContainer(strata, 'box', 'echo ${#BIG} $NAME; pwd', { sessionId: session });
    expect(out(length)).toBe('70000 web\n/tmp\n');
  });

  it('$? carries over from one step to the next; a separate exec starts with 0', async () => {
    const missing = await execInContainer(strata, 'box', 'ls /missing', { sessionId: session });
    expect(missing.exitCode).toBe(2);
    const { state } = await loadSession(strata, session);
    if (state.status === 'absent') throw new Error('no session');
    expect(state.lastExitCode).toBe(2);
    const other = await execInContainer(strata, 'box', 'echo $?');
    expect(out(other)).toBe('0\n');
    const status = await execInContainer(strata, 'box', 'echo $?; NAME=web', { sessionId: session });
    expect(status).toMatchObject({ stdout: '2\n', exitCode: 0 });
    const after = await execInContainer(strata, 'box', 'echo $?', { sessionId: session });
    expect(out(after)).toBe('0\n');
    // The session's last step fails: the next session's first line still starts with 0.
    expect((await execInContainer(strata, 'box', 'false', { sessionId: session })).exitCode).toBe(1);
  });

  it('a new session (start -ai after exit) starts a fresh shell from the config', async () => {
    await endSession(strata, session, 0);
    await changeContainerState(strata, 'box', 'start');
    const second = await startSession(strata, 'box');
    const fresh = await execInContainer(
      strata,
      'box',
      'echo $?; pwd; echo "${GREETING-unset} ${NAME-unset}"; cat /tmp/note.txt',
      {
        sessionId: second,
      },
    );
    expect(out(fresh)).toBe('0\n/srv\nunset unset\nhi\n');
  });
});

/**
 * `strata pull` (and `run` of a missing image) from a real registry on loopback: docker pull's
 * lines to a pipe, progress redrawn in place on a terminal (pullProgress over SSE).
 */
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { StrataApi } from '../../src/cli/client/api.ts';
import { pullImage } from '../../src/cli/client/commands/images.ts';
import { createContext } from '../../src/cli/client/run.ts';
import { hasFixtureTools, pushFixtures } from '../support/fixtures.ts';
import { hasRegistry, startRegistry, type TestRegistry } from '../support/registry.ts';
import { eachBackend } from '../support/strata.ts';
import { cliServer } from './cliHarness.ts';

const slow = 300_000;

describe.skipIf(!hasRegistry() || !hasFixtureTools())('strata pull from a registry', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    await pushFixtures(registry, { images: ['base', 'app1', 'app2'] });
    return () => registry.stop();
  }, 120_000);

  eachBackend('pull', (getStrata) => {
    const s = cliServer(getStrata);
    const ref = (image: string) => `${registry.host}/fixtures/${image}:oci`;

    it(
      "prints docker pull's lines; a second pull is up to date; -q prints the reference",
      async () => {
        const first = await s.cli(['pull', ref('app1')]);
        expect(first.stderr).toBe('');
        expect(first.code).toBe(0);
        expect(first.stdout.split('\n')).toEqual([
          'oci: Pulling from fixtures/app1',
          expect.stringMatching(/^[0-9a-f]{12}: Pull complete$/),
          expect.stringMatching(/^[0-9a-f]{12}: Pull complete$/),
          expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/),
          `Status: Downloaded newer image for ${ref('app1')}`,
          ref('app1'),
          '',
        ]);
        const again = await s.cli(['pull', ref('app1')]);
        expect(again.stdout).toContain(`Status: Image is up to date for ${ref('app1')}\n`);
        expect(again.stdout.match(/: Already exists\n/g)).toHaveLength(2);
        expect(await s.cli(['pull', '-q', ref('app1')])).toEqual({
          stdout: `${ref('app1')}\n`,
          stderr: '',
          code: 0,
        });
        expect((await s.cli(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout).toBe(
          `${registry.host}/fixtures/app1:oci\n`,
        );
        const missing = await s.cli(['pull', `${registry.host}/fixtures/nope:oci`]);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toMatch(/^Error response from daemon: /);
      },
      slow,
    );

    it(
      'run pulls a missing image first, on stderr, as docker run does',
      async () => {
        const run = await s.cli(['run', '--rm', ref('base'), 'sh', '-c', 'ls / | head -3']);
        expect(run.code).toBe(0);
        expect(run.stderr.split('\n').slice(0, 2)).toEqual([
          `Unable to find image '${ref('base')}' locally`,
          'oci: Pulling from fixtures/base',
        ]);
        expect(run.stderr).toContain(`Status: Downloaded newer image for ${ref('base')}\n`);
        expect(run.stdout.split('\n').length).toBeGreaterThan(1);
      },
      slow,
    );

    it(
      'on a terminal, layer lines are redrawn in place and end as docker pull ends',
      async () => {
        let written = '';
        const out = new PassThrough();
        out.on('data', (c: Buffer) => (written += c.toString()));
        const ctx = createContext({ api: new StrataApi({ url: s.url }), out, err: out, stdoutIsTTY: true });
        const report = await pullImage(ctx, ref('app2'));
        expect(report.layers.map((l) => l.status)).toEqual(['Already exists', 'Pull complete']);
        expect(written.startsWith('oci: Pulling from fixtures/app2\n')).toBe(true);
        expect(written).toContain('\x1b[2K');
        // The last redraw of the layer lines, then Digest, Status and the reference.
        const screen = written
          .slice(written.lastIndexOf('\x1b[2A') + 4)
          .split('\x1b[2K')
          .join('');
        expect(screen.split('\n')).toEqual([
          expect.stringMatching(/^[0-9a-f]{12}: Already exists$/),
          expect.stringMatching(/^[0-9a-f]{12}: Pull complete$/),
          expect.stringMatching(/^Digest: sha256:/),
          `Status: Downloaded newer image for ${ref('app2')}`,
          ref('app2'),
          '',
        ]);
      },
      slow,
    );
  });
});

import { expect, it } from 'vitest';
import { importImage } from '../../src/app/importImage.ts';
import { memoryImage } from '../support/memoryImage.ts';
import { eachBackend } from '../support/strata.ts';
import { dir } from '../support/tarBuilder.ts';
import { cliServer } from './cliHarness.ts';

const reader = 'r3ad-only-secret-0123456789';
const writer = 'wr1te-secret-0123456789abcdef';

eachBackend('the strata CLI against a server with access tokens', (getStrata) => {
  const s = cliServer(
    getStrata,
    async (strata) => {
      await importImage(strata, memoryImage([[dir('etc')]], { tag: 'ubuntu:latest' }));
    },
    { tokens: `dash:${reader}:read,ci:${writer}:read|write` },
  );

  it('sends STRATA_TOKEN as a bearer token; the server refusals are daemon errors (status 1)', async () => {
    const anonymous = await s.cli(['images', '-q']);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/^Error response from daemon: .+\n$/);
    expect(
      (await s.cli(['images', '--format', '{{.Repository}}'], { env: { STRATA_TOKEN: reader } })).stdout,
    ).toBe('ubuntu\n');
    const readOnly = await s.cli(['create', '--name', 'box', 'ubuntu'], { env: { STRATA_TOKEN: reader } });
    expect(readOnly.code).toBe(125);
    expect(readOnly.stderr).toMatch(
      /^strata: Error response from daemon: .*write.*\nSee 'strata create --help'\.\n$/,
    );
    const created = await s.cli(['create', '--name', 'box', 'ubuntu'], { env: { STRATA_TOKEN: writer } });
    expect(created).toMatchObject({ stderr: '', code: 0, stdout: expect.stringMatching(/^[0-9a-f]{64}\n$/) });
  }, 300_000);
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Strata's public API core lives beside the repository (CI checks it out there too).
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const checkScript = fileURLToPath(new URL('../../../shared/contract/check-schema.mjs', import.meta.url));

/** Runs `node ../shared/contract/check-schema.mjs schema.graphql` from the repository root. */
async function checkContract(): Promise<{ code: number; breaks: string[]; summary: string }> {
  const run = promisify(execFile);
  const result = await run(process.execPath, [checkScript, 'schema.graphql'], { cwd: repoRoot }).then(
    (ok) => ({ code: 0, stdout: ok.stdout }),
    (failed: { code: number; stdout: string }) => ({ code: failed.code, stdout: failed.stdout }),
  );
  const lines = result.stdout.trim().split('\n');
  return { code: result.code, breaks: lines.slice(0, -1), summary: lines.at(-1) ?? '' };
}

/** The contract types the GraphQL platform owns; the domain types are checked once they exist. */
const platformTypes = [
  'Long',
  'Position',
  'DateTime',
  'Digest',
  'JSON',
  'Node',
  'Error',
  'ValidationError',
  'NotFoundError',
  'ConflictError',
  'PageInfo',
];

/** The type (or Type.field) a break is about: "FIELD_REMOVED: Query.head was removed." → Query.head */
const subject = (line: string) => /^[A-Z_]+: (?:Standard scalar )?([A-Za-z_][\w.]*)/.exec(line)?.[1] ?? line;

describe('the core contract (../shared/contract/core.graphql)', () => {
  it('is beside the repository', () => {
    expect(existsSync(checkScript), `${checkScript} is missing`).toBe(true);
  });

  it('is kept by the platform part of schema.graphql: scalars, Node, Error and its types, PageInfo, Query.node', async () => {
    const { breaks, summary } = await checkContract();
    expect(summary).toMatch(/^contract (kept|broken)/);
    const platformBreaks = breaks.filter((line) => {
      const about = subject(line);
      const type = about.split('.')[0]!;
      return platformTypes.includes(type) || about === 'Query.node';
    });
    expect(platformBreaks).toEqual([]);
  });

  it('is kept whole: every type, field, argument and union member of core.graphql', async () => {
    expect(await checkContract()).toMatchObject({
      code: 0,
      breaks: [],
      summary: 'contract kept: 0 breaking differences',
    });
  });
});

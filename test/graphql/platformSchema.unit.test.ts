import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printStrataSchema, schemaPath } from '../../scripts/write-schema.ts';

describe('schema.graphql', () => {
  it('is up to date with the code (run `npm run schema` and commit it)', () => {
    const committed = readFileSync(schemaPath, 'utf8');
    expect(committed === printStrataSchema(), 'schema.graphql is stale: run `npm run schema`').toBe(true);
  });
});

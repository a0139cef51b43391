// Writes the API's SDL to schema.graphql (sorted, so diffs show real changes): `npm run schema`.
// `--check` exits 1 when the committed file is stale instead of writing it; `--stdout` prints it.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// graphql/index.js: the copy Pothos uses, also when vitest (which prefers graphql's ESM build) imports this.
import { lexicographicSortSchema, printSchema } from 'graphql/index.js';
import { schema } from '../src/graphql/schema/index.ts';

export const schemaPath = fileURLToPath(new URL('../schema.graphql', import.meta.url));

export const printStrataSchema = (): string => `${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sdl = printStrataSchema();
  if (process.argv.includes('--stdout')) {
    process.stdout.write(sdl);
  } else if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(schemaPath, 'utf8');
    } catch {}
    if (current !== sdl) {
      console.error('schema.graphql is stale: run `npm run schema` and commit it');
      process.exit(1);
    }
    console.log('schema.graphql is up to date');
  } else {
    writeFileSync(schemaPath, sdl);
    console.log(`wrote ${schemaPath}`);
  }
}

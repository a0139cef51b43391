import { readFileSync } from 'node:fs';

/** Strata's version, from package.json (present in the repository and in the Docker image). */
export const strataVersion: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

// The page is plain JavaScript with JSDoc types (no build step); its own tsconfig checks them
// against the DOM library, which the rest of the project (Node only) does not load.
it('the replay page type-checks (src/web/tsconfig.json: checkJs with the DOM library)', async () => {
  const tsc = fileURLToPath(new URL('node_modules/.bin/tsc', `file://${root}`));
  const run = await promisify(execFile)(tsc, ['-p', 'src/web/tsconfig.json'], { cwd: root }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  expect(run.stdout).toBe('');
  expect(run.code).toBe(0);
});

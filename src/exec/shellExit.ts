import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command, TransformPlugin } from 'just-bash';
import { defineCommand, parse } from 'just-bash';

/**
 * Whether the top-level shell of a command line ran `exit` (or was ended by `set -e`), so that an
 * interactive session ends as bash's would: `cd /tmp && exit 3`, `false || exit 4`,
 * `if true; then exit 5; fi`, `f() { exit 6; }; f`. just-bash catches its ExitError itself and only
 * returns a status, so this is found out from outside:
 *
 * - a transform plugin appends one statement, `__strata_alive $?`, to the parsed top-level script
 *   (a line that does not parse is never transformed: bash prints the syntax error and goes on);
 *   the command records that it ran and returns the status it was given, so the line's status,
 *   `$?` and output are the ones it had without it. It not running means the script stopped early;
 * - why it stopped: the `exit` builtin when it is the last thing the interpreter reported through
 *   its coverage hook (`bash:builtin:exit`); errexit when `set -e` is still on (SHELLOPTS), the
 *   status is not 0 and it was not `set -u`'s error. Other early stops — `${x:?}`, `set -u`, a bad substitution — end a
 *   non-interactive bash only: they do not end the session.
 *
 * `( exit 3 )`, `bash -c 'exit 3'` and a pipeline's `exit` end a subshell only: the marker runs.
 */
export const aliveCommandName = '__strata_alive';

export interface ExitProbe {
  command: Command;
  plugin: TransformPlugin;
  /** Absent when the coverage hook cannot be used (see `loadExitProbeSupport`). */
  coverage?: { hit(feature: string): void };
  /** Whether the line's top-level shell exited, given the interpreter's result. */
  exited(result: { exitCode: number; stderr: string; env?: Record<string, string> }): boolean;
}

/**
 * With a coverage writer set, just-bash's commands import its flag-coverage chunk the first time
 * they run — inside its defense-in-depth box, which forbids loading a module. The chunk is loaded
 * here first, once, so that import finds it loaded. False when it cannot be found: the probe then
 * goes without the coverage hook (errexit is still seen; `exit` is not).
 */
let coverageReady: Promise<boolean> | undefined;

export const loadExitProbeSupport = (): Promise<boolean> =>
  (coverageReady ??= (async () => {
    try {
      const chunks = join(dirname(createRequire(import.meta.url).resolve('just-bash')), 'chunks');
      const files = readdirSync(chunks).filter((file) => /^flag-coverage-.*\.js$/.test(file));
      if (files.length === 0) return false;
      for (const file of files) await import(pathToFileURL(join(chunks, file)).href);
      return true;
    } catch {
      return false;
    }
  })());

export function exitProbe(withCoverage: boolean): ExitProbe {
  let transformed = false;
  let alive = false;
  let lastHit = '';
  // Parsed here: the transform runs inside just-bash's defense-in-depth box, which forbids it.
  const marker = parse(`/usr/bin/${aliveCommandName} $?`).statements;
  const command = defineCommand(aliveCommandName, async (args) => {
    alive = true;
    const status = Number(args[0]);
    return { stdout: '', stderr: '', exitCode: Number.isInteger(status) ? status : 0 };
  });
  const plugin: TransformPlugin = {
    name: 'strata-exit',
    transform: ({ ast }) => {
      // The first script parsed is the line itself; later ones are `bash -c`, eval, source.
      if (transformed) return { ast };
      transformed = true;
      return { ast: { ...ast, statements: [...ast.statements, ...marker] } };
    },
  };
  const coverage = {
    hit: (feature: string) => {
      lastHit = feature;
    },
  };
  const exited = (result: { exitCode: number; stderr: string; env?: Record<string, string> }) => {
    if (!transformed || alive) return false;
    if (lastHit === 'bash:builtin:exit') return true;
    const options = (result.env?.SHELLOPTS ?? '').split(':');
    if (result.exitCode === 0 || !options.includes('errexit')) return false;
    return !/: unbound variable\n$/.test(result.stderr);
  };
  return { command, plugin, ...(withCoverage ? { coverage } : {}), exited };
}

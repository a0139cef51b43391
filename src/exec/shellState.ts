import type { Bash } from 'just-bash';
import type { ShellState } from './types.ts';

/**
 * Variables bash manages itself: they are set afresh in every shell (or follow the working
 * directory, which the state keeps as `cwd`), so the state does not record them.
 */
const shellManaged = new Set([
  'PWD',
  'OLDPWD',
  'SHELLOPTS',
  'BASHOPTS',
  'OSTYPE',
  'MACHTYPE',
  'HOSTTYPE',
  'OPTIND',
]);

/** just-bash's defaults a restored shell must not get back when the user had unset them. */
const constructorDefaults = ['HOME', 'PATH', 'HOSTNAME'] as const;

const defaultIfs = ' \t\n';
/** A shell variable name. */
export const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface BashInternals {
  state?: { env?: unknown; exportedVars?: unknown };
}

function internalsOf(shell: Bash): { env: Map<string, string>; exported: Set<string> } {
  const state = (shell as unknown as BashInternals).state;
  if (!(state?.env instanceof Map) || !(state.exportedVars instanceof Set))
    throw new Error('just-bash changed: Bash.state.env / exportedVars are missing');
  return { env: state.env as Map<string, string>, exported: state.exportedVars as Set<string> };
}

/** The state of a fresh shell: the container's environment, all exported, in its working directory. */
export function freshShell(env: Readonly<Record<string, string>>, workingDir: string): ShellState {
  const exported: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (!shellManaged.has(key)) exported[key] = value;
  return { cwd: workingDir, oldCwd: env.OLDPWD ?? workingDir, env: exported, vars: {} };
}

/** What `new Bash` takes for a shell in `state`: exported variables only (see `execEnvironment`). */
export function bashEnvironment(state: ShellState): Record<string, string> {
  return { ...state.env, PWD: state.cwd, ...(state.oldCwd !== undefined ? { OLDPWD: state.oldCwd } : {}) };
}

/**
 * Makes a just-bash shell built from `bashEnvironment(state)` hold exactly `state`: defaults of
 * its own that the state does not have are removed. Plain (unexported) variables are not in the
 * shell's base environment, which nested `bash -c` inherit: they are passed to the top-level
 * `exec` only (`execEnvironment`), so the script sees them and its children do not.
 */
export function restoreShell(shell: Bash, state: ShellState): void {
  const { env, exported } = internalsOf(shell);
  for (const name of constructorDefaults) {
    if (Object.hasOwn(state.env, name)) continue;
    env.delete(name);
    exported.delete(name);
  }
  if (state.oldCwd === undefined) {
    env.delete('OLDPWD');
    exported.delete('OLDPWD');
  }
}

/**
 * What the top-level `exec` takes as its own `env`: the plain variables, and OLDPWD again, as
 * just-bash's `cd -` reads it from there (else from a default of its own).
 */
export const execEnvironment = (state: ShellState): Record<string, string> => ({
  ...state.vars,
  ...(state.oldCwd !== undefined ? { OLDPWD: state.oldCwd } : {}),
});

/**
 * Sets the status `$?` holds when the next script `shell` runs starts (just-bash copies its state,
 * `lastExitCode` included, into each script's). just-bash has no option for it: a fresh shell's is 0.
 */
export function setStartStatus(shell: Bash, status: number): void {
  const state = (shell as unknown as { state?: { lastExitCode?: unknown } }).state;
  if (typeof state?.lastExitCode !== 'number')
    throw new Error('just-bash changed: Bash.state.lastExitCode is missing');
  state.lastExitCode = status;
}

/** The set of exported names the top-level script of `shell` updates (`export`, `unset`, `export -n`). */
export const exportedNames = (shell: Bash): ReadonlySet<string> => internalsOf(shell).exported;

/**
 * Gives the nested shell about to start (`bash -c`) a copy of the exported names: just-bash would
 * share the top-level set with it, so `bash -c 'export X'` would mark the parent's X exported.
 */
export function isolateExports(shell: Bash, topLevel: ReadonlySet<string>): void {
  (shell as unknown as { state: { exportedVars: Set<string> } }).state.exportedVars = new Set(topLevel);
}

/**
 * The shell's state after a command line, from the variables the interpreter returned and the
 * names its top-level script exported (only names that are still variables of the shell count).
 */
export function capturedShell(
  exported: ReadonlySet<string>,
  variables: Readonly<Record<string, string>>,
  before: ShellState,
): ShellState {
  const state: ShellState = { cwd: variables.PWD || before.cwd, env: {}, vars: {} };
  if (variables.OLDPWD !== undefined) state.oldCwd = variables.OLDPWD;
  if (!state.cwd.startsWith('/')) state.cwd = before.cwd;
  if (state.oldCwd !== undefined && !state.oldCwd.startsWith('/')) delete state.oldCwd;
  for (const [name, value] of Object.entries(variables)) {
    if (!variableName.test(name) || shellManaged.has(name)) continue;
    if (name === 'IFS' && value === defaultIfs) continue;
    if (exported.has(name)) state.env[name] = value;
    else state.vars[name] = value;
  }
  return state;
}

/**
 * Docker passes argv to the process; Strata runs a command line in a shell. `strata exec web ls -l
 * "my file"` therefore joins argv into one line, quoting each word that needs it so the shell
 * splits it back into the same argv; `sh -c "…"` / `bash -c "…"` passes its string as it is.
 */
const safe = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for a POSIX shell: as it is when safe, else in single quotes (`'` as `'\''`). */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (safe.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}

const shells = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh']);
const isShell = (program: string) => shells.has(program.split('/').at(-1) ?? program);

/** The command line for argv: `sh -c STRING [NAME [ARGS…]]` gives STRING; other argv is quoted and joined. */
export function commandLine(argv: readonly string[]): string {
  const [program, flag, script] = argv;
  if (program !== undefined && isShell(program) && flag === '-c' && script !== undefined && argv.length === 3)
    return script;
  return argv.map(shellQuote).join(' ');
}

/** True for argv that starts an interactive shell (`bash`, `/bin/sh`, `sh -l`): no script, no command. */
export function isInteractiveShell(argv: readonly string[]): boolean {
  const [program, ...args] = argv;
  return program !== undefined && isShell(program) && args.every((a) => a.startsWith('-') && a !== '-c');
}

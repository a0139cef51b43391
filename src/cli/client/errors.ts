/**
 * How the CLI fails, as the docker CLI does: a message on stderr and an exit status.
 * - DaemonError: the server refused (`Error response from daemon: <message>`), status 1;
 *   `code` is Strata's error code (NOT_FOUND, CONFLICT, …).
 * - CliError: anything else, printed as it is (`Error: No such image: x`), with its status
 *   (125 for a run/create that could not start the container, 125 for a flag Docker would reject).
 */
export class DaemonError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DaemonError';
  }

  /** What docker prints for an error the daemon returned. */
  get display(): string {
    return `Error response from daemon: ${this.message}`;
  }
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The server cannot be reached (docker: "Cannot connect to the Docker daemon at …"). */
export class ConnectionError extends CliError {}

/** docker's reportError for run/create: `docker: <message>.` and a pointer to the help, status 125. */
export function runFailure(command: string, error: unknown): CliError {
  const text =
    error instanceof DaemonError ? error.display : error instanceof Error ? error.message : String(error);
  if (error instanceof ConnectionError) return error;
  return new CliError(`strata: ${text.replace(/\.$/, '')}.\nSee 'strata ${command} --help'.`, 125);
}

export const noSuchContainer = (ref: string) => new DaemonError('NOT_FOUND', `No such container: ${ref}`);
export const noSuchImage = (ref: string) => new DaemonError('NOT_FOUND', `No such image: ${ref}`);

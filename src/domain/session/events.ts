import type { Digest } from '../digest.ts';

/**
 * Stream `session-<id>`: one shell session in a container (`run -it`, `start -ai`, or the single
 * command of an `exec`). Each step's file changes are appended in the same transaction, to the
 * container's stream, with the step's session and command in their metadata.
 */
export interface SessionStartedData {
  sessionId: string;
  containerId: string;
  /** True for an attached terminal (`run -it`, `start -ai`), false for a one-shot exec. */
  interactive: boolean;
  startedAt: string;
}

/** Output kept inline up to this many bytes per stream; the full output is in the content store. */
export const inlineOutputLimit = 64 * 1024;

export interface StepChange {
  kind: 'A' | 'C' | 'D';
  path: string;
}

/**
 * The interactive shell's own state after a step, as bash keeps it between the lines typed into
 * one shell: the working directory and the shell variables. The next step of the same session
 * starts from it; a new session (`start -ai`, `exec`) starts a fresh shell from the container's
 * config, as in Docker. Arrays, functions, aliases, shell options and variable attributes
 * (readonly, integer) are not carried over. These are the user's own values: whatever they
 * assign in a session is recorded in the log, like the commands they type.
 */
export interface ShellState {
  /** The working directory (bash's PWD), absolute. */
  cwd: string;
  /** bash's OLDPWD (`cd -`), when set. */
  oldCwd?: string;
  /** Exported variables: the environment of the commands the shell runs. */
  env: Record<string, string>;
  /** Shell variables that are not exported (`X=1` typed alone). */
  vars: Record<string, string>;
}

export interface CommandExecutedData {
  /** 1 for the session's first step. */
  index: number;
  command: string;
  exitCode: number;
  /** At most `inlineOutputLimit` bytes; `stdoutDigest` holds all of it when it was longer. */
  stdout: string;
  stderr: string;
  stdoutDigest?: Digest;
  stderrDigest?: Digest;
  /** The paths the step changed, as `docker diff` would mark them against the state before it. */
  changes: StepChange[];
  /** A resource limit that stopped the command (wall time, output, …), when one did. */
  limitHit?: string;
  /**
   * The shell state after the step (unchanged from before it when the command was stopped).
   * Absent from events recorded before shell state was kept, and when the state is larger than
   * `inlineOutputLimit` as JSON: it is then in the content store under `shellDigest`. A step
   * with neither leaves the session's shell state as it was (none: a fresh shell).
   */
  shell?: ShellState;
  shellDigest?: Digest;
  executedAt: string;
}

export type SessionStarted = { type: 'SessionStarted'; data: SessionStartedData };
export type CommandExecuted = { type: 'CommandExecuted'; data: CommandExecutedData };
export type SessionEnded = { type: 'SessionEnded'; data: { exitCode: number; endedAt: string } };

export type SessionEvent = SessionStarted | CommandExecuted | SessionEnded;

export const sessionEventSchemaVersions: Record<SessionEvent['type'], number> = {
  SessionStarted: 1,
  CommandExecuted: 1,
  SessionEnded: 1,
};

export const sessionStream = (sessionId: string): string => `session-${sessionId}`;

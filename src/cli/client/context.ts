import type { StrataApi } from './api.ts';
import type { FlagSpec, ParsedFlags } from './args.ts';

export interface Output {
  write(chunk: string | Uint8Array): unknown;
}

/** What a command runs with: the server, the terminal, and (under `strata at`) a past position. */
export interface CliContext {
  api: StrataApi;
  out: Output;
  err: Output;
  stdin: NodeJS.ReadableStream;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** `strata at POSITION -- …`: read as of this position. */
  asOf: number | undefined;
  /** Milliseconds since the epoch that "2 minutes ago" counts from: now, or the time of `asOf`. */
  now: number;
}

export interface Command {
  /** `rm`, or `system df`. */
  name: string;
  /** What follows `strata <name>` in the usage line: `[OPTIONS] CONTAINER [CONTAINER...]`. */
  usage: string;
  description: string;
  flags: FlagSpec[];
  minArgs?: number;
  maxArgs?: number;
  /** False for commands that take a command line after their arguments (run, create, exec). */
  interspersed?: boolean;
  /** Allowed under `strata at POSITION --` (reads only). */
  readOnly?: boolean;
  run(ctx: CliContext, flags: ParsedFlags, args: string[]): Promise<number>;
}

export const str = (flags: ParsedFlags, name: string): string | undefined => {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
};
export const bool = (flags: ParsedFlags, name: string): boolean => flags[name] === true;

export const line = (ctx: CliContext, text: string) => ctx.out.write(`${text}\n`);
export const errLine = (ctx: CliContext, text: string) => ctx.err.write(`${text}\n`);

/** `asOf` as a GraphQL variable: omitted for "now". */
export const asOfVar = (ctx: CliContext) => (ctx.asOf === undefined ? {} : { asOf: ctx.asOf });

import { type StrataError, validationError } from '../domain/errors.ts';
import type { ExecLimitName, ExecLimits, ExecResult, LimitHit } from './types.ts';

const MiB = 1024 * 1024;

export const defaultExecLimits: Readonly<ExecLimits> = Object.freeze({
  wallTimeMs: 30_000,
  maxOutputBytes: 4 * MiB,
  maxCommands: 50_000,
  maxLoopIterations: 50_000,
  maxCallDepth: 100,
  maxBytesWritten: 64 * MiB,
  maxFileSize: 32 * MiB,
});

/** Merges `overrides` over the defaults; every value must be a positive safe integer. */
export function resolveExecLimits(overrides: Partial<ExecLimits> = {}): ExecLimits {
  const limits = { ...defaultExecLimits };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in defaultExecLimits)) throw validationError(`unknown exec limit "${key}"`, { limit: key });
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw validationError(`exec limit ${key} must be a positive integer, got ${String(value)}`, {
        limit: key,
      });
    }
    limits[key as keyof ExecLimits] = value;
  }
  return limits;
}

const describe: Record<Exclude<ExecLimitName, 'interpreter' | 'aborted'>, (value: number) => string> = {
  wallTime: (v) => `wall time limit of ${v} ms exceeded`,
  outputBytes: (v) => `output limit of ${v} bytes (stdout and stderr) exceeded`,
  commands: (v) => `limit of ${v} commands exceeded`,
  loopIterations: (v) => `limit of ${v} loop iterations exceeded`,
  callDepth: (v) => `function call depth limit of ${v} exceeded`,
  bytesWritten: (v) => `limit of ${v} bytes written exceeded`,
  fileSize: (v) => `file size limit of ${v} bytes exceeded`,
};

export function limitHit(limit: ExecLimitName, value: number | undefined, detail?: string): LimitHit {
  const base =
    limit === 'aborted'
      ? 'aborted by the caller'
      : limit === 'interpreter' || value === undefined
        ? 'interpreter limit exceeded'
        : describe[limit](value);
  return { limit, ...(value === undefined ? {} : { value }), message: detail ? `${base}: ${detail}` : base };
}

/**
 * For callers that treat a limit as a failure rather than as a result: the StrataError
 * (VALIDATION, details { limit, value }) describing `result.limitHit`, or null.
 */
export function limitError(result: ExecResult): StrataError | null {
  const hit = result.limitHit;
  if (!hit) return null;
  return validationError(`exec stopped: ${hit.message}`, { limit: hit.limit, value: hit.value });
}

import { StrataError, validationError } from '../domain/errors.ts';
import type { ExpectedVersion } from './types.ts';

/** The stream was not at the expected version. Code 'CONCURRENCY'. */
export class ConcurrencyError extends StrataError {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super('CONCURRENCY', `stream "${stream}" is at version ${actual}, expected ${expected}`, {
      stream,
      expected,
      actual,
    });
    this.name = 'ConcurrencyError';
  }
}

/**
 * An event id is already stored at another place (another stream or version), or only part of a
 * re-sent append is stored. Code 'CONFLICT'. Never a silent drop.
 */
export class DuplicateEventIdError extends StrataError {
  constructor(
    message: string,
    readonly eventId: string,
    readonly storedStream: string | null,
    readonly storedVersion: number | null,
    readonly attemptedStream: string,
  ) {
    super('CONFLICT', message, { eventId, storedStream, storedVersion, attemptedStream });
    this.name = 'DuplicateEventIdError';
  }
}

interface PgErrorLike {
  code?: string;
  detail?: string;
  message: string;
  constraint?: string;
}

/** Turns the append function's SQLSTATEs (SE001…SE004) into typed errors; other errors pass through. */
export function mapAppendError(error: unknown): unknown {
  const e = error as PgErrorLike;
  if (!e || typeof e !== 'object' || typeof e.code !== 'string') return error;
  const detail = (): Record<string, unknown> => {
    try {
      return JSON.parse(e.detail ?? '{}') as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  switch (e.code) {
    case 'SE001': {
      const d = detail();
      return new ConcurrencyError(String(d.stream), d.expected as ExpectedVersion, Number(d.actual));
    }
    case 'SE002': {
      const d = detail();
      return new DuplicateEventIdError(
        e.message,
        String(d.eventId),
        (d.stream as string | null) ?? null,
        (d.version as number | null) ?? null,
        String(d.attemptedStream),
      );
    }
    case 'SE003':
      return validationError(
        'an append must be the first write of its transaction (write content and other rows in their own transaction before it, or after it)',
      );
    case 'SE004':
      return validationError(e.message);
    default:
      return error;
  }
}

/**
 * The closed set of failures Strata reports. Every expected failure is a StrataError with one of
 * these codes; GraphQL exposes each code as a typed error, the CLI maps it to an exit status.
 */
export const errorCodes = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'CONCURRENCY',
  'INTEGRITY',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'UPSTREAM',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export class StrataError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'StrataError';
  }
}

export const validationError = (message: string, details?: Record<string, unknown>) =>
  new StrataError('VALIDATION', message, details);
export const notFoundError = (message: string, details?: Record<string, unknown>) =>
  new StrataError('NOT_FOUND', message, details);
export const conflictError = (message: string, details?: Record<string, unknown>) =>
  new StrataError('CONFLICT', message, details);
export const integrityError = (message: string, details?: Record<string, unknown>) =>
  new StrataError('INTEGRITY', message, details);
export const upstreamError = (message: string, details?: Record<string, unknown>) =>
  new StrataError('UPSTREAM', message, details);

export const isStrataError = (error: unknown): error is StrataError => error instanceof StrataError;

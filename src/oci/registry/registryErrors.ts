import { type ErrorCode, StrataError } from '../../domain/errors.ts';

/** Replaces every secret occurrence in `text` by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***');
  return out;
}

const codeFor: Record<string, ErrorCode> = {
  MANIFEST_UNKNOWN: 'NOT_FOUND',
  NAME_UNKNOWN: 'NOT_FOUND',
  BLOB_UNKNOWN: 'NOT_FOUND',
  BLOB_UPLOAD_UNKNOWN: 'NOT_FOUND',
  UNAUTHORIZED: 'UNAUTHORIZED',
  DENIED: 'FORBIDDEN',
};

interface RegistryErrorEntry {
  code?: unknown;
  message?: unknown;
}

/**
 * Turns a failed registry response into a StrataError: the distribution-spec `{"errors":[{code,message}]}`
 * body gives the code and the registry's own message; 401/403/404 without a body map by status.
 */
export function registryError(
  status: number,
  bodyText: string,
  context: { host: string; action: string; secrets: readonly string[]; hint?: string },
): StrataError {
  let entries: RegistryErrorEntry[] = [];
  try {
    const parsed = JSON.parse(bodyText) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) entries = parsed.errors as RegistryErrorEntry[];
  } catch {
    // not a distribution error body
  }
  const codes = entries.map((e) => (typeof e.code === 'string' ? e.code : '')).filter((c) => c !== '');
  let code: ErrorCode =
    codes.map((c) => codeFor[c]).find((c): c is ErrorCode => c !== undefined) ??
    (status === 401
      ? 'UNAUTHORIZED'
      : status === 403
        ? 'FORBIDDEN'
        : status === 404
          ? 'NOT_FOUND'
          : 'UPSTREAM');
  if (status >= 500) code = 'UPSTREAM';
  const messages = entries
    .map((e) => {
      const c = typeof e.code === 'string' ? e.code : '';
      const m = typeof e.message === 'string' ? e.message : '';
      return c && m ? `${m} (${c})` : m || c;
    })
    .filter((m) => m !== '');
  const said = messages.length
    ? messages.join('; ')
    : `HTTP ${status}${bodyText.trim() && bodyText.length < 200 && !/[<{]/.test(bodyText) ? `: ${bodyText.trim()}` : ''}`;
  const message = redact(
    `registry ${context.host}: ${context.action}: ${said}${context.hint ? ` (${context.hint})` : ''}`,
    context.secrets,
  );
  return new StrataError(code, message, { status, registryCodes: codes, host: context.host });
}

import { CliError } from '../errors.ts';

/**
 * The part of Go's text/template that `--format` / `inspect -f` are used with: `{{.Field}}`,
 * `{{.A.B}}`, `{{json .}}`, `{{json .Field}}`, `{{upper .F}}`, `{{lower .F}}`, `{{join .List ","}}`;
 * `\t` and `\n` in the format are a tab and a newline, as the docker CLI replaces them.
 */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `map[${entries.map(([k, v]) => `${k}:${goValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

function lookup(root: unknown, path: string): unknown {
  if (path === '.') return root;
  let value: unknown = root;
  for (const key of path.slice(1).split('.')) {
    if (value === null || typeof value !== 'object' || !(key in (value as object))) {
      throw new CliError(`template parsing error: template: :1: can't evaluate field ${key}`);
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Sorted keys, as Go marshals a map. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export const unescapeFormat = (format: string) => format.replaceAll('\\t', '\t').replaceAll('\\n', '\n');

export function applyTemplate(format: string, data: unknown): string {
  return unescapeFormat(format).replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, inner: string) => {
    const words = inner.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    const [first, ...rest] = words;
    if (first === undefined) return '';
    if (first.startsWith('.')) return goValue(lookup(data, first));
    const arg = rest[0];
    if (!arg?.startsWith('.'))
      throw new CliError(`template parsing error: template: :1: function "${first}" not defined`);
    const value = lookup(data, arg);
    switch (first) {
      case 'json':
        return JSON.stringify(value ?? null);
      case 'upper':
        return goValue(value).toUpperCase();
      case 'lower':
        return goValue(value).toLowerCase();
      case 'join': {
        const sep = rest[1] ? (JSON.parse(rest[1]) as string) : ' ';
        return Array.isArray(value) ? value.map(goValue).join(sep) : goValue(value);
      }
      default:
        throw new CliError(`template parsing error: template: :1: function "${first}" not defined`);
    }
  });
}

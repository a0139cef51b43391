import { table } from './table.ts';
import { applyTemplate, sortedJson, unescapeFormat } from './template.ts';

export interface Column {
  field: string;
  header: string;
}

/**
 * A listing (`images`, `ps`, `history`, `system df`) in one of docker's forms: the table
 * (default), `--format json` (one JSON object per line, keys sorted, like `{{json .}}`),
 * `--format 'table {{.ID}}\t{{.Names}}'` (a table of chosen fields, headers as docker names
 * them) or any other template, one line per row.
 */
export function renderList(
  rows: readonly Record<string, string>[],
  columns: readonly Column[],
  format: string | undefined,
  headers: Record<string, string> = {},
): string {
  if (format === undefined || format === '' || format === 'table') {
    return table(
      columns.map((c) => c.header),
      rows.map((row) => columns.map((c) => row[c.field] ?? '')),
    );
  }
  if (format === 'json') return rows.map((row) => `${sortedJson(row)}\n`).join('');
  if (format.startsWith('table')) {
    const template = format.slice('table'.length).trim();
    const names = Object.fromEntries(columns.map((c) => [c.field, c.header]));
    const headerRow = new Proxy(
      {},
      { get: (_t, key: string) => names[key] ?? headers[key] ?? key.toUpperCase(), has: () => true },
    );
    const lines = [applyTemplate(template, headerRow), ...rows.map((row) => applyTemplate(template, row))];
    const cells = lines.map((l) => l.split('\t'));
    return table(cells[0]!, cells.slice(1));
  }
  return rows.map((row) => `${applyTemplate(unescapeFormat(format), row)}\n`).join('');
}

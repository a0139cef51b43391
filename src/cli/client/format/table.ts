/**
 * Docker's table layout: Go's text/tabwriter as the docker CLI configures it (minwidth 10,
 * padding 3, spaces): every column but the last is as wide as its widest cell plus 3, at least
 * 10; the last column is not padded. Widths count characters (runes), not bytes.
 */
const width = (text: string) => [...text].length;

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [header, ...rows];
  const columns = Math.max(...lines.map((l) => l.length));
  const widths: number[] = [];
  for (let c = 0; c < columns - 1; c++) {
    widths.push(Math.max(10, ...lines.map((l) => width(l[c] ?? '') + 3)));
  }
  return lines
    .map((cells) =>
      cells
        .map((cell, c) => (c < cells.length - 1 ? cell + ' '.repeat(widths[c]! - width(cell)) : cell))
        .join(''),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** docker's Ellipsis: at most `max` characters, the last one `…` when cut. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** 12 hex characters of an id or digest (`sha256:` dropped), as `docker images` / `docker ps` show it. */
export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

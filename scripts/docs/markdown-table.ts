/** Markdown tables laid out as the repository's formatter (Biome) lays them out, so generated docs pass its check. */

/** A table with every column padded to its widest cell and a `---` rule as wide as each column. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(3, [...cell].length, ...rows.map((row) => [...(row[column] ?? '')].length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - [...cell].length)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

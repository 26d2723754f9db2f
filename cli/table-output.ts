/** Output of the ops commands: aligned columns for people, JSON for scripts. */

/** Prints rows as a table with a header; cells are stringified and never wrapped. */
export function printTable(columns: string[], rows: (string | number | undefined)[][]): void {
  const cells = [columns, ...rows.map((row) => row.map((cell) => (cell === undefined ? '-' : String(cell))))];
  const widths = columns.map((_, index) => Math.max(...cells.map((row) => (row[index] ?? '').length)));
  for (const row of cells)
    console.log(
      row
        .map((cell, index) =>
          index === row.length - 1 ? cell : (cell ?? '').padEnd(widths[index] as number),
        )
        .join('  '),
    );
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** `3661` → `1h 1m`. */
export function formatAge(seconds: number | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

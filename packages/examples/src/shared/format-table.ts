/** A column of {@link formatTable}: its header and whether its cells align right (numbers). */
export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right' | undefined;
}

/**
 * A plain-text table: a header row, a rule, then the rows, columns padded to their widest cell.
 * No ANSI codes, so it reads the same in a terminal, a CI log and a pipe.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]) {
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}

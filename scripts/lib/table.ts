/**
 * Columns of text for the scripts' reports (`npm run events`, `npm run
 * chaos`): each column padded to its widest cell, numbers right-aligned where
 * asked, as plain text or as a Markdown table (which pastes into a doc).
 */
export type Align = 'left' | 'right';

export interface TableOptions {
  /** Per column; columns not named are left-aligned. */
  align?: readonly Align[];
  markdown?: boolean;
}

export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const right = (i: number) => options.align?.[i] === 'right';
  const cell = (c: string, i: number) => (right(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0));
  if (options.markdown) {
    const line = (cells: readonly string[]) => `| ${header.map((_, i) => cell(cells[i] ?? '', i)).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (right(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
    return [line(header), rule, ...rows.map(line)].join('\n');
  }
  // Plain text: two spaces between columns, no trailing blanks.
  const line = (cells: readonly string[]) =>
    header
      .map((_, i) => cell(cells[i] ?? '', i))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

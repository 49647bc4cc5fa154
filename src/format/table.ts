/** The one table style every command prints: cli-table3, no rules between body rows. */
import Table from 'cli-table3';
import { terminalText } from './escape.js';

const plain = { head: [] as string[], border: [] as string[] };

/** No rule between body rows: the tables stay as dense as Keras' and torchinfo's. */
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** Rows per cli-table3 render: it spreads a table's rows into calls, which a million rows overflow. */
const BLOCK = 4000;

/** Display width, as cli-table3 measures a cell (wide characters count twice). */
const width = (s: string): number =>
  [...s].reduce(
    (w, ch) =>
      w +
      (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch)
        ? 2
        : 1),
    0,
  );

export function table(
  head: string[],
  rows: string[][],
  align: Array<'left' | 'right'>,
  widths?: Array<number | null>,
): string {
  // Escaped before cli-table3 measures the cells: it would count an ANSI sequence as zero columns.
  const h = head.map(terminalText);
  const body = rows.map((r) => r.map(terminalText));
  const render = (part: string[][], withHead: boolean, colWidths?: Array<number | null>): string => {
    const t = new Table({
      head: withHead ? h : [],
      style: plain,
      colAligns: align,
      chars,
      ...(colWidths ? { colWidths, wordWrap: widths !== undefined } : {}),
    });
    for (const r of part) t.push(r);
    return t.toString();
  };
  if (body.length <= BLOCK) return render(body, true, widths);
  // A long table: one width per column for all its rows, computed here.
  const natural = (i: number): number => body.reduce((m, r) => Math.max(m, width(r[i] ?? '')), width(h[i] ?? '')) + 2;
  const cols = h.map((_, i) => widths?.[i] ?? natural(i));
  // cli-table3 takes about a second per few thousand rows: past the first block, rows that need no
  // wrapping are drawn here in its style (padding 1, '│' between cells), the test holding the two equal.
  const first = render(body.slice(0, BLOCK), true, cols).split('\n');
  const lines = first.slice(0, -1);
  for (let at = BLOCK; at < body.length; at += BLOCK) {
    const part = body.slice(at, at + BLOCK);
    if (part.every((r) => r.every((c, i) => width(c) <= cols[i]! - 2)))
      for (const r of part)
        lines.push(
          `│${r.map((c, i) => ` ${align[i] === 'right' ? ' '.repeat(cols[i]! - 2 - width(c)) + c : c + ' '.repeat(cols[i]! - 2 - width(c))} `).join('│')}│`,
        );
    else lines.push(...render(part, false, cols).split('\n').slice(1, -1));
  }
  lines.push(first.at(-1)!);
  return lines.join('\n');
}

/** The one table style every command prints: cli-table3, no rules between body rows. */
import Table from 'cli-table3';
import { terminalText } from './escape.js';

const plain = { head: [] as string[], border: [] as string[] };

/** No rule between body rows: the tables stay as dense as Keras' and torchinfo's. */
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

export function table(
  head: string[],
  rows: string[][],
  align: Array<'left' | 'right'>,
  widths?: Array<number | null>,
): string {
  // Escaped before cli-table3 measures the cells: it would count an ANSI sequence as zero columns.
  const t = new Table({
    head: head.map(terminalText),
    style: plain,
    colAligns: align,
    chars,
    ...(widths ? { colWidths: widths, wordWrap: true } : {}),
  });
  t.push(...rows.map((r) => r.map(terminalText)));
  return t.toString();
}

/** The long-table path renders in blocks and joins them into the very table cli-table3 draws whole. */
import Table from 'cli-table3';
import { describe, expect, it } from 'vitest';
import { table } from '../src/format/table.js';

const whole = (head: string[], rows: string[][], align: Array<'left' | 'right'>): string => {
  const t = new Table({
    head,
    style: { head: [], border: [] },
    colAligns: align,
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) t.push(r);
  return t.toString();
};

describe('table', () => {
  it('a table longer than one block is the same text as one drawn whole', () => {
    const rows = Array.from({ length: 9001 }, (_, i) => [`layer_${i}`, String(i * 7), i % 3 ? 'x' : 'Ｗide']);
    const align: Array<'left' | 'right'> = ['left', 'right', 'left'];
    const out = table(['name', 'n', 'w'], rows, align);
    expect(out).toBe(whole(['name', 'n', 'w'], rows, align));
    expect(out.split('\n')).toHaveLength(9001 + 3);
  });
  it('a million rows do not overflow the stack', () => {
    const rows = Array.from({ length: 1_000_000 }, (_, i) => [`l${i}`, '1']);
    expect(table(['name', 'n'], rows, ['left', 'right']).split('\n')).toHaveLength(1_000_003);
  }, 120_000);
});

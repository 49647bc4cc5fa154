/** `diff`: aligned layers with their deltas and causes, then the deltas by cause. */
import { CAUSES, type Cause, type DiffResult } from '../diff.js';
import { terminalText } from './escape.js';
import { int, signed } from './numbers.js';
import { fitProse, table } from './table.js';

/** Aligned layers with their deltas and causes, then the deltas by cause, which add up to the total. */
export function formatDiff(d: DiffResult): string {
  const causes = (r: Partial<Record<Cause, number>>): string =>
    (Object.entries(r) as Array<[Cause, number]>).map(([k, v]) => `${k} ${signed(v)}`).join(', ');
  const rows = d.pairs
    .filter((p) => p.paramsA !== p.paramsB || p.macsA !== p.macsB || p.a === null || p.b === null)
    .map((p) => [
      p.a ?? '(none)',
      p.b ?? '(none)',
      int(p.paramsA),
      int(p.paramsB),
      signed(p.paramsB - p.paramsA),
      signed(p.macsB - p.macsA),
      [causes(p.params), causes(p.macs) ? `MACs: ${causes(p.macs)}` : ''].filter(Boolean).join('; '),
    ]);
  const out = [
    `${terminalText(d.a.model)} (${int(d.a.params)} params, ${d.a.convention} convention; ${int(d.a.macs)} MACs) -> ${terminalText(d.b.model)} (${int(d.b.params)} params, ${d.b.convention} convention; ${int(d.b.macs)} MACs)`,
    rows.length
      ? table(
          ['A layer', 'B layer', 'Params A', 'Params B', 'Δ params', 'Δ MACs', 'Causes'],
          rows,
          ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
          [null, null, null, null, null, null, 60],
          // In a narrow terminal the differences stay; each side's own count goes.
          [2, 3],
        )
      : 'No weighted layer differs.',
  ];
  const all = [...new Set([...Object.keys(d.byCause.params), ...Object.keys(d.byCause.macs)])] as Cause[];
  out.push(
    table(
      ['Cause', 'Δ params', 'Δ MACs', 'Meaning'],
      [
        ...all.map((k) => [k, signed(d.byCause.params[k] ?? 0), signed(d.byCause.macs[k] ?? 0), CAUSES[k]]),
        [
          'total',
          signed(d.delta.params),
          signed(d.delta.macs),
          d.balanced ? 'the causes add up to the total difference' : 'UNBALANCED: please report this',
        ],
      ],
      ['left', 'right', 'right', 'left'],
      [null, null, null, 60],
    ),
  );
  return fitProse(out.join('\n'));
}

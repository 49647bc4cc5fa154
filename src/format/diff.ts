/** `diff`: aligned layers (or a weights file's tensors) with their deltas and causes, then the deltas by cause. */
import { CAUSES, type Cause, type DiffResult } from '../diff.js';
import { TENSOR_CAUSES, type InventorySide, type TensorCause, type TensorDiffResult } from '../tensor-diff.js';
import { terminalText } from './escape.js';
import { int, shape, signed } from './numbers.js';
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

const FORMAT_NAMES: Record<InventorySide['format'], string> = {
  safetensors: 'safetensors',
  'safetensors-index': 'sharded safetensors',
  torch: 'torch.save',
  'torch-legacy': 'torch.save, legacy',
  census: 'census',
};

/** A weights file against a model or another weights file: the tensors that differ, then the causes. */
export function formatTensorDiff(d: TensorDiffResult): string {
  const sideText = (s: InventorySide): string =>
    `${terminalText(s.source)} (${FORMAT_NAMES[s.format]}: ${int(s.tensors)} tensors, ${int(s.elements)} elements; ${int(s.withoutBuffers)} without buffers)`;
  const al = d.alignment;
  const how =
    al.by === 'names'
      ? `Aligned by name${al.strip ? `, "${terminalText(al.strip.prefix)}" taken off ${al.strip.side.toUpperCase()}'s names` : ''}: ${int(al.matched)} pairs.`
      : `Aligned by shape, in order (too few names match): ${int(al.matched)} pairs.`;
  const dims = (s: number[] | null): string => (s ? shape(s) : '');
  const rows = d.pairs
    .filter((p) => p.cause !== undefined || p.a === null || p.b === null)
    .map((p) => [
      p.a ?? '(none)',
      p.b ?? '(none)',
      dims(p.shapeA),
      dims(p.shapeB),
      signed(p.elementsB - p.elementsA),
      p.cause ?? (p.a !== null && p.b !== null ? 'tied on both sides' : 'tied, and absent on the other side'),
    ]);
  const out = [
    `${sideText(d.a)} -> ${sideText(d.b)}`,
    how,
    rows.length
      ? table(
          ['A tensor', 'B tensor', 'Shape A', 'Shape B', 'Δ elements', 'Cause'],
          rows,
          ['left', 'left', 'left', 'left', 'right', 'left'],
          undefined,
          [3, 2],
        )
      : 'No tensor differs in elements.',
  ];
  const layout = d.pairs.filter((p) => p.layout && p.cause === undefined).length;
  if (layout)
    out.push(
      `${int(layout)} paired tensor(s) hold the same elements with their dims in another order (a census keeps kernels channels-last, [kh, kw, in, out] for PyTorch's [out, in, kh, kw]; Linear as [in, out]): no difference in count.`,
    );
  const dtypes = d.pairs.filter((p) => p.a !== null && p.b !== null && p.dtypeA !== p.dtypeB).length;
  if (dtypes) out.push(`${int(dtypes)} paired tensor(s) differ in dtype: the same elements, other bytes.`);
  const causes = Object.keys(d.byCause) as TensorCause[];
  out.push(
    table(
      ['Cause', 'Δ elements', 'Meaning'],
      [
        ...causes.map((k) => [k, signed(d.byCause[k]!), TENSOR_CAUSES[k]]),
        [
          'total',
          signed(d.delta.elements),
          d.balanced ? 'the causes add up to the total difference' : 'UNBALANCED: please report this',
        ],
      ],
      ['left', 'right', 'left'],
      [null, null, 60],
    ),
  );
  return fitProse(out.join('\n'));
}

/** `verify`: one row per model, then the layer-by-layer differences of any mismatch. */
import type { VerifyResult } from '../verify.js';
import { terminalText } from './escape.js';
import { int, shape } from './numbers.js';
import { fitProse, table } from './table.js';

export function formatVerify(
  results: readonly VerifyResult[],
  backend: { backend: string; device: string; note?: string },
): string {
  const out = [
    `Verification by execution on TensorFlow.js backend "${backend.backend}" (${backend.device})${backend.note ? `\nNote: ${backend.note}` : ''}`,
  ];
  out.push(
    table(
      [
        'Model',
        'Input',
        'Layers matched',
        'Params (census, keras)',
        'Params (tfjs countParams)',
        'Trainable',
        'Non-trainable',
        'Build',
        'Forward',
        'Result',
      ],
      results.map((r) => [
        r.model,
        r.input.join('x'),
        `${r.layers.filter((l) => l.ok).length}/${r.layers.length}`,
        int(r.params.census),
        int(r.params.framework),
        r.trainableParams.census === r.trainableParams.framework
          ? int(r.trainableParams.framework)
          : `${int(r.trainableParams.census)} vs ${int(r.trainableParams.framework)}`,
        r.nonTrainableParams.census === r.nonTrainableParams.framework
          ? int(r.nonTrainableParams.framework)
          : `${int(r.nonTrainableParams.census)} vs ${int(r.nonTrainableParams.framework)}`,
        `${(r.timings.buildMs / 1000).toFixed(2)} s`,
        `${(r.timings.forwardMs / 1000).toFixed(2)} s`,
        r.ok ? 'ok' : 'MISMATCH',
      ]),
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
      undefined,
      // In a narrow terminal: the split of the count, the build time, the input size go first.
      [5, 6, 7, 1],
    ),
  );
  for (const r of results.filter((x) => !x.ok)) {
    out.push(`${terminalText(r.model)}: ${r.mismatches.length} difference(s)`);
    out.push(
      table(
        ['Layer', 'Census shape', 'Executed shape', 'Census params', 'tfjs params'],
        r.layers
          .filter((l) => !l.ok)
          .map((l) => [
            l.name,
            shape(l.censusShape),
            shape(l.executedShape),
            int(l.censusParams),
            int(l.frameworkParams),
          ]),
        ['left', 'left', 'left', 'right', 'right'],
      ),
    );
    const other = r.mismatches.filter((m) => !r.layers.some((l) => !l.ok && m.startsWith(`${l.name}:`)));
    if (other.length) out.push(other.map((m) => `  ${terminalText(m)}`).join('\n'));
  }
  const witnessed = results.filter((r) => Object.keys(r.witnesses).length > 0);
  if (witnessed.length) {
    out.push('More witnesses');
    for (const r of witnessed) {
      for (const w of Object.values(r.witnesses).filter((x) => x !== undefined)) {
        const verdict = w.ok === null ? 'not asked' : w.ok ? 'agrees' : 'DISAGREES';
        out.push(`  ${terminalText(r.model)}: ${terminalText(w.name)}: ${verdict} - ${terminalText(w.note)}`);
      }
    }
  }
  const ok = results.filter((r) => r.ok).length;
  out.push(
    `${ok} of ${results.length} models verified: every layer's executed shape and countParams() equal the census`,
  );
  return fitProse(out.join('\n'));
}

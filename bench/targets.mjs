/**
 * The product targets of the inference benchmark, checked against a `runBench` result. They live here,
 * with the benchmark, not in the library: `netcensus bench` measures; this file judges.
 *
 * The ratios are netcensus' time over a peer's, taken run against run within each interleaved round; a
 * target is judged on the median over every round of every repeat, and the value says how many repeats'
 * own medians met it and their range.
 */

const PARITY = 1.05; // netcensus at most 5% slower than the bare tfjs-layers model
const TORCH = 1.0; // at least as fast as PyTorch CPU

function ratioTarget(comparisons, model, batch, peer, limit, target) {
  const c = comparisons.find((x) => x.model === model && x.batch === batch && x.peer === peer);
  if (!c) return { target, value: 'not measured', met: null, note: `no ${peer} comparison at batch ${batch}` };
  const within = c.byRepeat.filter((r) => r <= limit).length;
  const range = c.byRepeat.length > 1 ? `, repeats ${c.range[0].toFixed(3)} to ${c.range[1].toFixed(3)}` : '';
  return {
    target,
    value:
      `netcensus / ${peer} = ${c.ratio.toFixed(3)} (p10 ${c.p10.toFixed(3)}, p90 ${c.p90.toFixed(3)}${range}; ` +
      `${within} of ${c.byRepeat.length} repeats within; ${c.rounds} rounds)`,
    met: c.ratio <= limit,
    note: '',
  };
}

export function checkTargets({ rows, comparisons, fma }) {
  const row = (model, backend, batch) =>
    rows.find((r) => r.model === model && r.backend === backend && r.batch === batch && r.status === 'ok');
  const targets = [];
  for (const model of ['vgg16', 'resnet50']) {
    for (const batch of [1, 8]) {
      targets.push(
        ratioTarget(
          comparisons,
          model,
          batch,
          'bare-tfjs-node',
          PARITY,
          `${model}, native, batch ${batch}: netcensus within 5% of the bare tfjs-layers model`,
        ),
      );
    }
    targets.push(
      ratioTarget(
        comparisons,
        model,
        8,
        'pytorch',
        TORCH,
        `${model}, native, batch 8: at least as fast as PyTorch CPU`,
      ),
    );
  }
  const vgg8 = row('vgg16', 'tensorflow', 8);
  targets.push(
    vgg8 && fma.measuredGflops
      ? {
          target: `vgg16, native, batch 8: at least 50% of the measured FMA peak (${fma.isa})`,
          value: `${vgg8.gflops.toFixed(1)} effective GFLOP/s of ${fma.measuredGflops.toFixed(1)} (${((vgg8.gflops / fma.measuredGflops) * 100).toFixed(0)}%)`,
          met: vgg8.gflops >= 0.5 * fma.measuredGflops,
          note: '',
        }
      : {
          target: 'vgg16, native, batch 8: at least 50% of the measured FMA peak',
          value: 'not measured',
          met: null,
          note: 'needs a native batch-8 run and the FMA loop',
        },
  );
  const wasm1 = row('vgg16', 'wasm', 1);
  targets.push(
    wasm1
      ? {
          target: 'vgg16, wasm, batch 1: at least 20 GFLOP/s',
          value: `${wasm1.gflops.toFixed(1)} effective GFLOP/s`,
          met: wasm1.gflops >= 20,
          note: '',
        }
      : {
          target: 'vgg16, wasm, batch 1: at least 20 GFLOP/s',
          value: 'not measured',
          met: null,
          note: 'no wasm batch-1 run',
        },
  );
  return targets;
}

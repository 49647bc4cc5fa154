/**
 * The product targets of the inference benchmark, checked against a `runBench` result. They live here,
 * with the benchmark, not in the library: `netcensus bench` measures; this file judges.
 *
 * The ratios are netcensus' time over a peer's, taken run against run within each interleaved round; a
 * target is judged on the median over every round of every repeat, and the value says how many repeats'
 * own medians met it and their range. "fast" is the path `--path fast` chose for that row (the graph form
 * on native TensorFlow where the model has one); "eager" is model.predict, the model as verify builds it.
 */

const PARITY = 1.05; // eager: netcensus at most 5% slower than the bare tfjs-layers model
const TORCH = 1.0; // fast path at least as fast as PyTorch CPU
const TORCH_RESNET50_B8 = 1 / 1.3; // ResNet-50 batch 8: at least 1.3x faster than PyTorch
const ORT = 1.2; // fast path within 1.2x of ONNX Runtime (an aim: the ratio is stated either way)

/** The path 'fast' resolved to for a model and batch (undefined where no fast row ran). */
const fastPath = (rows, model, batch) =>
  rows.find((r) => r.model === model && r.batch === batch && r.requested === 'fast' && r.status === 'ok')?.path;

function ratioTarget(comparisons, model, batch, path, peer, limit, target) {
  const c =
    path && comparisons.find((x) => x.model === model && x.batch === batch && x.peer === peer && x.path === path);
  if (!c)
    return {
      target,
      value: 'not measured',
      met: null,
      note: `no ${path ?? 'fast'}/${peer} comparison at batch ${batch}`,
    };
  const within = c.byRepeat.filter((r) => r <= limit).length;
  const range = c.byRepeat.length > 1 ? `, repeats ${c.range[0].toFixed(3)} to ${c.range[1].toFixed(3)}` : '';
  return {
    target,
    value:
      `netcensus ${path} / ${peer} = ${c.ratio.toFixed(3)} (p10 ${c.p10.toFixed(3)}, p90 ${c.p90.toFixed(3)}${range}; ` +
      `${within} of ${c.byRepeat.length} repeats within; ${c.rounds} rounds)`,
    met: c.ratio <= limit,
    note: '',
  };
}

export function checkTargets({ rows, comparisons, fma }) {
  const targets = [];
  const models = ['resnet50', 'vgg16', 'alexnet-torchvision'];
  for (const model of models) {
    for (const batch of [1, 8]) {
      const fast = fastPath(rows, model, batch);
      if (model !== 'alexnet-torchvision')
        targets.push(
          ratioTarget(
            comparisons,
            model,
            batch,
            'eager',
            'bare-tfjs-node',
            PARITY,
            `${model}, native, batch ${batch}: eager within 5% of the bare tfjs-layers model`,
          ),
        );
      const b8 = model === 'resnet50' && batch === 8;
      targets.push(
        ratioTarget(
          comparisons,
          model,
          batch,
          fast,
          'pytorch',
          b8 ? TORCH_RESNET50_B8 : TORCH,
          `${model}, native, batch ${batch}: fast path ${b8 ? 'at least 1.3x faster than' : 'at least as fast as'} PyTorch CPU`,
        ),
      );
      targets.push(
        ratioTarget(
          comparisons,
          model,
          batch,
          fast,
          'onnxruntime',
          ORT,
          `${model}, native, batch ${batch}: fast path within 1.2x of ONNX Runtime (aim)`,
        ),
      );
    }
  }
  const vgg8 = rows.find(
    (r) =>
      r.model === 'vgg16' && r.backend === 'tensorflow' && r.batch === 8 && r.requested === 'fast' && r.status === 'ok',
  );
  targets.push(
    vgg8 && fma.measuredGflops
      ? {
          target: `vgg16, native, batch 8: fast path at least 50% of the measured FMA peak (${fma.isa})`,
          value: `${vgg8.gflops.toFixed(1)} effective GFLOP/s of ${fma.measuredGflops.toFixed(1)} (${((vgg8.gflops / fma.measuredGflops) * 100).toFixed(0)}%; of the wall-time peak ${fma.measuredWallGflops?.toFixed(1) ?? '?'}: ${fma.measuredWallGflops ? ((vgg8.gflops / fma.measuredWallGflops) * 100).toFixed(0) : '?'}%)`,
          met: vgg8.gflops >= 0.5 * fma.measuredGflops,
          note: '',
        }
      : {
          target: 'vgg16, native, batch 8: fast path at least 50% of the measured FMA peak',
          value: 'not measured',
          met: null,
          note: 'needs a native batch-8 run and the FMA loop',
        },
  );
  const wasm1 = rows.find((r) => r.model === 'vgg16' && r.backend === 'wasm' && r.batch === 1 && r.status === 'ok');
  targets.push(
    wasm1
      ? {
          target: 'vgg16, wasm, batch 1: at least 20 GFLOP/s',
          value: `${wasm1.gflops.toFixed(1)} effective GFLOP/s (${wasm1.path})`,
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

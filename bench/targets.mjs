/**
 * The product targets of the inference benchmark, checked against a `runBench` result. They live here,
 * with the benchmark, not in the library: `netcensus bench` measures; this file judges.
 */

export function checkTargets({ rows, peers, fma }) {
  const row = (model, backend, batch) =>
    rows.find((r) => r.model === model && r.backend === backend && r.batch === batch && r.status === 'ok');
  const peer = (kind, model, batch) =>
    peers.find((p) => p.peer === kind && p.model === model && p.batch === batch && p.status === 'ok');
  const targets = [];
  for (const model of ['vgg16', 'resnet50']) {
    const mine = row(model, 'tensorflow', 8);
    const torch = peer('pytorch', model, 8);
    targets.push(
      mine && torch
        ? {
            target: `${model}, native, batch 8: at least as fast as PyTorch CPU`,
            value: `${mine.medianMs.toFixed(0)} ms vs PyTorch ${torch.medianMs.toFixed(0)} ms (${(torch.medianMs / mine.medianMs).toFixed(2)}x)`,
            met: mine.medianMs <= torch.medianMs,
            note: '',
          }
        : {
            target: `${model}, native, batch 8: at least as fast as PyTorch CPU`,
            value: 'not measured',
            met: null,
            note: !mine ? 'no native batch-8 run in this benchmark' : 'PyTorch peer unavailable',
          },
    );
    const bare = peer('bare-tfjs-node', model, 8) ?? peer('bare-tfjs-node', model, 1);
    const same = bare && row(model, 'tensorflow', bare.batch);
    targets.push(
      bare && same
        ? {
            target: `${model}: netcensus costs under 5% over bare tfjs-node`,
            value: `${same.medianMs.toFixed(0)} ms vs bare ${bare.medianMs.toFixed(0)} ms at batch ${bare.batch} (${(((same.medianMs - bare.medianMs) / bare.medianMs) * 100).toFixed(1)}%)`,
            met: same.medianMs <= bare.medianMs * 1.05,
            note: '',
          }
        : {
            target: `${model}: netcensus costs under 5% over bare tfjs-node`,
            value: 'not measured',
            met: null,
            note: 'no native run or no bare peer',
          },
    );
  }
  const vgg8 = row('vgg16', 'tensorflow', 8);
  targets.push(
    vgg8 && fma.measuredGflops
      ? {
          target: 'vgg16, native, batch 8: at least 50% of the measured FMA peak',
          value: `${vgg8.gflops.toFixed(1)} of ${fma.measuredGflops.toFixed(1)} GFLOP/s (${((vgg8.gflops / fma.measuredGflops) * 100).toFixed(0)}%)`,
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
          value: `${wasm1.gflops.toFixed(1)} GFLOP/s`,
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

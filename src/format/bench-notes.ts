/**
 * The sentences a benchmark result carries in its JSON: why a row was skipped, how two networks differ, what a
 * share above a peak means. bench.ts measures and hands these the numbers; the words are written here only.
 */
import type { BackendName } from '../backend.js';
import type { AlgorithmUse, OutputDifference } from '../bench.js';
import { convolutionAlgorithms } from './bench.js';

export const EFFECTIVE_CONVENTION =
  'effective GFLOP/s = 2 x direct-convolution (weight) MACs per image x batch / median latency; latency is predict() until the output is read back, warm-up runs excluded';

export const FAST_ALGORITHM_NOTE =
  'above 100% of a peak: effective GFLOP/s count the multiply-adds of direct convolution, and a backend that uses a fast convolution algorithm (Winograd, FFT) performs fewer, so its effective rate can exceed any FMA peak';

export const INTERLEAVED_ORDER =
  'interleaved: each round times every competitor once (netcensus on each execution path, bare tfjs-layers, PyTorch, ONNX Runtime), the starting one rotating round by round and the order changing every as many rounds as there are competitors (so that none always follows the same other one), each run after a 20 ms pause; ratios are taken within a round';

export const AGREEMENT_RULE =
  "before timing, every fast form (fused, graph) runs the benchmark's input once beside the eager model: max |fast - eager| <= tolerance x max |eager| over every output element, else the form is not timed";

/** A fast form's output against the eager model's, in one line. */
export const agreementText = (d: OutputDifference): string =>
  `${d.ok ? 'output agrees with eager' : 'output DIFFERS from eager'}: max difference ${d.maxAbsDiff.toExponential(2)}, ` +
  `${d.relative.toExponential(2)} of the largest output (tolerance ${d.tolerance.toExponential(0)})`;

export const PATH_NOTES = {
  graphNeedsNative: 'the graph form needs native TensorFlow (backend tensorflow)',
  noGraphForm: (why: string): string => `fast path: fused (no graph form: ${why})`,
};

export const ortVersions = (version: string, opset: number, threads: number, torch: string): string =>
  `onnxruntime-node ${version}, CPU execution provider, default graph optimizations, ${threads} intra-op threads; ` +
  `torchvision's model exported by torch ${torch} (opset ${opset})`;

export const matmulPeakHow = (reps: number, n: number): string =>
  `best of ${reps} float32 ${n}x${n} matmuls after one untimed (2n^3 FLOPs), result read back`;

export const overTimeLimit = (estimateS: number, gflops: number, limitS: number): string =>
  `estimated ${estimateS.toFixed(0)} s per run at this backend's measured ${gflops.toFixed(1)} GFLOP/s (limit ${limitS} s)`;

export const PROBE = {
  notCompiled: 'algorithm probe unavailable (run from the compiled package)',
  unavailable: (why: string): string => `algorithm probe unavailable: ${why}`,
  failed: (why: string): string => `algorithm probe failed: ${why}`,
};

/** Why a peer did not run. */
export const PEER_SKIPPED = {
  noBareDefinition: 'no hand-written tfjs-layers definition of this model',
  noTorch:
    'torch and torchvision do not import (NETCENSUS_PYTHON, .cache/peers-venv, python3); run bench/peers/setup.sh',
  noTwin: 'torchvision defines no model of this name',
  noTimedRun: 'no timed run',
  noOrt: 'onnxruntime-node does not load (npx netcensus setup installs it)',
};

export const torchPeerEnded = (lastLine: string | undefined): string =>
  `the PyTorch peer ended: ${lastLine ?? 'no message'}`;

export const bareDifference = (params: number, macs: number, censusParams: number, censusMacs: number): string =>
  `not the same network: countParams() ${params} and ${macs} MACs, census ${censusParams} and ${censusMacs}`;

export const torchParamsDifference = (loaded: number, expected: number): string =>
  `torchvision's model has ${loaded} parameters, the census ${expected}`;

/** One cause of difference between a model and its torchvision twin, as netcensus' diff attributes it. */
export interface TwinCause {
  cause: string;
  params: number;
  macs: number;
}

export function twinDifference(twin: string, model: string, causes: readonly TwinCause[], lrn: boolean): string {
  const signed = (n: number, text: string): string => `${n >= 0 ? '+' : '-'}${text}`;
  const parts = causes.map(
    (c) =>
      `${c.cause}: ${signed(c.params, Math.abs(c.params).toLocaleString('en-US'))} params, ${signed(c.macs, `${(Math.abs(c.macs) / 1e6).toFixed(1)}M`)} MACs`,
  );
  return (
    `not the same network: the PyTorch peer runs torchvision's ${twin.replace(/-torchvision$/, '')}, which is netcensus' ${twin}; ` +
    `netcensus diff ${twin} ${model}: ${parts.join('; ')}` +
    (lrn ? `; ${model} also has LRN layers (no weights), which ${twin} lacks` : '')
  );
}

export const torchVersions = (torch: string, torchvision: string, threads: number): string =>
  `torch ${torch}, torchvision ${torchvision}, ${threads} threads`;

export const bareVersions = (threads: number): string =>
  `tfjs-layers in the benchmark's process, TensorFlow with ${threads} threads`;

/** A share of the FMA peak above 100%, read against the algorithms oneDNN reports. */
export function aboveFmaPeak(algorithms: readonly AlgorithmUse[] | undefined, allDirect: boolean): string {
  const what = 'FMA peak';
  return allDirect
    ? `above the ${what}, although oneDNN reports only direct convolution (${convolutionAlgorithms(algorithms)}): ` +
        `the ${what} and this row were not measured at the same moment (other work on the machine, clock changes)`
    : algorithms?.length
      ? `above the ${what}: oneDNN ran ${convolutionAlgorithms(algorithms)}; ${FAST_ALGORITHM_NOTE}`
      : FAST_ALGORITHM_NOTE;
}

/** A share of the matmul peak above 100%: that peak is a practical roofline, not a bound. */
export function aboveMatmulPeak(
  backend: BackendName,
  how: string,
  algorithms: readonly AlgorithmUse[] | undefined,
  allDirect: boolean,
): string {
  return (
    `above the ${backend} matmul peak, which is a practical roofline and no bound: the ${how.split(' after')[0]} is not this backend's best case` +
    (allDirect
      ? ` (oneDNN reports direct convolution here: ${convolutionAlgorithms(algorithms)})`
      : `, or ${FAST_ALGORITHM_NOTE.replace(/^above 100% of a peak: /, '')}`)
  );
}

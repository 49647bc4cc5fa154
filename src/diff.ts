/**
 * `diff`: align the weighted layers of two models and attribute every parameter and MAC of difference to
 * a cause. Each aligned pair is walked from A's configuration to B's one factor at a time (bias, BN
 * statistics, kernel, grouping, widths, fan-in, spatial size), so the per-cause deltas telescope and add
 * up exactly to the total difference.
 */
import { alignInOrder } from './align.js';
import { census, conventionOf, type Census, type LayerInfo, type ParamConvention } from './census.js';
import type { Graph } from './graph.js';
import { kindSpec } from './kinds/index.js';
import { otherFactors, type Factors } from './kinds/spec.js';

export type Cause =
  | 'grouping'
  | 'bias'
  | 'bn-statistics'
  | 'bn-folding'
  | 'fan-in'
  | 'widths'
  | 'kernel'
  | 'input-size'
  | 'layers-added-removed';

export const CAUSES: Record<Cause, string> = {
  grouping: "grouped convolution (e.g. AlexNet's two-GPU split)",
  bias: 'bias terms present or absent',
  'bn-statistics': 'BatchNorm moving statistics counted (Keras) or not (PyTorch)',
  'bn-folding':
    "BatchNorm folded into the convolution before it (torch.onnx.export in eval mode): the BatchNorm's parameters gone, the bias its convolution gained",
  'fan-in': 'dense fan-in: a missing Flatten (Dense acting on the last axis of a feature map), pooling or input size',
  widths: 'channel widths (filters, units, input channels)',
  kernel: 'kernel size',
  'input-size': "spatial size of the layer's output (input size, strides, pooling)",
  'layers-added-removed': 'layers present in only one model',
};

export interface PairDiff {
  a: string | null;
  b: string | null;
  kind: string;
  paramsA: number;
  paramsB: number;
  macsA: number;
  macsB: number;
  params: Partial<Record<Cause, number>>;
  macs: Partial<Record<Cause, number>>;
}

export interface DiffResult {
  a: { model: string; params: number; macs: number; convention: ParamConvention };
  b: { model: string; params: number; macs: number; convention: ParamConvention };
  delta: { params: number; macs: number };
  pairs: PairDiff[];
  byCause: { params: Partial<Record<Cause, number>>; macs: Partial<Record<Cause, number>> };
  /** True when the attributed deltas add up to the total difference (always, unless there is a bug). */
  balanced: boolean;
}

function params(f: Factors): number {
  if (f.kind === 'other') return f.cout;
  if (f.kind === 'bn') return f.cout * (f.bnTrainable + f.bnStats);
  return (f.k * f.cin * f.cout) / f.groups + f.bias * f.cout;
}
function macs(f: Factors): number {
  if (f.kind === 'other') return f.positions;
  return f.kind === 'bn' ? 0 : (f.positions * f.k * f.cin * f.cout) / f.groups;
}

/** Walks A's factors to B's in a fixed order; each step's change in params and MACs goes to its cause. */
function attribute(
  a: Factors,
  b: Factors,
): { params: Partial<Record<Cause, number>>; macs: Partial<Record<Cause, number>> } {
  const steps: Array<[Cause, (f: Factors) => Factors]> = [
    // BN's center/scale flags add or drop beta and gamma: bias-like terms.
    ['bias', (f) => ({ ...f, bias: b.bias, bnTrainable: b.bnTrainable })],
    ['bn-statistics', (f) => ({ ...f, bnStats: b.bnStats })],
    ['kernel', (f) => ({ ...f, k: b.k })],
    ['grouping', (f) => ({ ...f, groups: b.groups })],
    [a.kind === 'dense' ? 'fan-in' : 'widths', (f) => ({ ...f, cin: b.cin })],
    ['widths', (f) => ({ ...f, cout: b.cout })],
    [a.kind === 'dense' ? 'fan-in' : 'input-size', (f) => ({ ...f, positions: b.positions })],
  ];
  const p: Partial<Record<Cause, number>> = {};
  const m: Partial<Record<Cause, number>> = {};
  let cur = a;
  for (const [cause, step] of steps) {
    const next = step(cur);
    const dp = params(next) - params(cur);
    const dm = macs(next) - macs(cur);
    if (dp !== 0) p[cause] = (p[cause] ?? 0) + dp;
    if (dm !== 0) m[cause] = (m[cause] ?? 0) + dm;
    cur = next;
  }
  // Intermediate states may be fractional (a grouping that does not divide A's widths); totals never are.
  for (const rec of [p, m]) for (const k of Object.keys(rec) as Cause[]) rec[k] = Math.round(rec[k]!);
  return { params: p, macs: m };
}

/** How alike two weighted layers of the same kind are: the number of equal factors. */
function similarity(a: Factors, b: Factors): number {
  return (
    Number(a.k === b.k) +
    Number(a.cin === b.cin) +
    Number(a.cout === b.cout) +
    Number(a.groups === b.groups) +
    Number(a.positions === b.positions)
  );
}

/**
 * Aligns weighted layers in order (Needleman-Wunsch: layers of one kind may pair, the more alike the
 * better), then pairs alike leftovers, so that a block whose branches are listed in another order (Keras
 * puts a shortcut conv before the main branch's last conv) still pairs.
 */
function align(a: Array<{ f: Factors }>, b: Array<{ f: Factors }>): Array<[number | null, number | null]> {
  const n = a.length;
  const m = b.length;
  const score = (i: number, j: number): number =>
    a[i]!.f.kind === b[j]!.f.kind ? 2 + similarity(a[i]!.f, b[j]!.f) : -Infinity;
  const out = alignInOrder(n, m, score);
  // Second pass: pair leftovers of one kind that are alike and sit at about the same depth of their
  // networks (relative position), wherever the first pass left them.
  const freeB = new Set(out.filter((p) => p[0] === null).map((p) => p[1]!));
  const pairedB = new Set<number>();
  const result: Array<[number | null, number | null]> = [];
  const depth = (x: number, len: number): number => x / Math.max(len - 1, 1);
  for (const [ai, bj] of out) {
    if (ai === null) continue;
    if (bj !== null) {
      result.push([ai, bj]);
      continue;
    }
    // Most alike first, then nearest in depth.
    let best: { j: number; sim: number; dist: number } | undefined;
    for (const j of freeB) {
      const sim = similarity(a[ai]!.f, b[j]!.f);
      const dist = Math.abs(depth(ai, n) - depth(j, m));
      if (b[j]!.f.kind !== a[ai]!.f.kind || sim < 3 || dist > 0.1) continue;
      if (!best || sim > best.sim || (sim === best.sim && dist < best.dist)) best = { j, sim, dist };
    }
    if (!best) result.push([ai, null]);
    else {
      freeB.delete(best.j);
      pairedB.add(best.j);
      result.push([ai, best.j]);
    }
  }
  // B-only layers go back where the first pass put them, relative to the A layers around them.
  for (const [k, [ai, bj]] of out.entries()) {
    if (ai !== null || pairedB.has(bj!)) continue;
    const prevA = out
      .slice(0, k)
      .reverse()
      .find((p) => p[0] !== null)?.[0];
    const at = prevA === undefined ? 0 : result.findIndex((p) => p[0] === prevA) + 1;
    result.splice(at, 0, [null, bj]);
  }
  return result;
}

export { conventionOf } from './census.js';

export interface DiffOptions {
  /** Count both models under this convention; by default each under its own framework's. */
  params?: ParamConvention;
}

/** Moves one cause's share of a pair to another cause. */
function move(p: PairDiff, from: Cause, to: Cause): void {
  for (const rec of [p.params, p.macs]) {
    const v = rec[from];
    if (v === undefined) continue;
    delete rec[from];
    rec[to] = (rec[to] ?? 0) + v;
  }
}

/**
 * A BatchNorm present in one model only, right after a convolution that is paired: it was folded into that
 * convolution (an eval-mode export). Its removal and the bias the convolution gained are one cause.
 */
function foldBatchNorms(pairs: PairDiff[], la: readonly WeightedLayer[], lb: readonly WeightedLayer[]): void {
  const info = { a: new Map(la.map((l) => [l.info.node.name, l])), b: new Map(lb.map((l) => [l.info.node.name, l])) };
  for (const p of pairs) {
    if (p.kind !== 'bn' || (p.a !== null && p.b !== null)) continue;
    const side = p.a !== null ? 'a' : 'b';
    const bn = info[side].get(p[side]!);
    const producer = bn?.info.node.inputs[0];
    const conv = pairs.find((q) => q.kind === 'conv' && q[side] === producer && q.a !== null && q.b !== null);
    if (!conv) continue;
    move(p, 'layers-added-removed', 'bn-folding');
    move(conv, 'bias', 'bn-folding');
  }
}

/** A weighted layer as the diff sees it: its kind's factors under the census' convention. */
export interface WeightedLayer {
  info: LayerInfo;
  f: Factors;
  kind: Factors['kind'];
}

export function weightedLayers(c: Census): WeightedLayer[] {
  const out: WeightedLayer[] = [];
  for (const info of c.infos) {
    // A kind without factors of its own that still counts (a stored tensor in arithmetic, a product of two
    // activations) enters as 'other', so that every counted parameter and MAC has a cause.
    const spec = kindSpec(info.node.config);
    const f = spec.factors
      ? spec.factors(info.node.config, info, c.conventions.params)
      : otherFactors(info, c.conventions.params);
    if (f) out.push({ info, f, kind: f.kind });
  }
  return out;
}

/** Each model counted under its own framework's convention unless `params` forces one. */
export function diffGraphs(ga: Graph, gb: Graph, options: DiffOptions = {}): DiffResult {
  const ca = census(ga, { params: options.params ?? conventionOf(ga) });
  const cb = census(gb, { params: options.params ?? conventionOf(gb) });
  return diffCensuses(ca, cb);
}

/** Diff of two censuses, each under the convention it was counted with. */
export function diffCensuses(ca: Census, cb: Census, la = weightedLayers(ca), lb = weightedLayers(cb)): DiffResult {
  const [convA, convB] = [ca.conventions.params, cb.conventions.params];
  const pairs: PairDiff[] = align(la, lb).map(([i, j]) => {
    const A = i === null ? undefined : la[i]!;
    const B = j === null ? undefined : lb[j]!;
    const pa = A ? params(A.f) : 0;
    const pb = B ? params(B.f) : 0;
    const ma = A ? macs(A.f) : 0;
    const mb = B ? macs(B.f) : 0;
    const attributed =
      A && B
        ? attribute(A.f, B.f)
        : {
            params: pb - pa ? { 'layers-added-removed': pb - pa } : {},
            macs: mb - ma ? { 'layers-added-removed': mb - ma } : {},
          };
    return {
      a: A?.info.node.name ?? null,
      b: B?.info.node.name ?? null,
      kind: (A ?? B)!.kind,
      paramsA: pa,
      paramsB: pb,
      macsA: ma,
      macsB: mb,
      ...attributed,
    };
  });

  foldBatchNorms(pairs, la, lb);
  const byCause = { params: {} as Partial<Record<Cause, number>>, macs: {} as Partial<Record<Cause, number>> };
  for (const p of pairs) {
    for (const [k, v] of Object.entries(p.params) as Array<[Cause, number]>)
      byCause.params[k] = (byCause.params[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.macs) as Array<[Cause, number]>) byCause.macs[k] = (byCause.macs[k] ?? 0) + v;
  }
  const delta = { params: cb.totals.params - ca.totals.params, macs: cb.totals.macs - ca.totals.macs };
  const total = (r: Partial<Record<Cause, number>>): number => Object.values(r).reduce((s, v) => s + (v ?? 0), 0);
  return {
    a: { model: ca.model, params: ca.totals.params, macs: ca.totals.macs, convention: convA },
    b: { model: cb.model, params: cb.totals.params, macs: cb.totals.macs, convention: convB },
    delta,
    pairs,
    byCause,
    balanced: total(byCause.params) === delta.params && total(byCause.macs) === delta.macs,
  };
}

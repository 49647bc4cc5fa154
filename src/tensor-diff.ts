/**
 * `diff` where one side is a weights-only file: two tensor inventories aligned tensor by tensor, and every
 * element of difference attributed to one cause, so that the causes add up to the total. Names align
 * where they mostly match (an ONNX export keeps PyTorch's names on its initializers; a checkpoint may wrap
 * them under `model.`); otherwise tensors align by shape, in order.
 */
import { alignInOrder } from './align.js';
import type { TensorEntry, TensorInventory } from './inventory.js';

export type TensorCause = 'tensors-added-removed' | 'buffers' | 'shape' | 'tied' | 'bn-folding';

export const TENSOR_CAUSES: Record<TensorCause, string> = {
  'tensors-added-removed': 'tensors present on one side only (not buffers by name)',
  buffers: "tensors on one side only that are buffers by PyTorch's naming (BatchNorm's running statistics)",
  shape: 'tensors of one name with another number of elements',
  tied: 'a tensor tied to another on one side (counted once there) and stored apart on the other',
  'bn-folding':
    "BatchNorms' weights and biases on one side only, folded into the convolutions before them, where a convolution without bias gained one on the other side (torch.onnx.export in eval mode)",
};

export interface TensorPair {
  a: string | null;
  b: string | null;
  shapeA: number[] | null;
  shapeB: number[] | null;
  dtypeA: string | null;
  dtypeB: string | null;
  /** Elements each side counts for it: a tied name counts 0 (its tensor is counted at the name it is tied to). */
  elementsA: number;
  elementsB: number;
  cause?: TensorCause;
  /** The same dims in another order (a census' channels-last kernel against PyTorch's [out, in, kh, kw]). */
  layout?: true;
}

export interface InventorySide {
  source: string;
  format: TensorInventory['format'];
  tensors: number;
  elements: number;
  withoutBuffers: number;
}

export interface TensorDiffResult {
  a: InventorySide;
  b: InventorySide;
  /** 'names': by name (after `strip` is taken off one side's names); 'order': by shape, in order. */
  alignment: { by: 'names' | 'order'; strip?: { side: 'a' | 'b'; prefix: string }; matched: number };
  delta: { elements: number };
  pairs: TensorPair[];
  byCause: Partial<Record<TensorCause, number>>;
  /** True when the attributed deltas add up to the total difference (always, unless there is a bug). */
  balanced: boolean;
}

const counted = (t: TensorEntry | undefined): number => (t === undefined || t.tiedTo !== undefined ? 0 : t.elements);
const dims = (s: readonly number[]): string => [...s].sort((x, y) => x - y).join(',');

/** The prefix (a first name part such as `model.` or `module.`) whose removal from one side matches most names. */
function bestNaming(
  a: readonly TensorEntry[],
  b: readonly TensorEntry[],
): { strip?: { side: 'a' | 'b'; prefix: string }; matched: number } {
  const matches = (xs: readonly TensorEntry[], ys: Set<string>, prefix: string) =>
    xs.reduce((n, t) => n + Number(t.name.startsWith(prefix) && ys.has(t.name.slice(prefix.length))), 0);
  const namesA = new Set(a.map((t) => t.name));
  const namesB = new Set(b.map((t) => t.name));
  let best: { strip?: { side: 'a' | 'b'; prefix: string }; matched: number } = { matched: matches(a, namesB, '') };
  for (const [side, xs, ys] of [
    ['a', a, namesB],
    ['b', b, namesA],
  ] as const) {
    const prefixes = new Set(
      xs
        .slice(0, 1000)
        .map((t) => /^[^./]+[./]/.exec(t.name)?.[0])
        .filter((p) => p !== undefined),
    );
    for (const prefix of [...prefixes].slice(0, 20)) {
      const matched = matches(xs, ys, prefix);
      if (matched > best.matched) best = { strip: { side, prefix }, matched };
    }
  }
  return best;
}

/** Pairs of tensors of one name; the rest of each side unpaired, in an order that reads like both files. */
function alignByName(
  a: readonly TensorEntry[],
  b: readonly TensorEntry[],
  strip?: { side: 'a' | 'b'; prefix: string },
) {
  const key = (t: TensorEntry, side: 'a' | 'b') =>
    strip?.side === side && t.name.startsWith(strip.prefix) ? t.name.slice(strip.prefix.length) : t.name;
  const inB = new Map(b.map((t, j) => [key(t, 'b'), j]));
  const out: Array<[number | null, number | null]> = [];
  const pairedB = new Set<number>();
  for (const [i, t] of a.entries()) {
    const j = inB.get(key(t, 'a'));
    if (j !== undefined && !pairedB.has(j)) {
      pairedB.add(j);
      out.push([i, j]);
    } else out.push([i, null]);
  }
  // B's own tensors go after the pair of the B tensor before them.
  let at = 0;
  const placeOf = new Map(out.map((p, k) => [p[1], k]));
  const merged = [...out];
  const inserted: Array<[number, [null, number]]> = [];
  for (const [j] of b.entries()) {
    if (pairedB.has(j)) at = placeOf.get(j)! + 1;
    else inserted.push([at, [null, j]]);
  }
  for (let k = inserted.length - 1; k >= 0; k--) merged.splice(inserted[k]![0], 0, inserted[k]![1]);
  return merged;
}

/**
 * Pairs of tensors in order whose dims are the same (in any order), as many as possible (Needleman-Wunsch
 * on the two sequences; greedy past 2^25 cells).
 */
function alignByOrder(a: readonly TensorEntry[], b: readonly TensorEntry[]): Array<[number | null, number | null]> {
  const n = a.length;
  const m = b.length;
  const score = (i: number, j: number): number =>
    a[i]!.shape.join(',') === b[j]!.shape.join(',') ? 3 : dims(a[i]!.shape) === dims(b[j]!.shape) ? 2 : -Infinity;
  const out: Array<[number | null, number | null]> = [];
  if (n * m > 2 ** 25) {
    let j = 0;
    for (let i = 0; i < n; i++) {
      let k = j;
      while (k < m && score(i, k) === -Infinity) k++;
      if (k < m) {
        for (; j < k; j++) out.push([null, j]);
        out.push([i, j++]);
      } else out.push([i, null]);
    }
    for (; j < m; j++) out.push([null, j]);
    return out;
  }
  return alignInOrder(n, m, score);
}

/** The module a tensor belongs to (its name without the last part). */
const moduleOf = (name: string): string => name.replace(/[./][^./]*$/, '');

/**
 * BatchNorms on one side only (their running_mean unpaired) while the other side holds a convolution bias
 * with no counterpart whose weight is paired: the BatchNorms were folded into the convolutions (an
 * eval-mode export), a conv without bias gaining one. Their weights and biases and the biases gained are
 * one cause; their statistics stay buffers. Without a bias gained there is no sign of folding.
 */
function foldBatchNorms(pairs: TensorPair[]): void {
  for (const side of ['a', 'b'] as const) {
    const other = side === 'a' ? 'b' : 'a';
    const only = (p: TensorPair, s: 'a' | 'b') => p[s] !== null && p[s === 'a' ? 'b' : 'a'] === null;
    const pairedWeights = new Set(pairs.filter((p) => p.a !== null && p.b !== null).map((p) => p[other]!));
    const gained = pairs.filter(
      (p) => only(p, other) && /[./]bias$/.test(p[other]!) && pairedWeights.has(p[other]!.replace(/bias$/, 'weight')),
    );
    if (gained.length === 0) continue;
    const norms = new Set(
      pairs.filter((p) => only(p, side) && /[./]running_mean$/.test(p[side]!)).map((p) => moduleOf(p[side]!)),
    );
    const parts = pairs.filter(
      (p) => only(p, side) && /[./](weight|bias)$/.test(p[side]!) && norms.has(moduleOf(p[side]!)),
    );
    for (const p of [...parts, ...gained]) p.cause = 'bn-folding';
  }
}

const side = (inv: TensorInventory): InventorySide => ({
  source: inv.source,
  format: inv.format,
  tensors: inv.totals.tensors,
  elements: inv.totals.elements,
  withoutBuffers: inv.totals.withoutBuffers.elements,
});

/** Two inventories aligned, each pair's difference given its cause; the causes add up to the total. */
export function diffInventories(a: TensorInventory, b: TensorInventory): TensorDiffResult {
  const naming = bestNaming(a.tensors, b.tensors);
  // Names align where they match for at least half of the smaller side; otherwise they say nothing.
  const byNames = naming.matched > 0 && naming.matched * 2 >= Math.min(a.tensors.length, b.tensors.length);
  const aligned = byNames ? alignByName(a.tensors, b.tensors, naming.strip) : alignByOrder(a.tensors, b.tensors);
  const pairs: TensorPair[] = aligned.map(([i, j]) => {
    const A = i === null ? undefined : a.tensors[i]!;
    const B = j === null ? undefined : b.tensors[j]!;
    const [ea, eb] = [counted(A), counted(B)];
    const p: TensorPair = {
      a: A?.name ?? null,
      b: B?.name ?? null,
      shapeA: A ? [...A.shape] : null,
      shapeB: B ? [...B.shape] : null,
      dtypeA: A?.dtype ?? null,
      dtypeB: B?.dtype ?? null,
      elementsA: ea,
      elementsB: eb,
    };
    if (A && B && A.elements === B.elements && A.shape.join(',') !== B.shape.join(',')) p.layout = true;
    if (ea === eb) return p;
    if (A && B) p.cause = A.elements !== B.elements ? 'shape' : 'tied';
    else p.cause = (A ?? B)!.buffer ? 'buffers' : 'tensors-added-removed';
    return p;
  });
  if (byNames) foldBatchNorms(pairs);
  const byCause: Partial<Record<TensorCause, number>> = {};
  for (const p of pairs) if (p.cause) byCause[p.cause] = (byCause[p.cause] ?? 0) + p.elementsB - p.elementsA;
  const delta = { elements: b.totals.elements - a.totals.elements };
  const attributed = Object.values(byCause).reduce((s, v) => s + v, 0);
  return {
    a: side(a),
    b: side(b),
    alignment: {
      by: byNames ? 'names' : 'order',
      ...(byNames && naming.strip ? { strip: naming.strip } : {}),
      matched: pairs.filter((p) => p.a !== null && p.b !== null).length,
    },
    delta,
    pairs,
    byCause,
    balanced: attributed === delta.elements,
  };
}

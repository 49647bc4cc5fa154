/** Slice (folded, or a slice of a tensor's mapped axes) and Pad (a zero padding of a map, or a general pad). */
import { prod } from '../../../exact.js';
import type { LayerConfig } from '../../../graph.js';
import { attrFloat, attrInts, attrString } from '../attributes.js';
import { channelsLast, identity, same } from '../values.js';
import type { Handler, OpFile } from './def.js';
import { after, axesOf, setAttr } from './lift.js';

const slice: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  const dims = v.t === 'tensor' ? v.onnx : v.dims;
  const rank = dims.length;
  const starts = n.input[1] ? c.constant(n, 1, 'starts') : (attrInts(n, 'starts') ?? []);
  const ends = n.input[2] ? c.constant(n, 2, 'ends') : (attrInts(n, 'ends') ?? []);
  const axes = (n.input[3] ? c.constant(n, 3, 'axes') : (attrInts(n, 'axes') ?? identity(starts.length))).map((a) =>
    a < 0 ? a + rank : a,
  );
  const steps = n.input[4] ? c.constant(n, 4, 'steps') : starts.map(() => 1);
  // ONNX clamps starts and ends to the axis (INT64 bounds mean "to the end").
  const bounds = axes.map((a, k) => {
    const d = dims[a]!;
    const step = steps[k]!;
    const norm = (x: number) => (x < 0 ? x + d : x);
    const s = step > 0 ? Math.min(Math.max(norm(starts[k]!), 0), d) : Math.min(Math.max(norm(starts[k]!), -1), d - 1);
    const e = step > 0 ? Math.min(Math.max(norm(ends[k]!), 0), d) : Math.min(Math.max(norm(ends[k]!), -1), d - 1);
    return { a, s, e, step };
  });
  if (v.t === 'const') {
    const values = c.valuesOf(v);
    let cur = { dims: [...v.dims], values };
    for (const { a, s, e, step } of bounds) {
      const idx: number[] = [];
      for (let i = s; step > 0 ? i < e : i > e; i += step) idx.push(i);
      const outer = prod(cur.dims.slice(0, a));
      const inner = prod(cur.dims.slice(a + 1));
      const out: number[] = [];
      for (let o = 0; o < outer; o++)
        for (const i of idx) for (let k = 0; k < inner; k++) out.push(cur.values[(o * cur.dims[a]! + i) * inner + k]!);
      cur = { dims: cur.dims.map((d, j) => (j === a ? idx.length : d)), values: out };
    }
    return this.foldTo(n, cur.dims, cur.values, v.float);
  }
  const kept = bounds.filter(({ a, s, e, step }) => !(s === 0 && e === dims[a] && step === 1));
  if (kept.some((b) => b.a === 0)) return c.unknown(n, 'a Slice of the batch axis');
  if (kept.length === 0) return c.set(n.output[0]!, v);
  const { ref, shapes } = c.emit(
    n,
    {
      kind: 'slice',
      axes: kept.map((b) => v.perm.indexOf(b.a - 1)),
      starts: kept.map((b) => b.s),
      ends: kept.map((b) => b.e),
      steps: kept.map((b) => b.step),
    },
    [v.ref],
  );
  c.out(n, 0, ref, shapes[0]!, v.perm);
};

const pad: Handler = function (n) {
  const c = this;
  const v = c.tensor(n, 0);
  const rank = v.onnx.length;
  const raw = n.input[1] ? c.constant(n, 1, 'the pads') : (attrInts(n, 'pads') ?? []);
  const axesIn = n.input[3] ? c.constant(n, 3, 'the axes').map((a) => (a < 0 ? a + rank : a)) : identity(rank);
  const pads: Array<[number, number]> = identity(rank).map(() => [0, 0]);
  axesIn.forEach((a, k) => (pads[a] = [raw[k]!, raw[k + axesIn.length]!]));
  if (pads[0]![0] !== 0 || pads[0]![1] !== 0) return c.unknown(n, 'a Pad of the batch axis');
  const mode = attrString(n, 'mode', 'constant') as 'constant' | 'reflect' | 'edge';
  const value = n.input[2] ? (c.constant(n, 2, 'the pad value')[0] ?? 0) : attrFloat(n, 'value', 0);
  const perExample = v.perm.map((p) => pads[p + 1]!);
  const onlySpatial =
    same(v.perm, channelsLast(v.perm.length)) &&
    v.perm.length === 3 &&
    perExample[2]![0] === 0 &&
    perExample[2]![1] === 0;
  const config: LayerConfig =
    mode === 'constant' && value === 0 && onlySpatial && perExample.every(([b, e]) => b >= 0 && e >= 0)
      ? {
          kind: 'zeroPad2d',
          pads: {
            top: perExample[0]![0],
            bottom: perExample[0]![1],
            left: perExample[1]![0],
            right: perExample[1]![1],
          },
        }
      : { kind: 'pad', pads: perExample, mode, value };
  const { ref, shapes } = c.emit(n, config, [v.ref]);
  c.out(n, 0, ref, shapes[0]!, v.perm);
};

export const { operators }: OpFile = {
  operators: {
    Slice: {
      convert: slice,
      lift: function (m, rank) {
        if (m.input[1]) return axesOf(3, (n, _r, c) => identity(c.constant(n, 1, 'starts').length)).call(this, m, rank);
        setAttr(m, 'axes', { ints: (attrInts(m, 'axes') ?? identity(attrInts(m, 'starts')?.length ?? 0)).map(after) });
      },
    },
    Pad: {
      convert: pad,
      lift: function (m, rank) {
        if (m.input[3]) return axesOf(3).call(this, m, rank);
        const pads = m.input[1] ? this.constant(m, 1, 'the pads') : (attrInts(m, 'pads') ?? []);
        const shifted = [0, ...pads.slice(0, rank), 0, ...pads.slice(rank)];
        if (m.input[1]) this.constInput(m, 1, shifted);
        else setAttr(m, 'pads', { ints: shifted });
      },
    },
  },
};

/**
 * Attention kinds: Keras' MultiHeadAttention and GroupedQueryAttention (with their EinsumDense projections),
 * the weightless-but-for-a-scale Attention (Luong) and AdditiveAttention (Bahdanau), and EinsumDense itself.
 * tfjs-layers has none of them: each runs as a custom layer computing it with tf ops.
 *
 * MAC convention: the projections' weight MACs (query, key, value, gate, output: positions x fan-in x
 * fan-out) plus the two activation products, QK^T (heads x query positions x key positions x key_dim) and
 * AV (heads x query positions x key positions x value_dim), each a named part (`macParts`). Softmax, scaling
 * and bias adds are not MACs. Attention and AdditiveAttention have no projections: their score
 * (one multiply-accumulate per query, key and feature: q.k for dot scores, the sum of (scale x) tanh(q + k)
 * for concat and additive scores) and AV. EinsumDense: the einsum's products, the product of every index's
 * size (per example).
 */
import type * as TF from '@tensorflow/tfjs';
import type { Tensor } from '../tfjs/types.js';
import { customBase, perExample, shapesOf, singleInput, singleShape } from '../tfjs/base.js';
import type { LayerArgs, ConfigArgs, WeightedArgs } from '../tfjs/args.js';
import { mul, prod, sum } from '../exact.js';
import { activationOp, fused, type ActivationFn } from './activation.js';
import { bias, checkPositive, fail, fusedText, one, otherFactors, weight, configLayer } from './spec.js';
import type { ConfigReader, Kinds, LayerClass, Shape, Tf, WeightSpec } from './spec.js';

export interface MultiHeadAttentionConfig {
  kind: 'multiHeadAttention';
  heads: number;
  keyDim: number;
  valueDim: number;
  bias: boolean;
  /** The output's trailing shape (Keras' output_shape); absent: the query's last dimension. */
  outputShape?: readonly number[];
  /**
   * Keras' attention_axes, counted on the query with the batch at 0 (negative ones as Keras resolves them);
   * absent: every axis between the batch and the features.
   */
  attentionAxes?: readonly number[];
  /** Keras' use_gate: a sigmoid-gated projection of the query multiplies the attention output. */
  gate?: boolean;
}
/** Keras' GroupedQueryAttention: fewer key/value heads than query heads, each shared by a group. */
export interface GroupedQueryAttentionConfig {
  kind: 'groupedQueryAttention';
  headDim: number;
  queryHeads: number;
  kvHeads: number;
  bias: boolean;
  gate?: boolean;
}
/** Keras' Attention (dot-product, Luong-style): a scalar `scale` with use_scale, a scalar weight for concat scores. */
export interface AttentionConfig {
  kind: 'attention';
  scoreMode: 'dot' | 'concat';
  useScale: boolean;
}
/** Keras' AdditiveAttention (Bahdanau-style): `scale` of the feature size with use_scale. */
export interface AdditiveAttentionConfig {
  kind: 'additiveAttention';
  useScale: boolean;
}
/** Keras' EinsumDense: `input,kernel->output`, the kernel's shape read off the equation. */
export interface EinsumDenseConfig {
  kind: 'einsumDense';
  equation: string;
  /** Per example (no batch); null where the size comes from the input. */
  outputShape: ReadonlyArray<number | null>;
  biasAxes?: string;
  activation?: ActivationFn;
}

/** Every config this family defines. */
export type AttentionFamily =
  | MultiHeadAttentionConfig
  | GroupedQueryAttentionConfig
  | AttentionConfig
  | AdditiveAttentionConfig
  | EinsumDenseConfig;

export const multiHeadAttention = (
  heads: number,
  keyDim: number,
  o: Partial<Omit<MultiHeadAttentionConfig, 'kind' | 'heads' | 'keyDim'>> = {},
): MultiHeadAttentionConfig => ({ kind: 'multiHeadAttention', heads, keyDim, valueDim: keyDim, bias: true, ...o });

const shapeText = (s: Shape): string => `[${s.join(', ')}]`;

// ---- multi-head attention geometry ----

interface Geometry {
  query: Shape;
  key: Shape;
  value: Shape;
  /** Per-example positional axes of the query (all but the last) where attention runs, 0-based. */
  attention: number[];
  /** The other positional axes: batch-like, equal in query and key. */
  batchLike: number[];
  out: Shape;
}

function attentionInputs(name: string, kind: string, inputs: Shape[]): [Shape, Shape, Shape] {
  if (inputs.length < 2 || inputs.length > 3)
    fail(name, kind, `expects query, value and optionally key, got ${inputs.length} inputs`);
  const [query, value] = inputs as [Shape, Shape];
  const key = inputs[2] ?? value;
  for (const s of [query, value, key]) checkPositive(name, kind, 'input dimension', s);
  return [query, value, key];
}

/** Keras' attention_axes as per-example positional axes of a query with `positional` of them. */
function resolveAxes(name: string, axes: readonly number[] | undefined, positional: number): number[] {
  if (axes === undefined || axes.length === 0) return Array.from({ length: positional }, (_, i) => i);
  const out = axes.map((a) => {
    // Keras: a negative axis counts from the projected query [batch, ...positions, heads] (rank + 1 - 1).
    const i = a >= 0 ? a - 1 : positional + 1 + a;
    if (!Number.isSafeInteger(a) || i < 0 || i >= positional)
      fail(name, 'multiHeadAttention', `attention axis ${a} is not an axis between the batch and the features`);
    return i;
  });
  return [...new Set(out)].sort((x, y) => x - y);
}

function mhaGeometry(c: MultiHeadAttentionConfig, inputs: Shape[], name: string): Geometry {
  const [query, value, key] = attentionInputs(name, c.kind, inputs);
  checkPositive(name, c.kind, 'num_heads, key_dim and value_dim', [c.heads, c.keyDim, c.valueDim]);
  if (c.outputShape) checkPositive(name, c.kind, 'output_shape', c.outputShape);
  if (query.length < 2)
    fail(name, c.kind, `expects a query of rank >= 2 (positions, features), got ${shapeText(query)}`);
  if (key.length !== query.length || value.length !== query.length)
    fail(name, c.kind, `query ${shapeText(query)}, key ${shapeText(key)} and value ${shapeText(value)} differ in rank`);
  if (key.slice(0, -1).join() !== value.slice(0, -1).join())
    fail(name, c.kind, `key ${shapeText(key)} and value ${shapeText(value)} differ before the last axis`);
  const positional = query.length - 1;
  const attention = resolveAxes(name, c.attentionAxes, positional);
  const batchLike = Array.from({ length: positional }, (_, i) => i).filter((i) => !attention.includes(i));
  for (const i of batchLike) {
    if (query[i] !== key[i])
      fail(
        name,
        c.kind,
        `query ${shapeText(query)} and key ${shapeText(key)} differ on axis ${i + 1}, outside the attention axes`,
      );
  }
  return {
    query,
    key,
    value,
    attention,
    batchLike,
    out: [...query.slice(0, -1), ...(c.outputShape ?? [query.at(-1)!])],
  };
}

function mhaWeights(c: MultiHeadAttentionConfig, inputs: Shape[]): WeightSpec[] {
  const [query, value, key] = [inputs[0]!, inputs[1]!, inputs[2] ?? inputs[1]!];
  const outShape = c.outputShape ?? [query.at(-1)!];
  const dense = (name: string, fanIn: number[], fanOut: number[]): WeightSpec[] => [
    weight(`${name}/kernel`, [...fanIn, ...fanOut]),
    ...(c.bias ? [bias(`${name}/bias`, fanOut)] : []),
  ];
  return [
    ...dense('query', [query.at(-1)!], [c.heads, c.keyDim]),
    ...dense('key', [key.at(-1)!], [c.heads, c.keyDim]),
    ...(c.gate ? dense('gate', [query.at(-1)!], [c.heads, c.valueDim]) : []),
    ...dense('value', [value.at(-1)!], [c.heads, c.valueDim]),
    ...dense('attention_output', [c.heads, c.valueDim], [...outShape]),
  ];
}

function mhaParts(c: MultiHeadAttentionConfig, inputs: Shape[], name = 'multiHeadAttention'): Array<[string, number]> {
  const g = mhaGeometry(c, inputs, name);
  const positions = (s: Shape) => prod(s.slice(0, -1));
  const along = (s: Shape, axes: number[]) => prod(axes.map((i) => s[i]!));
  const pairs = mul('MACs', along(g.query, g.batchLike), along(g.query, g.attention), along(g.key, g.attention));
  return [
    ['query', mul('MACs', positions(g.query), g.query.at(-1)!, c.heads, c.keyDim)],
    ['key', mul('MACs', positions(g.key), g.key.at(-1)!, c.heads, c.keyDim)],
    ['value', mul('MACs', positions(g.value), g.value.at(-1)!, c.heads, c.valueDim)],
    ...(c.gate
      ? [['gate', mul('MACs', positions(g.query), g.query.at(-1)!, c.heads, c.valueDim)] as [string, number]]
      : []),
    ['QK^T', mul('MACs', pairs, c.heads, c.keyDim)],
    ['AV', mul('MACs', pairs, c.heads, c.valueDim)],
    ['output', mul('MACs', positions(g.query), c.heads, c.valueDim, prod(g.out.slice(g.query.length - 1)))],
  ];
}

function gqaGeometry(c: GroupedQueryAttentionConfig, inputs: Shape[], name: string): [Shape, Shape, Shape] {
  const [query, value, key] = attentionInputs(name, c.kind, inputs);
  checkPositive(name, c.kind, 'head_dim, num_query_heads and num_key_value_heads', [
    c.headDim,
    c.queryHeads,
    c.kvHeads,
  ]);
  if (c.queryHeads % c.kvHeads !== 0)
    fail(name, c.kind, `num_query_heads ${c.queryHeads} is not divisible by num_key_value_heads ${c.kvHeads}`);
  for (const s of [query, value, key]) {
    if (s.length !== 2) fail(name, c.kind, `expects [positions, features] inputs, got ${shapeText(s)}`);
  }
  if (key[0] !== value[0]) fail(name, c.kind, `key ${shapeText(key)} and value ${shapeText(value)} differ in length`);
  return [query, value, key];
}

function gqaParts(
  c: GroupedQueryAttentionConfig,
  inputs: Shape[],
  name = 'groupedQueryAttention',
): Array<[string, number]> {
  const [query, value, key] = gqaGeometry(c, inputs, name);
  const pairs = mul('MACs', query[0]!, key[0]!, c.queryHeads, c.headDim);
  return [
    ['query', mul('MACs', query[0]!, query[1]!, c.queryHeads, c.headDim)],
    ['key', mul('MACs', key[0]!, key[1]!, c.kvHeads, c.headDim)],
    ['value', mul('MACs', value[0]!, value[1]!, c.kvHeads, c.headDim)],
    ...(c.gate ? [['gate', mul('MACs', query[0]!, query[1]!, c.queryHeads, c.headDim)] as [string, number]] : []),
    ['QK^T', pairs],
    ['AV', pairs],
    ['output', mul('MACs', query[0]!, c.queryHeads, c.headDim, query[1]!)],
  ];
}

// ---- Attention / AdditiveAttention ----

function luongInputs(
  c: AttentionConfig | AdditiveAttentionConfig,
  inputs: Shape[],
  name: string,
): [Shape, Shape, Shape] {
  const [query, value, key] = attentionInputs(name, c.kind, inputs);
  if (query.length < 2) fail(name, c.kind, `expects a [positions, features] query, got ${shapeText(query)}`);
  if (value.length !== query.length || key.length !== query.length)
    fail(name, c.kind, `query ${shapeText(query)}, value ${shapeText(value)} and key ${shapeText(key)} differ in rank`);
  const lead = query.length - 2;
  if (
    query.slice(0, lead).join() !== value.slice(0, lead).join() ||
    key.slice(0, -1).join() !== value.slice(0, -1).join()
  )
    fail(name, c.kind, `query ${shapeText(query)}, value ${shapeText(value)} and key ${shapeText(key)} do not line up`);
  if (query.at(-1) !== key.at(-1))
    fail(name, c.kind, `query ${shapeText(query)} and key ${shapeText(key)} differ in features`);
  return [query, value, key];
}

function luongParts(c: AttentionConfig | AdditiveAttentionConfig, inputs: Shape[]): Array<[string, number]> {
  const [query, value, key] = luongInputs(c, inputs, c.kind);
  const pairs = mul('MACs', prod(query.slice(0, -1)), key.at(-2)!);
  return [
    [c.kind === 'attention' && c.scoreMode === 'dot' ? 'QK^T' : 'scores', mul('MACs', pairs, query.at(-1)!)],
    ['AV', mul('MACs', pairs, value.at(-1)!)],
  ];
}

// ---- EinsumDense ----

interface EinsumShapes {
  kernel: number[];
  bias?: number[];
  /** Per example. */
  out: number[];
  macs: number;
  /** The equation with any ellipsis spelled out, for einsumMatMul. */
  explicit: string;
}

/** Keras' EinsumDense shape analysis (`_analyze_split_string`), on a batched shape whose batch is 1. */
export function einsumShapes(c: EinsumDenseConfig, input: Shape, name: string): EinsumShapes {
  const bad = (why: string): never => fail(name, c.kind, why);
  const eq = c.equation.replace(/\s/g, '');
  let m = /^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$/.exec(eq);
  let left = false;
  let elidedRight = false;
  if (!m) {
    m = /^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$/.exec(eq);
    left = m !== null;
  }
  if (!m) {
    m = /^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$/.exec(eq);
    elidedRight = m !== null;
  }
  if (!m) return bad(`equation "${c.equation}" is not of the form ab,bc->ac, ...b,bc->...c or ab...,bc->ac...`);
  const [, inSpec, wSpec, outSpec] = m as unknown as [string, string, string, string];
  const batched = [1, ...input];
  const elided = batched.length - inSpec.length;
  if (elided < 0 || ((left || elidedRight) === false && elided !== 0))
    bad(`equation "${c.equation}" does not fit an input of shape [${input.join(', ')}] (with the batch)`);
  const out: Array<number | null> = [1, ...c.outputShape];
  // Keras' symbolic shape lists two or more elided leading axes in reverse (it inserts each at position 1);
  // the einsum it runs keeps their order, and so does the count.
  if (elided > 0 && left) out.splice(1, 0, ...batched.slice(1, elided));
  else if (elided > 0) for (let i = batched.length - elided; i < batched.length; i++) out.push(batched[i]!);
  const inIndex = new Map([...inSpec].map((d, i) => [d, left ? i + elided : i]));
  const outIndex = new Map([...outSpec].map((d, i) => [d, left ? i + elided : i]));
  if (out.length !== outSpec.length + elided)
    bad(`output_shape [${c.outputShape.join(', ')}] does not fit the output "${outSpec}"`);
  for (const [d, i] of inIndex) {
    const o = outIndex.get(d);
    if (o === undefined) continue;
    if (out[o] === null) out[o] = batched[i]!;
    else if (out[o] !== batched[i]) bad(`input and output differ on "${d}": ${batched[i]} and ${out[o]}`);
  }
  for (const d of outSpec) if (!inIndex.has(d) && !wSpec.includes(d)) bad(`output index "${d}" is in neither operand`);
  if (out.some((d) => d === null)) bad(`output_shape [${c.outputShape.join(', ')}] leaves a size unknown`);
  const size = new Map<string, number>();
  const kernel = [...wSpec].map((d) => {
    const o = outIndex.get(d);
    const i = inIndex.get(d);
    const n =
      o !== undefined
        ? out[o]!
        : i !== undefined
          ? batched[i]!
          : bad(`kernel index "${d}" is in neither the input nor the output`);
    size.set(d, n);
    return n;
  });
  for (const [d, i] of inIndex) size.set(d, batched[i]!);
  checkPositive(name, c.kind, 'output size', out as number[]);
  let biasShape: number[] | undefined;
  if (c.biasAxes) {
    for (const d of c.biasAxes) if (!outSpec.includes(d)) bad(`bias axis "${d}" is not in the output "${outSpec}"`);
    const first = Math.min(...[...c.biasAxes].map((d) => outSpec.indexOf(d)));
    biasShape = [...outSpec.slice(first)].map((d) => (c.biasAxes!.includes(d) ? out[outIndex.get(d)!]! : 1));
    if (!left) for (let i = 0; i < elided; i++) biasShape.push(1);
  }
  const elidedDims = left ? batched.slice(0, elided) : batched.slice(batched.length - elided);
  const macs = mul('MACs', ...size.values(), ...elidedDims);
  // Spell the ellipsis out with letters the equation does not use.
  const spare = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((x) => !eq.includes(x));
  const dots = spare.slice(0, elided).join('');
  const explicit = left
    ? `${dots}${inSpec},${wSpec}->${dots}${outSpec}`
    : elidedRight
      ? `${inSpec}${dots},${wSpec}->${outSpec}${dots}`
      : `${inSpec},${wSpec}->${outSpec}`;
  return { kernel, ...(biasShape ? { bias: biasShape } : {}), out: (out as number[]).slice(1), macs, explicit };
}

// ---- Keras readers ----

function intList(r: ConfigReader, field: string, allowNull = false): Array<number | null> | undefined {
  const v = r.raw(field);
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'number' ? [v] : v;
  if (
    !Array.isArray(list) ||
    list.some((d) => !(d === null && allowNull) && (typeof d !== 'number' || !Number.isSafeInteger(d)))
  )
    r.fail(field, `must be an integer or a list of them, got ${JSON.stringify(v)}`);
  return list as Array<number | null>;
}

function readMha(r: ConfigReader): MultiHeadAttentionConfig {
  const keyDim = r.int('key_dim');
  const outputShape = intList(r, 'output_shape') as number[] | undefined;
  if (outputShape?.some((d) => d < 1)) r.fail('output_shape', `must be positive, got ${JSON.stringify(outputShape)}`);
  const axes = intList(r, 'attention_axes') as number[] | undefined;
  return {
    kind: 'multiHeadAttention',
    heads: r.int('num_heads'),
    keyDim,
    valueDim: r.has('value_dim') ? r.int('value_dim') : keyDim,
    bias: r.bool('use_bias', true),
    ...(outputShape && outputShape.length ? { outputShape } : {}),
    ...(axes && axes.length ? { attentionAxes: axes } : {}),
    ...(r.bool('use_gate', false) ? { gate: true } : {}),
  };
}

function readGqa(r: ConfigReader): GroupedQueryAttentionConfig {
  const queryHeads = r.int('num_query_heads');
  const kvHeads = r.int('num_key_value_heads');
  if (queryHeads % kvHeads !== 0)
    r.fail('num_query_heads', `${queryHeads} is not divisible by num_key_value_heads ${kvHeads}`);
  return {
    kind: 'groupedQueryAttention',
    headDim: r.int('head_dim'),
    queryHeads,
    kvHeads,
    bias: r.bool('use_bias', true),
    ...(r.bool('use_gate', false) ? { gate: true } : {}),
  };
}

// ---- the kinds ----

const attentionCallInputs = ['query', 'value', 'key'] as const;

export const attentionKinds: Kinds<AttentionFamily> = {
  multiHeadAttention: {
    torch: 'MultiheadAttention',
    title: 'MultiHeadAttention',
    outputShape: (c, inputs, name) => mhaGeometry(c, inputs, name).out,
    weights: mhaWeights,
    macs: (c, inputs) =>
      sum(
        'MACs',
        mhaParts(c, inputs).map(([, n]) => n),
      ),
    macParts: (c, inputs) => mhaParts(c, inputs),
    describe: (c) =>
      `${c.heads}x${c.keyDim}${c.valueDim !== c.keyDim ? `/${c.valueDim}` : ''}${c.bias ? '' : ' nobias'}${c.gate ? ' gate' : ''}`,
    keras: { MultiHeadAttention: readMha },
    kerasCallInputs: attentionCallInputs,
    custom: [multiHeadAttentionLayer],
    tfjs: (c, ctx) => {
      const [query] = ctx.info.inputShapes;
      const g = mhaGeometry(c, ctx.info.inputShapes, ctx.name);
      const Layer = ctx.custom(multiHeadAttentionLayer);
      return ctx.use(
        new Layer({
          name: ctx.name,
          heads: c.heads,
          kvHeads: c.heads,
          keyDim: c.keyDim,
          valueDim: c.valueDim,
          useBias: c.bias,
          gate: c.gate ?? false,
          outputShape: g.out.slice(query!.length - 1),
          attention: g.attention,
          kernelInitializer: ctx.kernelInitializer,
        }),
        ctx.inputs,
      );
    },
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  groupedQueryAttention: {
    title: 'GroupedQueryAttention',
    outputShape: (c, inputs, name) => gqaGeometry(c, inputs, name)[0],
    weights: (c, inputs) => {
      const [query, value, key] = [inputs[0]!, inputs[1]!, inputs[2] ?? inputs[1]!];
      const dense = (name: string, fanIn: number[], fanOut: number[]): WeightSpec[] => [
        weight(`${name}/kernel`, [...fanIn, ...fanOut]),
        ...(c.bias ? [bias(`${name}/bias`, fanOut)] : []),
      ];
      return [
        ...dense('query', [query[1]!], [c.queryHeads, c.headDim]),
        ...dense('key', [key[1]!], [c.kvHeads, c.headDim]),
        ...(c.gate ? dense('gate', [query[1]!], [c.queryHeads, c.headDim]) : []),
        ...dense('value', [value[1]!], [c.kvHeads, c.headDim]),
        ...dense('attention_output', [c.queryHeads, c.headDim], [query[1]!]),
      ];
    },
    macs: (c, inputs) =>
      sum(
        'MACs',
        gqaParts(c, inputs).map(([, n]) => n),
      ),
    macParts: (c, inputs) => gqaParts(c, inputs),
    describe: (c) =>
      `${c.queryHeads}/${c.kvHeads} heads x${c.headDim}${c.bias ? '' : ' nobias'}${c.gate ? ' gate' : ''}`,
    // Keras 3.15 registers the class as GroupQueryAttention; its Python name is GroupedQueryAttention.
    keras: { GroupQueryAttention: readGqa, GroupedQueryAttention: readGqa },
    kerasCallInputs: attentionCallInputs,
    custom: [multiHeadAttentionLayer],
    tfjs: (c, ctx) => {
      const Layer = ctx.custom(multiHeadAttentionLayer);
      return ctx.use(
        new Layer({
          name: ctx.name,
          heads: c.queryHeads,
          kvHeads: c.kvHeads,
          keyDim: c.headDim,
          valueDim: c.headDim,
          useBias: c.bias,
          gate: c.gate ?? false,
          outputShape: [ctx.info.inputShapes[0]![1]!],
          attention: [0],
          kernelInitializer: ctx.kernelInitializer,
        }),
        ctx.inputs,
      );
    },
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  attention: {
    title: 'Attention',
    outputShape: (c, inputs, name) => {
      const [query, value] = luongInputs(c, inputs, name);
      return [...query.slice(0, -1), value.at(-1)!];
    },
    weights: (c) => [
      ...(c.useScale ? [weight('scale', [])] : []),
      ...(c.scoreMode === 'concat' ? [weight('concat_score_weight', [])] : []),
    ],
    macs: (c, inputs) =>
      sum(
        'MACs',
        luongParts(c, inputs).map(([, n]) => n),
      ),
    macParts: (c, inputs) => luongParts(c, inputs),
    describe: (c) => `${c.scoreMode}${c.useScale ? ' scaled' : ''}`,
    keras: {
      Attention: (r) => {
        if (r.bool('causal', false))
          r.fail('causal', 'is a call argument in Keras 3 (use_causal_mask); not supported here');
        return {
          kind: 'attention',
          scoreMode: r.str('score_mode', ['dot', 'concat'], 'dot'),
          useScale: r.bool('use_scale', false),
        };
      },
    },
    custom: [luongAttentionLayer],
    tfjs: (c, ctx) => {
      const Layer = ctx.custom(luongAttentionLayer);
      return ctx.use(new Layer({ name: ctx.name, config: c }), ctx.inputs);
    },
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  additiveAttention: {
    title: 'AdditiveAttention',
    outputShape: (c, inputs, name) => {
      const [query, value] = luongInputs(c, inputs, name);
      return [...query.slice(0, -1), value.at(-1)!];
    },
    weights: (c, inputs) => (c.useScale ? [weight('scale', [inputs[0]!.at(-1)!])] : []),
    macs: (c, inputs) =>
      sum(
        'MACs',
        luongParts(c, inputs).map(([, n]) => n),
      ),
    macParts: (c, inputs) => luongParts(c, inputs),
    describe: (c) => (c.useScale ? 'scaled' : ''),
    keras: {
      AdditiveAttention: (r) => {
        if (r.bool('causal', false))
          r.fail('causal', 'is a call argument in Keras 3 (use_causal_mask); not supported here');
        return { kind: 'additiveAttention', useScale: r.bool('use_scale', true) };
      },
    },
    custom: [luongAttentionLayer],
    tfjs: (c, ctx) => {
      const Layer = ctx.custom(luongAttentionLayer);
      return ctx.use(new Layer({ name: ctx.name, config: c }), ctx.inputs);
    },
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  einsumDense: {
    title: 'EinsumDense',
    outputShape: (c, inputs, name) => einsumShapes(c, one(name, c.kind, inputs), name).out,
    weights: (c, inputs) => {
      const s = einsumShapes(c, inputs[0]!, 'einsumDense');
      return [weight('kernel', s.kernel), ...(s.bias ? [bias('bias', s.bias)] : [])];
    },
    // Every index's size multiplied (the einsum's products), per example.
    macs: (c, inputs) => einsumShapes(c, inputs[0]!, 'einsumDense').macs,
    describe: (c) => `${c.equation}${c.biasAxes ? ` +${c.biasAxes}` : ''}${fusedText(c.activation)}`,
    keras: {
      EinsumDense: (r) => {
        if (r.has('lora_rank')) r.fail('lora_rank', 'is not supported (LoRA adapters)');
        if (r.has('quantization_config')) r.fail('quantization_config', 'is not supported (quantized weights)');
        const equation = r.raw('equation');
        if (typeof equation !== 'string') r.fail('equation', `must be a string, got ${JSON.stringify(equation)}`);
        const outputShape = intList(r, 'output_shape', true);
        if (!outputShape) r.fail('output_shape', 'is required');
        if (outputShape!.some((d) => d !== null && d < 1))
          r.fail('output_shape', `must be positive, got ${JSON.stringify(outputShape)}`);
        const biasAxes = r.raw('bias_axes');
        if (biasAxes !== undefined && biasAxes !== null && typeof biasAxes !== 'string')
          r.fail('bias_axes', `must be a string, got ${JSON.stringify(biasAxes)}`);
        return {
          kind: 'einsumDense',
          equation: equation as string,
          outputShape: outputShape!,
          ...(biasAxes ? { biasAxes: biasAxes as string } : {}),
          ...fused(r),
        };
      },
    },
    custom: [einsumDenseLayer],
    tfjs: configLayer(einsumDenseLayer),
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },
};

// ---- custom tfjs layers ----

export interface MultiHeadAttentionArgs extends WeightedArgs {
  heads: number;
  /** Key and value heads: fewer than `heads` for grouped-query attention, each repeated for its group. */
  kvHeads: number;
  keyDim: number;
  valueDim: number;
  useBias: boolean;
  gate: boolean;
  /** The output's trailing shape. */
  outputShape: readonly number[];
  /** Per-example positional axes attention runs over. */
  attention: readonly number[];
}

interface Projection {
  kernel: TF.LayerVariable;
  bias?: TF.LayerVariable;
}

/**
 * Multi-head (and grouped-query) attention with Keras' weights (query/key/value/gate kernels
 * [features, heads, dim] and biases [heads, dim]; attention_output [heads, value_dim, ...output]), computed
 * with tf ops: projections, softmax(Q K^T / sqrt(key_dim)) over the attention axes, A V, output projection.
 */
export function multiHeadAttentionLayer(tf: Tf): LayerClass<MultiHeadAttentionArgs> {
  return class MultiHeadAttention extends customBase(tf)<MultiHeadAttentionArgs> {
    static className = 'NetcensusMultiHeadAttention';
    private readonly proj: Record<string, Projection> = {};

    private dense(name: string, fanIn: number[], fanOut: number[]): void {
      const kernel = this.weight(`${name}/kernel`, [...fanIn, ...fanOut]);
      const b = this.args.useBias ? this.weight(`${name}/bias`, fanOut, 'zeros') : undefined;
      this.proj[name] = { kernel, ...(b ? { bias: b } : {}) };
    }

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const [q, v, k = v] = shapesOf(inputShape);
      const a = this.args;
      this.dense('query', [q!.at(-1)!], [a.heads, a.keyDim]);
      this.dense('key', [k!.at(-1)!], [a.kvHeads, a.keyDim]);
      if (a.gate) this.dense('gate', [q!.at(-1)!], [a.heads, a.valueDim]);
      this.dense('value', [v!.at(-1)!], [a.kvHeads, a.valueDim]);
      this.dense('attention_output', [a.heads, a.valueDim], [...a.outputShape]);
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const [q] = shapesOf(inputShape);
      return [...q!.slice(0, -1), ...this.args.outputShape];
    }

    /** x [..., d] -> [..., heads, dim] through kernel [d, heads, dim]. */
    private project(x: Tensor, p: Projection): Tensor {
      const k = p.kernel.read();
      const d = x.shape.at(-1)!;
      const width = k.size / d;
      let y = tf.reshape(tf.matMul(tf.reshape(x, [-1, d]), tf.reshape(k, [d, width])), [
        ...x.shape.slice(0, -1),
        ...k.shape.slice(1),
      ]);
      if (p.bias) y = tf.add(y, p.bias.read());
      return y;
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const [query, value, key = value] = inputs as Tensor[];
        const a = this.args;
        // Positional axes: between the batch and the features.
        const positional = query!.rank - 2;
        let q = tf.mul(this.project(query!, this.proj.query!), 1 / Math.sqrt(a.keyDim));
        let k = this.project(key!, this.proj.key!);
        let v = this.project(value!, this.proj.value!);
        if (a.kvHeads !== a.heads) {
          // Keras' ops.repeat on the heads axis: each key/value head serves heads / kvHeads query heads.
          const group = a.heads / a.kvHeads;
          const index = tf.tensor1d(
            Array.from({ length: a.heads }, (_, i) => Math.floor(i / group)),
            'int32',
          );
          k = tf.gather(k, index, positional + 1);
          v = tf.gather(v, index, positional + 1);
        }
        // [batch, ...positions, heads, dim] -> [batch x batch-like positions, heads, attention positions, dim]
        const attn = a.attention.map((i) => i + 1);
        const other = Array.from({ length: positional }, (_, i) => i + 1).filter((i) => !attn.includes(i));
        const perm = [0, ...other, positional + 1, ...attn, positional + 2];
        const flat = (t: Tensor) => {
          const moved = tf.transpose(t, perm);
          const along = attn.reduce((n, i) => n * t.shape[i]!, 1);
          return tf.reshape(moved, [-1, t.shape[positional + 1]!, along, t.shape[positional + 2]!]);
        };
        const scores = tf.softmax(tf.matMul(flat(q), flat(k), false, true));
        const o = tf.matMul(scores, flat(v));
        // Back to [batch, ...positions, heads, value_dim].
        const movedShape = perm.map((p, i) => (i === perm.length - 1 ? a.valueDim : q.shape[p]!));
        const inverse = perm.map((_, i) => perm.indexOf(i));
        let out = tf.transpose(tf.reshape(o, movedShape), inverse);
        if (this.proj.gate) out = tf.mul(out, tf.sigmoid(this.project(query!, this.proj.gate)));
        const w = this.proj.attention_output!;
        const fanOut = prod(a.outputShape);
        let y = tf.reshape(
          tf.matMul(
            tf.reshape(out, [-1, a.heads * a.valueDim]),
            tf.reshape(w.kernel.read(), [a.heads * a.valueDim, fanOut]),
          ),
          [...query!.shape.slice(0, -1), ...a.outputShape],
        );
        if (w.bias) y = tf.add(y, w.bias.read());
        return y;
      });
    }
  };
}

export interface LuongAttentionArgs extends LayerArgs {
  config: AttentionConfig | AdditiveAttentionConfig;
}

/** Keras' Attention (dot or concat scores) and AdditiveAttention, with their scale weights. */
export function luongAttentionLayer(tf: Tf): LayerClass<LuongAttentionArgs> {
  return class KerasAttention extends customBase(tf)<LuongAttentionArgs> {
    static className = 'NetcensusAttention';
    private scale?: TF.LayerVariable;
    private concatWeight?: TF.LayerVariable;

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const c = this.args.config;
      const [q] = shapesOf(inputShape);
      if (c.useScale) this.scale = this.weight('scale', c.kind === 'attention' ? [] : [q!.at(-1)!], 'ones');
      if (c.kind === 'attention' && c.scoreMode === 'concat')
        this.concatWeight = this.weight('concat_score_weight', [], 'ones');
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const [q, v] = shapesOf(inputShape);
      return [...q!.slice(0, -1), v!.at(-1)!];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const [q, v, k = v] = inputs as Tensor[];
        const c = this.args.config;
        let scores: Tensor;
        if (c.kind === 'attention' && c.scoreMode === 'dot') {
          scores = tf.matMul(q!, k!, false, true);
          if (this.scale) scores = tf.mul(scores, this.scale.read());
        } else {
          let s = tf.add(tf.expandDims(q!, -2), tf.expandDims(k!, -3));
          if (c.kind === 'attention') {
            if (this.scale) s = tf.mul(s, this.scale.read());
            scores = tf.mul(tf.sum(tf.tanh(s), -1), this.concatWeight!.read());
          } else {
            const t = tf.tanh(s);
            scores = tf.sum(this.scale ? tf.mul(t, this.scale.read()) : t, -1);
          }
        }
        return tf.matMul(tf.softmax(scores), v!);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), config: this.args.config as unknown as TF.serialization.ConfigDict };
    }
  };
}

export type EinsumDenseArgs = ConfigArgs<EinsumDenseConfig>;

/**
 * A two-operand einsum without ellipsis as one batched matMul, which every backend runs (wasm registers
 * no Einsum kernel): an index of one operand alone is summed first; shared indices the output keeps are
 * the batch, shared ones it drops are contracted, the rest are each operand's own; then the output's order.
 */
export function einsumMatMul(tf: Tf, equation: string, a: Tensor, b: Tensor): Tensor {
  const [inputs, out = ''] = equation.split('->') as [string, string?];
  let [sa, sb] = inputs.split(',') as [string, string];
  if (new Set(sa).size !== sa.length || new Set(sb).size !== sb.length || new Set(out).size !== out.length)
    throw new Error(`einsum "${equation}": an index repeated within one operand`);
  const alone = (s: string, other: string, t: Tensor): [string, Tensor] => {
    const axes = [...s].flatMap((d, i) => (other.includes(d) || out.includes(d) ? [] : [i]));
    return axes.length ? [[...s].filter((_, i) => !axes.includes(i)).join(''), tf.sum(t, axes)] : [s, t];
  };
  [sa, a] = alone(sa, sb, a);
  [sb, b] = alone(sb, sa, b);
  const size = new Map<string, number>();
  [...sa].forEach((d, i) => size.set(d, a.shape[i]!));
  [...sb].forEach((d, i) => size.set(d, b.shape[i]!));
  const batch = [...sa].filter((d) => sb.includes(d) && out.includes(d));
  const contract = [...sa].filter((d) => sb.includes(d) && !out.includes(d));
  const freeA = [...sa].filter((d) => !sb.includes(d));
  const freeB = [...sb].filter((d) => !sa.includes(d));
  const n = (ds: string[]) => ds.reduce((p, d) => p * size.get(d)!, 1);
  const a3 = tf.reshape(
    tf.transpose(
      a,
      [...batch, ...freeA, ...contract].map((d) => sa.indexOf(d)),
    ),
    [n(batch), n(freeA), n(contract)],
  );
  const b3 = tf.reshape(
    tf.transpose(
      b,
      [...batch, ...contract, ...freeB].map((d) => sb.indexOf(d)),
    ),
    [n(batch), n(contract), n(freeB)],
  );
  const order = [...batch, ...freeA, ...freeB];
  const y = tf.reshape(
    tf.matMul(a3, b3),
    order.map((d) => size.get(d)!),
  );
  return tf.transpose(
    y,
    [...out].map((d) => order.indexOf(d)),
  );
}

/** Keras' EinsumDense: the einsum of the input and a kernel shaped by the equation, plus bias and activation. */
export function einsumDenseLayer(tf: Tf): LayerClass<EinsumDenseArgs> {
  return class EinsumDense extends customBase(tf)<EinsumDenseArgs> {
    static className = 'NetcensusEinsumDense';
    private kernel?: TF.LayerVariable;
    private bias?: TF.LayerVariable;
    private explicit = '';

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const s = einsumShapes(this.args.config, perExample(singleShape(inputShape)), this.name);
      this.explicit = s.explicit;
      this.kernel = this.weight('kernel', s.kernel);
      if (s.bias) this.bias = this.weight('bias', s.bias, 'zeros');
      this.built = true;
    }

    override censusShape(inputs: Shape[]): Shape {
      return attentionKinds.einsumDense.outputShape(this.args.config, inputs, this.name);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs);
        let y = einsumMatMul(tf, this.explicit, x, this.kernel!.read());
        if (this.bias) y = tf.add(y, this.bias.read());
        return activationOp(tf, this.args.config.activation)(y);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), config: this.args.config as unknown as TF.serialization.ConfigDict };
    }
  };
}

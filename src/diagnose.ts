/**
 * Diagnostics: things that are legal but probably not what the author meant, each with the count it
 * changes. Printed by `summary` and returned in its JSON as `diagnostics`.
 */
import { inferLayers, type LayerInfo } from './census.js';
import { CAUSES, diffGraphs, type Cause } from './diff.js';
import { int } from './format.js';
import { prod } from './exact.js';
import type { Graph } from './graph.js';
import { effectiveKernel, resolvePads } from './layers.js';

export interface Diagnostic {
  code: 'dense-on-feature-map' | 'uneven-stride' | 'zoo-variant';
  layer: string | null;
  message: string;
}

/** Seed 000's mistake: a Dense on an H x W x C map sees C inputs per position, not H x W x C. */
function denseOnFeatureMap(infos: readonly LayerInfo[]): Diagnostic[] {
  const byName = new Map(infos.map((i) => [i.node.name, i]));
  const out: Diagnostic[] = [];
  for (const info of infos) {
    const c = info.node.config;
    const inShape = info.inputShapes[0];
    if (c.kind !== 'dense' || !inShape || inShape.length < 2) continue;
    // Report where the feature map enters the Dense stack, not every Dense after it.
    const src = byName.get(info.node.inputs[0]!);
    if (src && src.node.config.kind === 'dense') continue;
    const fanIn = inShape.at(-1)!;
    const flat = prod(inShape);
    const withFlatten = flat * c.units + (c.bias ? c.units : 0);
    const following = infos.filter(
      (i) =>
        i !== info &&
        i.node.config.kind === 'dense' &&
        i.inputShapes[0]!.length > 1 &&
        i.inputShapes[0]!.slice(0, -1).join('x') === inShape.slice(0, -1).join('x'),
    ).length;
    out.push({
      code: 'dense-on-feature-map',
      layer: info.node.name,
      message:
        `Dense "${info.node.name}" is applied to a ${inShape.join('x')} input, so it acts on the last axis only: it sees ${int(fanIn)} inputs, not ${inShape.join(' x ')} = ${int(flat)}, ` +
        `and its output is ${[...inShape.slice(0, -1), c.units].join('x')}${following ? ` (as are the ${following} Dense layers after it)` : ''}. A Flatten is probably missing before it; with one it would have ${int(withFlatten)} parameters instead of ${int(fanIn * c.units + (c.bias ? c.units : 0))}.`,
    });
  }
  return out;
}

/** A strided window that does not tile its input: the last rows or columns are silently dropped. */
function unevenStride(infos: readonly LayerInfo[]): Diagnostic[] {
  const byName = new Map(infos.map((i) => [i.node.name, i]));
  const out: Diagnostic[] = [];
  for (const info of infos) {
    const c = info.node.config;
    if (
      c.kind !== 'conv2d' &&
      c.kind !== 'depthwiseConv2d' &&
      c.kind !== 'separableConv2d' &&
      c.kind !== 'maxPool2d' &&
      c.kind !== 'avgPool2d'
    )
      continue;
    if (c.padding === 'same' || ('ceilMode' in c && c.ceilMode)) continue;
    const [h, w] = [info.inputShapes[0]![0]!, info.inputShapes[0]![1]!];
    const kernel = 'pool' in c ? c.pool : c.kernel;
    const dilation = 'dilation' in c ? c.dilation : ([1, 1] as const);
    const p = resolvePads(c.padding, h, w, kernel, c.strides, dilation);
    const axes = [
      ['height', h, p.top + p.bottom, kernel[0], c.strides[0], dilation[0]],
      ['width', w, p.left + p.right, kernel[1], c.strides[1], dilation[1]],
    ] as const;
    // Keras pads with a ZeroPadding2D layer in front (ResNet50's conv1_pad): that padding counts too.
    const src = byName.get(info.node.inputs[0]!)?.node.config;
    const padLayer = src?.kind === 'zeroPad2d' ? src.pads : { bottom: 0, right: 0 };
    const after = [p.bottom + padLayer.bottom, p.right + padLayer.right];
    // Only overlapping windows (kernel > stride) that leave real input, not padding, uncovered: a 1x1/2
    // subsampling conv or a padded stem skips pixels by design.
    const uneven = axes.filter(
      ([, size, pad, k, s, d], i) =>
        s > 1 && effectiveKernel(k, d) > s && (size + pad - effectiveKernel(k, d)) % s > after[i]!,
    );
    if (uneven.length === 0) continue;
    const [axis, size, pad, k, s, d] = uneven[0]!;
    const ek = effectiveKernel(k, d);
    const left = ((size + pad - ek) % s) - (axis === 'height' ? after[0]! : after[1]!);
    const fits = [size - left, size + (s - left)];
    out.push({
      code: 'uneven-stride',
      layer: info.node.name,
      message: `input ${axis} ${size} does not divide evenly: (${size}${pad ? ` + ${pad}` : ''} - ${ek}) / ${s} = ${((size + pad - ek) / s).toFixed(2)}, so the last ${left} ${axis === 'height' ? 'row' : 'column'}(s) are never covered${uneven.length === 2 ? ' (both axes)' : ''}; ${fits[0]} or ${fits[1]} would tile exactly`,
    });
  }
  return out;
}

const SMALL_CAUSES: readonly Cause[] = ['grouping', 'bias', 'bn-statistics'];

/** Whether the model is a zoo model but for grouping, bias or the BN convention (and which). */
export function zooVariant(graph: Graph, zoo: Readonly<Record<string, () => Graph>>): Diagnostic[] {
  for (const [name, build] of Object.entries(zoo)) {
    if (name === graph.name) continue;
    const z = build();
    let d;
    try {
      d = diffGraphs(graph, z);
    } catch {
      continue;
    }
    const aligned = d.pairs.every((p) => p.a !== null && p.b !== null);
    const causes = new Set([...Object.keys(d.byCause.params), ...Object.keys(d.byCause.macs)] as Cause[]);
    if (!aligned || [...causes].some((c) => !SMALL_CAUSES.includes(c))) continue;
    if (causes.size === 0)
      return [
        {
          code: 'zoo-variant',
          layer: null,
          message: `same weighted layers as zoo model "${name}" (${int(d.b.params)} params, ${d.b.convention} convention)`,
        },
      ];
    const details = [...causes].map((cause) => {
      const layers = d.pairs.filter((p) => p.params[cause] || p.macs[cause]).map((p) => p.a);
      return `${CAUSES[cause]}: ${int(d.byCause.params[cause] ?? 0)} params, ${int(d.byCause.macs[cause] ?? 0)} MACs (${layers.slice(0, 6).join(', ')}${layers.length > 6 ? ', ...' : ''})`;
    });
    return [
      {
        code: 'zoo-variant',
        layer: null,
        message: `equals zoo model "${name}" except for ${details.join('; ')}; netcensus diff shows it layer by layer`,
      },
    ];
  }
  return [];
}

export function diagnose(
  graph: Graph,
  options: { input?: readonly number[]; zoo?: Readonly<Record<string, () => Graph>> } = {},
): Diagnostic[] {
  const infos = inferLayers(graph, options.input);
  return [...denseOnFeatureMap(infos), ...unevenStride(infos), ...(options.zoo ? zooVariant(graph, options.zoo) : [])];
}

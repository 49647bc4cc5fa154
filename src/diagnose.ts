/**
 * Diagnostics: things that are legal but probably not what the author meant, each with the count it
 * changes. Each kind raises its own (a Dense on a feature map) and every strided window is checked for
 * input it drops; the zoo-variant check compares the whole model with the zoo. Printed by `summary` and
 * returned in its JSON as `diagnostics`.
 */
import { census, type Census } from './census.js';
import { CAUSES, conventionOf, diffCensuses, weightedLayers, type Cause, type WeightedLayer } from './diff.js';
import { int } from './format/numbers.js';
import { isInput, type Graph } from './graph.js';
import { kindSpec } from './kinds/index.js';
import type { DiagnoseCtx, Diagnostic } from './kinds/spec.js';
import { unevenStride } from './kinds/window.js';

export type { Diagnostic } from './kinds/spec.js';

const SMALL_CAUSES: readonly Cause[] = ['grouping', 'bias', 'bn-statistics'];

type Zoo = Readonly<Record<string, () => Graph>>;

/** Zoo models' censuses and weighted layers, made once per process: the zoo does not change. */
const zooCache = new WeakMap<() => Graph, { c: Census; weighted: WeightedLayer[]; signature: string }>();

/** Zoo models' graphs and an upper bound on their weighted layers (nodes whose kind has diff factors). */
const zooGraphs = new WeakMap<() => Graph, { graph: Graph; weightedBound: number }>();

function zooGraph(build: () => Graph) {
  let e = zooGraphs.get(build);
  if (!e) {
    const graph = build();
    e = { graph, weightedBound: graph.nodes.filter((n) => kindSpec(n.config).factors !== null).length };
    zooGraphs.set(build, e);
  }
  return e;
}

/** How many weighted layers of each factor kind: a zoo variant pairs every one, so these must be equal. */
const signature = (layers: readonly WeightedLayer[]): string => {
  const counts: Record<string, number> = {};
  for (const l of layers) counts[l.kind] = (counts[l.kind] ?? 0) + 1;
  return JSON.stringify(Object.entries(counts).sort());
};

function zooEntry(build: () => Graph) {
  let e = zooCache.get(build);
  if (!e) {
    const g = zooGraph(build).graph;
    const c = census(g, { params: conventionOf(g) });
    const weighted = weightedLayers(c);
    e = { c, weighted, signature: signature(weighted) };
    zooCache.set(build, e);
  }
  return e;
}

/** The model counted as the zoo comparison needs it: its own framework's convention, batch 1, its own input. */
function asZooSees(c: Census): Census {
  const graph = c.graph;
  const ownInput = c.graph.nodes.find(isInput);
  const resized = ownInput !== undefined && ownInput.config.shape.join('x') !== c.input.slice(1).join('x');
  if (c.conventions.params === conventionOf(graph) && c.batch === 1 && !resized) return c;
  return census(graph, { params: conventionOf(graph) });
}

/** Whether the model is a zoo model but for grouping, bias or the BN convention (and which). */
export function zooVariant(subject: Census, zoo: Zoo): Diagnostic[] {
  const c = asZooSees(subject);
  const graph = c.graph;
  const mine = weightedLayers(c);
  const sig = signature(mine);
  for (const [name, build] of Object.entries(zoo)) {
    if (name === graph.name) continue;
    // A variant pairs every weighted layer, so it has as many: a model with more than the zoo model's graph
    // could hold is skipped before that model is counted (a 10,000-layer model skips them all).
    if (mine.length > zooGraph(build).weightedBound) continue;
    const z = zooEntry(build);
    if (z.signature !== sig) continue;
    const d = diffCensuses(c, z.c, mine, z.weighted);
    const aligned = d.pairs.every((p) => p.a !== null && p.b !== null);
    const causes = new Set([...Object.keys(d.byCause.params), ...Object.keys(d.byCause.macs)] as Cause[]);
    if (!aligned || [...causes].some((cause) => !SMALL_CAUSES.includes(cause))) continue;
    if (causes.size === 0) {
      return [
        {
          code: 'zoo-variant',
          layer: null,
          message: `same weighted layers as zoo model "${name}" (${int(d.b.params)} params, ${d.b.convention} convention)`,
        },
      ];
    }
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

/** The kinds' own diagnostics first, then the window checks, then the zoo comparison. */
export function diagnose(
  subject: Graph | Census,
  options: { input?: readonly number[]; zoo?: Zoo } = {},
): Diagnostic[] {
  const c = 'infos' in subject ? subject : census(subject, { input: options.input });
  const byName = new Map(c.infos.map((i) => [i.node.name, i]));
  const ctx: DiagnoseCtx = {
    producer: (name) => byName.get(name),
    infos: c.infos,
    outputs: c.outputs.map((s) => s.slice(1)),
  };
  const own: Diagnostic[] = [];
  const windows: Diagnostic[] = [];
  for (const info of c.infos) {
    const spec = kindSpec(info.node.config);
    if (spec.diagnose) own.push(...spec.diagnose(info.node.config, info, ctx));
    if (spec.window) windows.push(...unevenStride(info, spec.window(info.node.config, info), ctx));
  }
  return [...own, ...windows, ...(options.zoo ? zooVariant(c, options.zoo) : [])];
}

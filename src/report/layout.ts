/**
 * The layer graph, laid out top to bottom with dagre at generation time: the page carries positions
 * and draws plain SVG, so no layout library travels with it.
 *
 * Chains (a layer whose only input has no other consumer: conv -> bn -> relu) are laid out as one tall
 * dagre node and stacked afterwards. ResNet-152's 516 layers become about 170 dagre nodes, which cuts
 * the layout time (and dagre's garbage) several-fold without changing the picture.
 */
import dagre from '@dagrejs/dagre';
import type { LayerCensus } from '../census.js';
import { parseRef } from '../graph.js';

/** The narrowest node; nodes widen to fit their labels (see `labelWidth`), up to MAX_NODE_W. */
export const NODE_W = 176;
export const MAX_NODE_W = 340;
export const NODE_H = 34;
/** Vertical gap between stacked layers of a chain: dagre's rank separation, so chains look like ranks. */
const RANK_SEP = 24;

/**
 * A label's width in px, estimated in Node where no font can be measured: per-character advances of
 * DejaVu Sans (Debian's system-ui and the widest of the common UI fonts, so narrower fonts only leave
 * room), bold for node names.
 */
export function labelWidth(text: string, px: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if (/[ijl.,:;'|!()[\]{}/\\ `]/.test(ch)) em += 0.35;
    else if (/[ftr\-"]/.test(ch)) em += 0.45;
    else if (/[mwMW@%]/.test(ch)) em += 0.98;
    else if (/[A-Z0-9#&]/.test(ch)) em += 0.76;
    else if (/[a-z_+*<>=~^$?]/.test(ch)) em += 0.66;
    // Anything else (symbols, CJK): as wide as a capital M, so it is never under-estimated by much.
    else em += 1;
  }
  return em * px * (bold ? 1.08 : 1);
}

/** The longest prefix of `text` that fits `width` px, with an ellipsis when cut. */
export function fitLabel(text: string, width: number, px: number, bold = false): string {
  if (labelWidth(text, px, bold) <= width) return text;
  const chars = Array.from(text);
  let k = chars.length;
  while (k > 0 && labelWidth(`${chars.slice(0, k).join('')}\u2026`, px, bold) > width) k--;
  return `${chars.slice(0, k).join('')}\u2026`;
}

/** Positions, rounded to whole pixels: node i is layer i (x, y = top left), edges as flat point lists. */
export interface GraphLayout {
  width: number;
  height: number;
  nodes: Array<[x: number, y: number]>;
  /** Each node's width (its height is NODE_H). */
  widths: number[];
  /** [from layer index, to layer index, x0, y0, x1, y1, ...]. */
  edges: number[][];
}

/** Layer indices of each layer's inputs; a `name:k` reference (a layer's k-th output) is its layer's. */
function inputIndices(layers: readonly Pick<LayerCensus, 'name' | 'inputs'>[]): number[][] {
  const index = new Map(layers.map((l, i) => [l.name, i]));
  const has = (name: string): boolean => index.has(name);
  return layers.map((l) =>
    l.inputs.map((ref) => index.get(parseRef(ref, has).node)).filter((i): i is number => i !== undefined),
  );
}

export function layoutGraph(
  layers: readonly Pick<LayerCensus, 'name' | 'inputs'>[],
  widths: readonly number[] = layers.map(() => NODE_W),
): GraphLayout {
  const inputsOf = inputIndices(layers);
  const consumers = new Array<number>(layers.length).fill(0);
  for (const ins of inputsOf) for (const i of ins) consumers[i]!++;
  // head[i]: the first layer of i's chain; layers come in topological order, so the input's head is known.
  const head = new Array<number>(layers.length);
  const members = new Map<number, number[]>();
  for (let i = 0; i < layers.length; i++) {
    const ins = inputsOf[i]!;
    const u = ins.length === 1 ? ins[0]! : -1;
    head[i] = u >= 0 && u < i && consumers[u] === 1 ? head[u]! : i;
    if (head[i] === i) members.set(i, []);
    members.get(head[i]!)!.push(i);
  }
  // A chain's layers are all as wide as its widest, so it reads as one column. Even widths: a node's centre
  // is then a whole pixel, like its left edge.
  const own = (i: number): number => 2 * Math.ceil((widths[i] ?? NODE_W) / 2);
  const chainW = new Map<number, number>();
  for (const [h, m] of members)
    chainW.set(
      h,
      m.reduce((a, i) => Math.max(a, own(i)), 0),
    );
  const w = (i: number): number => chainW.get(head[i]!)!;

  const g = new dagre.graphlib.Graph({ multigraph: true });
  // tight-tree ranks as well as network-simplex on these feed-forward graphs, in half the time.
  g.setGraph({
    rankdir: 'TB',
    nodesep: 24,
    ranksep: RANK_SEP,
    edgesep: 8,
    marginx: 8,
    marginy: 8,
    ranker: 'tight-tree',
  });
  g.setDefaultEdgeLabel(() => ({}));
  const chainHeight = (k: number): number => k * NODE_H + (k - 1) * RANK_SEP;
  for (const [h, m] of members) g.setNode(String(h), { width: w(h), height: chainHeight(m.length) });
  for (const [v, ins] of inputsOf.entries()) {
    // Only a chain's head has inputs from outside it; inner links are drawn straight below.
    if (head[v] !== v) continue;
    ins.forEach((u, k) => g.setEdge(String(head[u]), String(v), { from: u }, `${v}:${k}`));
  }
  dagre.layout(g);

  const r = (v: number): number => Math.round(v);
  const nodes = new Array<[number, number]>(layers.length);
  const edges: number[][] = [];
  const cx = new Array<number>(layers.length);
  for (const [h, m] of members) {
    const n = g.node(String(h));
    const top = n.y - chainHeight(m.length) / 2;
    const x = r(n.x - w(h) / 2);
    m.forEach((i, j) => {
      nodes[i] = [x, r(top + j * (NODE_H + RANK_SEP))];
      cx[i] = x + w(h) / 2;
    });
    for (let j = 1; j < m.length; j++) {
      const y0 = nodes[m[j - 1]!]![1] + NODE_H;
      edges.push([m[j - 1]!, m[j]!, cx[m[j - 1]!]!, y0, cx[m[j]!]!, y0 + RANK_SEP]);
    }
  }
  for (const e of g.edges() as Array<{ v: string; w: string; name?: string }>) {
    const label = g.edge(e) as { from: number; points?: Array<{ x: number; y: number }> };
    const to = Number(e.w);
    const from = label.from;
    const pts = (label.points ?? []).map((p) => [r(p.x), r(p.y)] as [number, number]);
    // dagre ends edges on the tall chain box's outline; they belong at the last layer's bottom and the head's top.
    const start: [number, number] = [cx[from]!, nodes[from]![1] + NODE_H];
    const end: [number, number] = [cx[to]!, nodes[to]![1]];
    const inner = pts.slice(1, -1).filter((p) => p[1] > start[1] && p[1] < end[1]);
    edges.push([from, to, ...[start, ...inner, end].flat()]);
  }
  const gg = g.graph();
  return { width: r(gg.width ?? 0), height: r(gg.height ?? 0), nodes, widths: layers.map((_, i) => w(i)), edges };
}

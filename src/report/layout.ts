/**
 * The layer graph, laid out top to bottom with dagre at generation time: the page carries positions
 * and draws plain SVG, so no layout library travels with it.
 */
import dagre from '@dagrejs/dagre';
import type { LayerCensus } from '../census.js';

export const NODE_W = 176;
export const NODE_H = 34;

/** Positions, rounded to whole pixels: node i is layer i (x, y = top left), edges as flat point lists. */
export interface GraphLayout {
  width: number;
  height: number;
  nodes: Array<[x: number, y: number]>;
  /** [from layer index, to layer index, x0, y0, x1, y1, ...]. */
  edges: number[][];
}

export function layoutGraph(layers: readonly Pick<LayerCensus, 'name' | 'inputs'>[]): GraphLayout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  // tight-tree ranks as well as network-simplex on these feed-forward graphs, in half the time.
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 22, edgesep: 8, marginx: 8, marginy: 8, ranker: 'tight-tree' });
  g.setDefaultEdgeLabel(() => ({}));
  const index = new Map(layers.map((l, i) => [l.name, i]));
  for (const l of layers) g.setNode(l.name, { width: NODE_W, height: NODE_H });
  for (const l of layers) {
    for (const [k, from] of l.inputs.entries()) {
      if (!index.has(from)) continue;
      // A layer fed twice by one tensor (x + x) keeps both edges.
      g.setEdge(from, l.name, {}, `${k}`);
    }
  }
  dagre.layout(g);
  const r = (v: number): number => Math.round(v);
  const nodes = layers.map((l): [number, number] => {
    const n = g.node(l.name);
    return [r(n.x - NODE_W / 2), r(n.y - NODE_H / 2)];
  });
  const outEdges = g.edges().map((e: { v: string; w: string; name?: string }) => {
    const pts: Array<{ x: number; y: number }> = g.edge(e).points ?? [];
    return [index.get(e.v)!, index.get(e.w)!, ...pts.flatMap((p: { x: number; y: number }) => [r(p.x), r(p.y)])];
  });
  const gg = g.graph();
  return { width: r(gg.width ?? 0), height: r(gg.height ?? 0), nodes, edges: outEdges };
}

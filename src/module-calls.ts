/**
 * The module calls of a model from PyTorch, in execution order: what torchinfo's hooks record (its
 * summary_list), read off the census' layers. A module that runs as several graph layers (an LSTM the
 * exporter unrolled into reshapes and a recurrence) is one call; an op in a module's own forward (torch.add,
 * a class token concatenated) belongs to the module around it; a module called again is a call of its own,
 * marked recursive, as torchinfo marks it.
 */
import { checked } from './exact.js';
import type { ContainerCensus, LayerCensus } from './census.js';

export interface ModuleCall {
  /** The module's path; '' the model itself. */
  path: string;
  /** Its torch.nn class where the exporter or the zoo recorded it (or, for a leaf, the layer's kind). */
  torchClass?: string;
  /** torchinfo's depth: 0 the model, 1 its top-level modules. */
  depth: number;
  /** torchinfo's depth-idx: the n-th call at this depth, from 1 (0 for the model). */
  index: number;
  /** The call's output (its last layer's), batch first, in PyTorch's axis order. */
  shape: number[];
  /** Parameters of the module and every module inside it (PyTorch's count): for a recursive call, the module's. */
  params: number;
  trainableParams: number;
  /** Parameters of the module itself, in no module below it (torchinfo's "leftover" on a container's row). */
  ownParams: number;
  /** A later call of a module called before: torchinfo prints "(recursive)" and counts it once. */
  recursive: boolean;
  /** No module is called inside it. */
  leaf: boolean;
  /** Every layer of the call was counted (false: --skip-unknown left one out). */
  counted: boolean;
  /** false: a container never called itself (an nn.ModuleList, whose modules are called one by one). */
  called?: false;
  /** The graph layers the call ran, in order. */
  layers: string[];
}

/** A later call's scope is its module's: the same path, or TorchScript's numbered one (`fc_1` for `fc`). */
const sameModule = (owner: string | undefined, scope: string): boolean =>
  owner !== undefined &&
  (scope === owner || (scope.startsWith(`${owner}_`) && /^\d+$/.test(scope.slice(owner.length + 1))));

const shapeOf = (l: LayerCensus): number[] => l.sourceShape ?? l.outputShape;

/** The calls of `layers` (a census of a PyTorch graph), the model's first. */
export function moduleCalls(
  layers: readonly LayerCensus[],
  /** Each layer's parameters under PyTorch's convention (torchinfo's), whatever the census' own. */
  pytorch: ReadonlyArray<{ params: number; trainable: number }>,
  containers: readonly ContainerCensus[],
  rootClass: string | undefined,
  output: LayerCensus | undefined,
): ModuleCall[] {
  const classes = new Map(containers.map((k) => [k.name, k.torchClass]));
  const scopes = new Map(layers.map((l) => [l.name, l.scope]));
  // Where the exporter recorded every call's class, a container without one was not called.
  const recorded = containers.some((k) => k.torchClass !== undefined);
  const call = (path: string, depth: number, torchClass: string | undefined, leaf: boolean): ModuleCall => ({
    path,
    ...(torchClass === undefined ? {} : { torchClass }),
    depth,
    index: 0,
    shape: [],
    params: 0,
    trainableParams: 0,
    ownParams: 0,
    recursive: false,
    leaf,
    counted: true,
    layers: [],
  });
  const root = call('', 0, rootClass, false);
  if (output) root.shape = shapeOf(output);
  const calls: ModuleCall[] = [root];
  const first = new Map<string, ModuleCall>();
  const perDepth = new Map<number, number>();
  // The calls open at the current layer, outermost first, with the layers each has run.
  const open: Array<{ call: ModuleCall; members: Set<string> }> = [];
  for (const [i, l] of layers.entries()) {
    if (l.kind === 'input') continue;
    const { params, trainable } = pytorch[i]!;
    const top = open.at(-1)?.call;
    // A layer of the leaf module running now, of a kind without a class of its own (the reshapes around
    // an exported LSTM), is part of that call.
    const isCall = l.torchClass !== undefined || (top?.leaf === true && top.path === l.scope);
    const chain = isCall ? [...l.parents, l.scope] : l.parents;
    // An op the exporter left outside every module (a Split between two calls) ends no call: its
    // parameters, if any, are the model's own.
    if (chain.length === 0) {
      root.params = checked(root.params + params, 'params');
      root.trainableParams = checked(root.trainableParams + trainable, 'params');
      root.ownParams = checked(root.ownParams + params, 'params');
      if (!l.counted) root.counted = false;
      continue;
    }
    let keep = 0;
    while (keep < open.length && keep < chain.length && open[keep]!.call.path === chain[keep]) keep++;
    // A shared layer of the same module as its owner, which ran in an open call: that call is running again
    // (a tower applied twice, one Linear in a loop), so it and the calls inside it start anew. (Weights shared
    // across modules, a tied head or a constant the exporter stored once, start nothing.)
    const again = l.sharedWith !== undefined && sameModule(scopes.get(l.sharedWith), l.scope);
    if (again) {
      const k = open.findIndex((e) => e.members.has(l.sharedWith!));
      if (k >= 0 && k < keep) keep = k;
    }
    open.length = keep;
    for (let d = keep; d < chain.length; d++) {
      const path = chain[d]!;
      const leaf = isCall && d === chain.length - 1;
      const c = call(path, d + 1, leaf ? (l.torchClass ?? top?.torchClass) : classes.get(path), leaf);
      if (!leaf && recorded && c.torchClass === undefined) c.called = false;
      // TorchScript names a module's later call apart (`fc_1`); the weights it shares say it is `fc` again.
      const before = first.get(leaf && again ? scopes.get(l.sharedWith!)! : path);
      if (before) {
        c.recursive = true;
        c.params = before.params;
        c.trainableParams = before.trainableParams;
      } else first.set(path, c);
      perDepth.set(c.depth, (perDepth.get(c.depth) ?? 0) + 1);
      c.index = perDepth.get(c.depth)!;
      calls.push(c);
      open.push({ call: c, members: new Set() });
    }
    for (const e of [{ call: root, members: new Set<string>() }, ...open]) {
      const c = e.call;
      // A call holds the weights its layers read: their own, or their owner's.
      e.members.add(l.sharedWith ?? l.name);
      if (c !== root) c.layers.push(l.name);
      if (c !== root) c.shape = shapeOf(l);
      if (!l.counted) c.counted = false;
      if (!c.recursive) {
        c.params = checked(c.params + params, 'params');
        c.trainableParams = checked(c.trainableParams + trainable, 'params');
      }
    }
    // A function's parameters are the enclosing module's own.
    if (!isCall && params) {
      const owner = open.at(-1)?.call ?? root;
      owner.ownParams = checked(owner.ownParams + params, 'params');
    }
  }
  return calls;
}

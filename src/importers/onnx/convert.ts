/**
 * ONNX graph -> architecture graph. ONNX is NCHW; the graph is channels-last, so every tensor carries a
 * layout: the permutation from its ONNX axes to the graph's (`perm[i]` = the ONNX per-example axis at
 * graph axis i). Spatial operators take channels-last tensors; axis-wise operators (concat, split,
 * slice, pad, reductions) map their axes through the layout; a reshape needs ONNX order and gets an
 * explicit transpose node in front when it would change the element order; a Transpose only changes the
 * layout. Shape-computing subgraphs (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, computed pads,
 * If on a constant condition) are folded to constants. Names become PyTorch module paths
 * (`/layer1/layer1.0/conv1/Conv` -> `layer1.0.conv1`), so tables read like torchinfo's.
 */
import { prod } from '../../exact.js';
import { int } from '../../format/numbers.js';
import type { Graph, GraphNode, LayerConfig } from '../../graph.js';
import { kindSpec } from '../../kinds/index.js';
import type { Shape } from '../../kinds/spec.js';
import { operator, OPERATORS } from './ops/index.js';
import { attr, attrInt, attrInts } from './attributes.js';
import type { Lift } from './ops/def.js';
import { none } from './ops/lift.js';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from './proto.js';
import { externalOf, externalPresent, FLOAT_TYPES, inline, valuesOf } from './tensors.js';
import {
  MAX_FOLDED_TOTAL,
  bad,
  channelsLast,
  checkFold,
  identity,
  isParameter,
  same,
  splitRef,
  type Const,
  type Tensor,
  type Value,
  type WeightSource,
} from './values.js';

/** Operators that only move, repeat or pick a constant's values (a gathered table stays itself through them). */
const MOVES = new Set([
  'Reshape',
  'Transpose',
  'Unsqueeze',
  'Squeeze',
  'Flatten',
  'Identity',
  'Expand',
  'Slice',
  'Gather',
]);

export { MAX_FOLD_ELEMENTS, MAX_FOLDED_TOTAL } from './values.js';

/** A graph input; `int` is ONNX's integer element type (token ids), where it is one: 6 (int32) or 7 (int64). */
export interface OnnxInput {
  name: string;
  shape: number[];
  int?: 6 | 7;
  /** The axis of the file's shape that holds the examples where it is not the first (a sequence-first RNN's 1). */
  batchAxis?: number;
}

export interface OnnxImport {
  graph: Graph;
  /** Every ONNX value that is a graph tensor, with its graph reference and layout (the ONNX Runtime witness). */
  tensors: Map<string, Tensor>;
  /** Per graph node, the initializers its weights come from. */
  weights: Map<string, WeightSource>;
  opset: number;
  inputs: OnnxInput[];
  /** Nodes that moved the batch axis of a batch-first tensor (Converter.lifted). */
  batchMoves: string[];
  /** Parameters the export computed from stored ones (Const.derived), as tensors of their folded values. */
  derived: Map<string, TensorProto>;
}

export interface OnnxOptions {
  /** Fills symbolic spatial input dimensions: [H, W] or [H, W, C] (channels last, as everywhere else). */
  input?: readonly number[];
  origin: string;
  /** Count what can be counted: an operator netcensus cannot count becomes a "not counted" layer. */
  skipUnknown?: boolean;
}

/**
 * `/layer1/layer1.0/conv1/Conv` -> `layer1.0.conv1`, `/features/features.0/features.0.0/Conv` ->
 * `features.0.0`: each scope is a child's attribute name, and a numbered child's is its parent's scope and
 * its number.
 */
/** Written by the dynamo exporter, which records each node's enclosing module calls. */
export const isDynamo = (node: NodeProto): boolean =>
  node.metadataProps.some((p) => p.key === 'pkg.torch.onnx.name_scopes');

/**
 * A Conv the dynamo exporter folded a BatchNorm into: it records the BatchNorm's call as the node's scope,
 * while the weights keep the conv's name (`patch_embed.conv1.conv.weight`).
 */
export function dynamoFoldedConv(node: NodeProto): boolean {
  const scopes = node.metadataProps.find((p) => p.key === 'pkg.torch.onnx.name_scopes')?.value ?? '';
  return node.opType === 'Conv' && /batch_norm[^']*'\]$/.test(scopes);
}

export function modulePath(node: NodeProto): string {
  const scopes = node.metadataProps.find((p) => p.key === 'pkg.torch.onnx.name_scopes')?.value;
  if (scopes) {
    // The dynamo exporter: fully qualified paths of the enclosing calls, then the aten op; a folded conv is
    // named after its weights' module, as TorchScript names it.
    const weight = node.input[1] ?? '';
    if (dynamoFoldedConv(node) && weight.endsWith('.weight')) return weight.slice(0, -'.weight'.length);
    const parts = [...scopes.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    return parts.length >= 2 ? parts[parts.length - 2]! : '';
  }
  if (!node.name.startsWith('/')) return '';
  const segs = node.name.split('/').slice(1, -1);
  let path = '';
  let previous = '';
  for (const seg of segs) {
    const last = path.split('.').at(-1);
    if (previous && seg.startsWith(`${previous}.`)) path += seg.slice(previous.length);
    else if (path && last && seg.startsWith(`${last}.`)) path += seg.slice(last.length);
    else path = path ? `${path}.${seg}` : seg;
    previous = seg;
  }
  return path;
}

/** Each node's weight sources, with the ONNX node that recorded them (a shared module is told by what it read). */
class WeightSources extends Map<string, WeightSource> {
  /** The ONNX node being converted. */
  reader?: NodeProto;
  readonly readers = new Map<string, NodeProto>();

  override set(ref: string, w: WeightSource): this {
    if (this.reader) this.readers.set(ref, this.reader);
    return super.set(ref, w);
  }
}

export class Converter {
  readonly values = new Map<string, Value>();
  readonly nodes: GraphNode[] = [];
  readonly names = new Set<string>();
  private readonly suffixes = new Map<string, number>();
  private folded = 0;
  readonly tensors = new Map<string, Tensor>();
  readonly weights = new WeightSources();
  /** Stored tensors in arithmetic the exporter computed (Graph.exportComputed), by name: their values. */
  readonly exportComputed = { counted: new Map<string, number>(), uncounted: new Map<string, number>() };
  /** Constants read from a table at constant indices that a layer already adds (Const.gatheredFrom). */
  readonly gatheredReads = new Set<string>();
  /** Embedding tables by initializer name, with the node that reads them (a tied head's owner). */
  readonly tables = new Map<string, string>();
  readonly consumers = new Map<string, number>();
  readonly shapes = new Map<string, Shape[]>();
  /** The ONNX op each node came from, for names. */
  readonly ops = new Map<string, string>();
  /** PyTorch's class of each module path the dynamo exporter recorded ('' the model's). */
  readonly moduleClasses = new Map<string, string>();
  /** Add nodes absorbed into the MatMul before them (a Linear on a 3-D input: MatMul, then Add of the bias). */
  readonly fusedAdds = new Map<string, string>();
  readonly path: string;
  readonly inputs: OnnxInput[] = [];
  readonly batchMoves: string[] = [];
  /** The file's static batch: the first axis every input shares (1 when it is symbolic or they differ). */
  fileBatch = 1;
  readonly derived = new Map<string, TensorProto>();

  constructor(
    readonly model: ModelProto,
    private readonly options: OnnxOptions,
  ) {
    this.path = options.origin;
  }

  get opset(): number {
    return this.model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0;
  }

  convert(): OnnxImport {
    const g = this.model.graph ?? bad(`${this.path}: the model has no graph`);
    const initNames = new Set(g.initializer.map((t) => t.name));
    for (const t of g.initializer) {
      this.values.set(t.name, { t: 'const', dims: t.dims.map(Number), init: t, float: FLOAT_TYPES.has(t.dataType) });
    }
    this.countConsumers(g);
    for (const prepare of new Set(Object.values(OPERATORS).map((d) => d.prepare))) prepare?.(this, g);
    for (const vi of g.input) {
      if (initNames.has(vi.name)) continue;
      this.addInput(vi.name, vi, g);
    }
    if (this.inputs.length === 0) bad(`${this.path}: the graph has no input`);
    const firsts = new Set(this.inputs.map((i) => i.shape[i.batchAxis ?? 0]!));
    if (firsts.size === 1) this.fileBatch = [...firsts][0]!;
    this.run(g);
    this.markShared(new Set(g.initializer.map((t) => t.name)));
    this.renameComposites();
    this.recordLayouts();
    const outputs = g.output.map((o) => {
      const v = this.values.get(o.name);
      if (!v || v.t !== 'tensor') return bad(`${this.path}: graph output "${o.name}" is not computed from the input`);
      return v.ref;
    });
    const graph: Graph = {
      name:
        g.name && g.name !== 'main_graph'
          ? g.name
          : this.options.origin
              .split('/')
              .at(-1)!
              .replace(/\.onnx$/i, ''),
      description: '',
      source: this.options.origin,
      framework: 'pytorch',
      nodes: this.nodes,
      outputs,
      ...(this.moduleClasses.size ? { moduleClasses: Object.fromEntries(this.moduleClasses) } : {}),
    };
    const stored = (m: Map<string, number>) => ({
      tensors: m.size,
      values: [...m.values()].reduce((a, b) => a + b, 0),
      first: [...m.keys()].sort()[0] ?? '',
    });
    const { counted, uncounted } = this.exportComputed;
    if (counted.size || uncounted.size)
      graph.exportComputed = { counted: stored(counted), uncounted: stored(uncounted) };
    return {
      graph,
      tensors: this.tensors,
      weights: this.weights,
      opset: this.opset,
      inputs: this.inputs,
      batchMoves: this.batchMoves,
      derived: this.derived,
    };
  }

  /**
   * An op in a composite module's own forward (ResNet's `out += identity` in `layer1.0`) took the module's
   * path as its name; the module's layers are inside it, so the op is named after the module and itself
   * (`layer1.0.add`), as the zoo names it, and the tree shows `layer1.0` as the container it is.
   */
  /** Each node's first output in ONNX's axis order, where it is not the graph's (GraphNode.layout). */
  recordLayouts(): void {
    const firsts = new Map<string, Tensor>();
    // The first value a node wrote is its own output; a Transpose after it writes the same ref in another layout.
    for (const t of this.tensors.values()) if (!firsts.has(t.ref)) firsts.set(t.ref, t);
    for (let i = 0; i < this.nodes.length; i++) {
      const t = firsts.get(this.nodes[i]!.name);
      if (!t) continue;
      const layout = t.perm.some((p, k) => p !== k) ? { layout: t.perm } : {};
      // A lifted tensor is the file's whole shape, the examples inside it.
      const examples = t.lifted ? { examplesAt: t.batchAt ?? null } : {};
      if (t.lifted || 'layout' in layout) this.nodes[i] = { ...this.nodes[i]!, ...layout, ...examples };
    }
  }

  renameComposites(): void {
    const scopes = new Set(this.nodes.map((n) => n.scope));
    const containers = new Set<string>();
    for (const s of scopes)
      for (let i = s.indexOf('.'); i > 0; i = s.indexOf('.', i + 1)) containers.add(s.slice(0, i));
    const renamed = new Map<string, string>();
    for (const [i, n] of this.nodes.entries()) {
      // An op scoped to a composite module under a name of its own (dynamo's `embeddings_1`) is in its forward.
      if (containers.has(n.scope) && n.scope !== n.name && n.config.kind !== 'input')
        this.nodes[i] = { ...n, functional: true };
      if (!containers.has(n.name) || n.config.kind === 'input') continue;
      const to = this.unique(`${n.name}.${(this.ops.get(n.name) ?? n.config.kind).toLowerCase()}`);
      renamed.set(n.name, to);
    }
    if (!renamed.size) return;
    const ref = (r: string): string => {
      const { node } = splitRef(r, (x) => renamed.has(x));
      return renamed.has(node) ? `${renamed.get(node)}${r.slice(node.length)}` : r;
    };
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i]!;
      const name = renamed.get(n.name) ?? n.name;
      this.nodes[i] = {
        ...n,
        name,
        scope: renamed.has(n.name) ? name : n.scope,
        ...(renamed.has(n.name) ? { functional: true as const } : {}),
        inputs: n.inputs.map(ref),
        ...(n.sharedWith === undefined ? {} : { sharedWith: renamed.get(n.sharedWith) ?? n.sharedWith }),
      };
    }
    for (const t of this.tensors.values()) t.ref = ref(t.ref);
    for (const [from, to] of renamed) {
      const w = this.weights.get(from);
      if (w) {
        this.weights.delete(from);
        this.weights.set(to, w);
      }
      this.shapes.set(to, this.shapes.get(from)!);
    }
  }

  /**
   * A module called more than once (a siamese tower, `for _ in range(3): x = self.fc(x)`): each call's node
   * reads the same stored tensors by name, so the later calls share the first's weights, as PyTorch counts
   * its parameters once. Equal values the exporter stored once are reached through Identity nodes instead,
   * under other names: those are separate parameters and stay so. The dynamo exporter stores equal values
   * once and reads them directly, so there a call shares only if its node names the same module too.
   */
  markShared(stored: ReadonlySet<string>): void {
    const owners = new Map<string, { ref: string; reader: NodeProto; config: string; module: string }>();
    const byName = new Map(this.nodes.map((node) => [node.name, node]));
    for (const [ref, w] of this.weights) {
      const reader = this.weights.readers.get(ref);
      const node = byName.get(ref);
      // A table read at constant indices is read through folded constants: its name is what both read.
      const direct = w.op === 'gatheredTable' ? w.inits : (reader?.input.filter((i) => stored.has(i)) ?? []);
      if (!reader || !node || !direct.length) continue;
      const firstTable = w.op === 'gatheredTable' ? owners.get(JSON.stringify([w, direct])) : undefined;
      if (firstTable) {
        node.sharedWith = firstTable.ref;
        continue;
      }
      const key = JSON.stringify([w, direct]);
      const config = JSON.stringify(node.config);
      const module = modulePath(reader);
      const first = owners.get(key);
      if (!first) owners.set(key, { ref, reader, config, module });
      // One ONNX node may build several layers; a call with another config (strides, say) is rebuilt apart.
      else if (first.reader !== reader && first.config === config && (!isDynamo(reader) || first.module === module))
        node.sharedWith = first.ref;
    }
  }

  /** Whether a node's output k is read by another node or is a graph output. */
  used(n: NodeProto, k: number): boolean {
    const name = n.output[k];
    return Boolean(name) && (this.consumers.get(name!) ?? 0) > 0;
  }

  countConsumers(g: GraphProto): void {
    const visit = (graph: GraphProto): void => {
      for (const n of graph.node) {
        for (const i of n.input) if (i) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
        for (const a of n.attribute) {
          if (a.g) visit(a.g);
          for (const sub of a.graphs) visit(sub);
        }
      }
      for (const o of graph.output) this.consumers.set(o.name, (this.consumers.get(o.name) ?? 0) + 1);
    };
    visit(g);
  }

  addInput(name: string, vi: GraphProto['input'][number], g: GraphProto): void {
    const dims = vi.type?.tensorType?.shape?.dim ?? bad(`${this.path}: input "${name}" has no tensor shape`);
    const rank = dims.length;
    if (rank < 2)
      bad(`${this.path}: input "${name}" has rank ${rank}; netcensus needs a batch axis and at least one more`);
    // A sequence-first LSTM or GRU's input (PyTorch's default, batch_first=False): [steps, batch, features].
    const sequenceFirst =
      rank === 3 &&
      g.node.some((n) => ['LSTM', 'GRU'].includes(n.opType) && n.input[0] === name && attrInt(n, 'layout', 0) === 0);
    if (sequenceFirst) return this.addSequenceFirst(name, vi, dims);
    // A map fed to a convolution, pool or norm is taken channels-last; anything else keeps ONNX order.
    const spatial = rank >= 3 && g.node.some((n) => n.input[0] === name && operator(n.opType)?.spatial);
    const perm = spatial ? channelsLast(rank - 1) : identity(rank - 1);
    // --input gives the graph's (channels-last) spatial sizes: H x W fills H and W.
    const override = this.options.input;
    const spatialAxes = spatial ? identity(rank - 2).map((i) => i + 2) : [];
    const onnx = dims.map((d, i) => {
      const value = Number(d.dimValue ?? 0);
      if (!d.dimParam && value > 0) return i === 0 ? 1 : value;
      if (i === 0) return 1; // the batch: the census counts per example and scales by --batch
      const k = spatialAxes.indexOf(i);
      const fill = k >= 0 ? override?.[k] : undefined;
      if (fill === undefined) {
        bad(
          `${this.path}: input "${name}" dimension ${i} is symbolic ("${d.dimParam || '?'}"); give its size with --input HxW`,
        );
      }
      return fill!;
    });
    const node: GraphNode = {
      name: this.unique(name),
      scope: name,
      config: { kind: 'input', shape: perm.map((p) => onnx[p + 1]!) },
      inputs: [],
    };
    this.nodes.push(node);
    this.shapes.set(node.name, [node.config.kind === 'input' ? node.config.shape : []]);
    this.set(name, { t: 'tensor', ref: node.name, onnx, perm });
    const type = vi.type?.tensorType?.elemType;
    this.inputs.push({
      name,
      shape: dims.map((d, i) => (i === 0 ? Number(d.dimValue) || 1 : onnx[i]!)),
      ...(type === 6 || type === 7 ? { int: type } : {}),
    });
  }

  /**
   * A sequence-first input holds its examples on axis 1: counted as one example of its whole shape at a
   * batch of 1 (lifted, as the exports that move the batch axis are), [steps, 1, features].
   */
  addSequenceFirst(name: string, vi: GraphProto['input'][number], dims: NonNullable<unknown>[]): void {
    const sizes = (dims as { dimValue?: number | bigint; dimParam?: string }[]).map((d, i) => {
      const value = Number(d.dimValue ?? 0);
      if (!d.dimParam && value > 0) return value;
      if (i === 1) return 1;
      return bad(
        `${this.path}: input "${name}" dimension ${i} of a sequence-first recurrent input ([steps, batch, features]) is symbolic ("${d.dimParam || '?'}"); export it with a fixed size`,
      );
    });
    const example = [sizes[0]!, 1, sizes[2]!];
    const node: GraphNode = {
      name: this.unique(name),
      scope: name,
      config: { kind: 'input', shape: example },
      inputs: [],
    };
    this.nodes.push(node);
    this.shapes.set(node.name, [example]);
    this.set(name, { t: 'tensor', ref: node.name, onnx: [1, ...example], perm: identity(3), lifted: true, batchAt: 1 });
    this.batchMoves.push(name);
    const type = vi.type?.tensorType?.elemType;
    this.inputs.push({ name, shape: sizes, batchAxis: 1, ...(type === 6 || type === 7 ? { int: type } : {}) });
  }

  unique(base: string): string {
    let name = base || 'node';
    // Each base remembers its last suffix: a million nodes of one module path stay linear.
    let k = this.suffixes.get(name) ?? 0;
    while (this.names.has(name)) name = `${base}_${++k}`;
    if (k) this.suffixes.set(base || 'node', k);
    this.names.add(name);
    return name;
  }

  set(name: string, v: Value): void {
    // Every fold copies what it reads: a chain of folds that each add a value would take quadratic time
    // within the per-constant bound, so the values folded in one model are bounded too.
    if (v.t === 'const' && v.values && (this.folded += v.values.length) > MAX_FOLDED_TOTAL)
      bad(
        `${this.path}: constant "${name}": the model's folded constants exceed ${int(MAX_FOLDED_TOTAL)} values in all; netcensus stops there`,
      );
    this.values.set(name, v);
    if (v.t === 'tensor') this.tensors.set(name, v);
  }

  /**
   * Input i of a node. A flattened channels-last map (`Tensor.flat`) is put in ONNX's element order first,
   * unless the caller takes it as it is (`asFlat`: a Dense, which reorders its weights, or an elementwise
   * op, which keeps the order and passes the mark on).
   */
  value(n: NodeProto, i: number, asFlat = false): Value {
    const name = n.input[i];
    if (!name) bad(`${this.where(n)}: input ${i} is missing`);
    const v = this.values.get(name!);
    if (!v) bad(`${this.where(n)}: input "${name}" is produced by no node, initializer or graph input`);
    if (v!.t === 'tensor' && v!.flat && !asFlat) return this.unflatten(n, name!, v!);
    return v!;
  }

  /**
   * A flattened channels-last map in ONNX's order: back to the map, channels first, flattened again. The
   * ONNX value then names the reordered tensor, so later consumers share it.
   */
  unflatten(n: NodeProto, name: string, v: Tensor): Tensor {
    const map = v.flat!;
    const rank = map.length;
    const perm = channelsLast(rank);
    const { ref } = this.emit(n, { kind: 'reshape', target: perm.map((p) => map[p]!) }, [v.ref], '__unflatten');
    const ordered = this.layout(n, { t: 'tensor', ref, onnx: [1, ...map], perm }, identity(rank), 'onnx_order');
    const flat = this.emit(n, { kind: 'flatten' }, [ordered.ref], '__onnx_order_flat');
    const t: Tensor = { t: 'tensor', ref: flat.ref, onnx: v.onnx, perm: [0] };
    this.set(name, t);
    return t;
  }

  optional(n: NodeProto, i: number): Value | undefined {
    return n.input[i] ? this.value(n, i) : undefined;
  }

  tensor(n: NodeProto, i: number, asFlat = false): Tensor {
    const v = this.value(n, i, asFlat);
    if (v.t !== 'tensor')
      bad(`${this.where(n)}: input ${i} ("${n.input[i]}") must be computed from the input, not a constant`);
    return v as Tensor;
  }

  /**
   * Input i as a tensor where it is a constant with a batch axis of 1 (a module applied to a fixed input):
   * a constant node, fed the first graph input for its batch.
   */
  tensorOrConstant(n: NodeProto, i: number): Tensor {
    const v = this.value(n, i);
    if (v.t === 'tensor' || v.dims[0] !== 1 || v.dims.length < 2) return this.tensor(n, i);
    const shape = v.dims.slice(1);
    const { ref } = this.emit(
      n,
      { kind: 'constant', shape, values: this.valuesOf(v) },
      [this.inputRef()],
      '__constant',
    );
    return { t: 'tensor', ref, onnx: v.dims, perm: identity(shape.length) };
  }

  /** The first graph input's node: what a node of constant values takes its batch from. */
  inputRef(): string {
    return (this.values.get(this.inputs[0]!.name) as Tensor).ref;
  }

  constant(n: NodeProto, i: number, what: string): number[] {
    const v = this.value(n, i);
    if (v.t !== 'const')
      return bad(`${this.where(n)}: ${what} (input ${i}) must be a constant, but it is computed from the input`);
    return this.valuesOf(v);
  }

  valuesOf(c: Const): number[] {
    if (c.values) return c.values;
    if (!c.init) return [];
    checkFold(`${this.path}: initializer "${c.init.name}"`, c.dims);
    const ext = externalOf(c.init);
    if (ext) {
      // Values are read from external data only where a node needs them (a mask, a shape, a table's rows):
      // from the model's folder, within the same bounds as the values folded.
      if (!externalPresent(c.init, this.path))
        bad(
          `${this.path}: initializer "${c.init.name}" is needed as a constant, but its external data "${ext.location}" is not beside the model`,
        );
      if ((this.folded += prod(c.dims)) > MAX_FOLDED_TOTAL)
        bad(
          `${this.path}: initializer "${c.init.name}": the model's constants read exceed ${int(MAX_FOLDED_TOTAL)} values in all; netcensus stops there`,
        );
    }
    c.values = valuesOf(c.init, this.path);
    return c.values;
  }

  /**
   * A static first input axis above 1 is taken as a batch, counted per example; a sequence-first model
   * ((length, batch, features), PyTorch's default for RNNs and nn.Transformer) has its length there.
   */
  firstAxisHint(): string {
    const i = this.inputs.find((x) => x.batchAxis === undefined && x.shape[0]! > 1);
    return i
      ? ` (netcensus takes the first axis of input "${i.name}", ${i.shape[0]}, as the batch; a sequence-first model needs exporting batch-first, unless the input goes straight into its LSTM or GRU)`
      : '';
  }

  /** The axis of v's ONNX shape that holds the examples (see Tensor.batchAt); -1 where it is not known. */
  examplesAxis(v: Tensor): number {
    if (!v.lifted) return 0;
    return v.batchAt === undefined ? -1 : v.batchAt + 1;
  }

  where(n: NodeProto): string {
    return `${this.path}: node "${n.name || n.output[0]}" (${n.opType})`;
  }

  /** Runs the nodes in order (exporters write them topologically sorted, as ONNX requires). */
  run(g: GraphProto): void {
    for (const n of g.node) {
      if (n.domain && n.domain !== 'ai.onnx') this.unknown(n, `operator ${n.domain}.${n.opType}`);
      else this.node(n);
    }
  }

  /**
   * Adds one graph node; its output shapes come from the kind's own rule (the census'). `owner`: the module
   * it belongs to where that is not the ONNX node's (a table added where another module reads it).
   */
  emit(
    n: NodeProto,
    config: LayerConfig,
    inputs: string[],
    suffix = '',
    owner?: string,
  ): { ref: string; shapes: Shape[] } {
    const module = owner ?? modulePath(n);
    const base = (module || n.opType) + suffix;
    const name = this.unique(base);
    const node: GraphNode = { name, scope: module || name, config, inputs };
    // A PyTorch export's op outside every module's own call (torch.flatten in the model's forward).
    if (!module && (n.name.startsWith('/') || isDynamo(n))) node.functional = true;
    this.recordClasses(n);
    this.ops.set(name, n.opType);
    const spec = kindSpec(config);
    const inShapes = inputs.map((ref) => {
      const { node, output } = splitRef(ref, (x) => this.shapes.has(x));
      return this.shapes.get(node)![output]!;
    });
    const shapes = spec.outputShapes?.(config, inShapes, name) ?? [spec.outputShape(config, inShapes, name)];
    this.nodes.push(node);
    this.shapes.set(name, shapes);
    return { ref: name, shapes };
  }

  /** The dynamo exporter's enclosing calls (`name_scopes`) with their classes (`class_hierarchy`), the last the aten op. */
  private recordClasses(n: NodeProto): void {
    const meta = (key: string): string[] =>
      [...(n.metadataProps.find((p) => p.key === key)?.value ?? '').matchAll(/'([^']*)'/g)].map((m) => m[1]!);
    const scopes = meta('pkg.torch.onnx.name_scopes');
    const classes = meta('pkg.torch.onnx.class_hierarchy');
    if (scopes.length !== classes.length) return;
    for (let i = 0; i < scopes.length - 1; i++)
      if (!this.moduleClasses.has(scopes[i]!)) this.moduleClasses.set(scopes[i]!, classes[i]!.split('.').at(-1)!);
  }

  /** An output tensor in a layout; its ONNX shape follows from the graph shape. */
  out(n: NodeProto, k: number, ref: string, shape: Shape, perm: number[], extra: Partial<Tensor> = {}): Tensor {
    const onnx = [1, ...Array(shape.length).fill(0)];
    perm.forEach((p, i) => (onnx[p + 1] = shape[i]!));
    const t: Tensor = { t: 'tensor', ref, onnx, perm, ...extra };
    this.set(n.output[k]!, t);
    return t;
  }

  /** The tensor in the wanted layout, through a transpose node where it is not. */
  layout(n: NodeProto, v: Tensor, want: number[], why: string): Tensor {
    if (same(v.perm, want)) return v;
    const perm = want.map((w) => v.perm.indexOf(w));
    const { ref } = this.emit(n, { kind: 'transpose', perm }, [v.ref], `__${why}`);
    return { t: 'tensor', ref, onnx: v.onnx, perm: want };
  }

  /**
   * A reshape keeps the elements' order only if the axes of size > 1 stand in the same order in the graph
   * as in ONNX; otherwise the tensor is put in ONNX order first.
   */
  orderSafe(v: Tensor): boolean {
    const big = v.perm.filter((p) => v.onnx[p + 1]! > 1);
    return big.every((p, i) => i === 0 || big[i - 1]! < p);
  }

  /** A node netcensus cannot count; `batch` where the refusal is about the batch axis (hinted). */
  unknown(n: NodeProto, what: string, batch = false): void {
    if (!this.options.skipUnknown) {
      bad(
        `${this.where(n)}: ${what} is not supported${batch ? this.firstAxisHint() : ''}; --skip-unknown counts the rest and marks it "not counted"`,
      );
    }
    const info = (name: string) =>
      this.model.graph!.valueInfo.concat(this.model.graph!.output).find((v) => v.name === name);
    const outs = n.output.map((o) => {
      const dims = info(o)?.type?.tensorType?.shape?.dim;
      if (!dims || dims.some((d) => d.dimParam || !(Number(d.dimValue) > 0))) {
        bad(
          `${this.where(n)}: ${what} is not counted and the file records no shape for its output "${o}"; netcensus cannot go on past it`,
        );
      }
      return dims!.map((d) => Number(d.dimValue));
    });
    const ins = n.input.map((_, i) => this.value(n, i)).filter((v): v is Tensor => v.t === 'tensor');
    const { ref } = this.emit(
      n,
      { kind: 'unknown', className: n.opType, outputShapes: outs.map((o) => o.slice(1)) },
      ins.map((t) => t.ref),
    );
    outs.forEach((o, k) =>
      this.set(n.output[k]!, {
        t: 'tensor',
        ref: k === 0 ? ref : `${ref}:${k}`,
        onnx: [1, ...o.slice(1)],
        perm: identity(o.length - 1),
      }),
    );
  }

  node(n: NodeProto): void {
    const def = operator(n.opType);
    if (!def) return this.unknown(n, `operator ${n.opType}`);
    this.weights.reader = n;
    try {
      if (this.readsLifted(n) && !def.selfLifting) return this.lifted(n);
      def.convert.call(this, n);
      this.deriveParameters(n);
      this.measure(n);
    } finally {
      this.weights.reader = undefined;
    }
  }

  /** A float constant this node folded from parameters is a parameter itself (see Const.derived). */
  deriveParameters(n: NodeProto): void {
    const fromParameters = n.input.some((name) => {
      const v = name ? this.values.get(name) : undefined;
      return v?.t === 'const' && v.float && (v.derived || (v.init !== undefined && isParameter(v.init.name, v.dims)));
    });
    if (!fromParameters) return;
    const gathered = this.gatheredFrom(n);
    for (const o of n.output) {
      const v = o ? this.values.get(o) : undefined;
      if (v?.t !== 'const' || v.init || !v.float || !v.values) continue;
      const init: TensorProto = {
        name: o,
        dims: v.dims,
        dataType: 1,
        floatData: v.values,
        int32Data: [],
        int64Data: [],
        doubleData: [],
        externalData: [],
        dataLocation: 0,
      };
      this.derived.set(o, init);
      this.values.set(o, { ...v, init, derived: true, ...gathered });
    }
  }

  /** The stored table a folded node's output still only rearranges (see Const.gatheredFrom). */
  gatheredFrom(n: NodeProto): Pick<Const, 'gatheredFrom' | 'gatheredRows'> {
    const v = n.input[0] ? this.values.get(n.input[0]) : undefined;
    if (v?.t !== 'const') return {};
    if (n.opType === 'Gather' && v.init && !v.derived && isParameter(v.init.name, v.dims)) {
      const idx = n.input[1] ? this.values.get(n.input[1]) : undefined;
      const rows = attrInt(n, 'axis', 0) === 0 && idx?.t === 'const' ? idx.dims[0] : undefined;
      return { gatheredFrom: v.init.name, ...(rows === undefined ? {} : { gatheredRows: rows }) };
    }
    if (!MOVES.has(n.opType) || !v.gatheredFrom) return {};
    return { gatheredFrom: v.gatheredFrom, ...(v.gatheredRows === undefined ? {} : { gatheredRows: v.gatheredRows }) };
  }

  /** A constant folded from a Shape, or from values that were, is in the batch of 1 (Const.measured). */
  measure(n: NodeProto): void {
    if (this.fileBatch === 1) return;
    const measured =
      n.opType === 'Shape' ||
      n.input.some((name) => {
        const v = name ? this.values.get(name) : undefined;
        return v?.t === 'const' && v.measured;
      });
    if (!measured) return;
    for (const o of n.output) {
      const v = o ? this.values.get(o) : undefined;
      if (v?.t === 'const') this.values.set(o, { ...v, measured: true });
    }
  }

  readsLifted(n: NodeProto): boolean {
    return n.input.some((i) => (this.values.get(i) as Tensor | undefined)?.lifted);
  }

  /**
   * A node whose export moves the batch axis: nn.MultiheadAttention's (length, batch, features), a reshape
   * that merges the batch with heads or windows. The file is traced at batch 1, so from here its tensors
   * are counted as one example of their whole ONNX shape, "lifted" behind a batch axis of 1 of their own:
   * every ONNX axis the node names is one further on. Per-example counts are unchanged (weights and MACs do
   * not depend on where a batch of 1 stands) and the rebuild computes the same numbers. A tensor whose
   * leading axis is 1 again goes back to being batch-first, through a reshape.
   */
  lifted(n: NodeProto): void {
    const def = operator(n.opType);
    const shift = def?.lift;
    const moved = this.readsLifted(n);
    if (!shift) {
      return this.unknown(
        n,
        moved
          ? `${n.opType} of a tensor whose batch axis an earlier node moved`
          : `a ${n.opType} that moves the batch axis`,
        true,
      );
    }
    if (!moved) this.batchMoves.push(n.name);
    let rank = 0;
    const input = n.input.map((name, i) => {
      const v = name ? this.values.get(name) : undefined;
      if (v?.t !== 'tensor') return name;
      const key = v.lifted ? name : `${name}__lifted`;
      if (!this.values.has(key)) this.values.set(key, this.lift(n, this.value(n, i) as Tensor));
      rank ||= (this.values.get(key) as Tensor).onnx.length - 1;
      return key;
    });
    const m: NodeProto = Object.create(n);
    m.input = input;
    m.attribute = [...n.attribute];
    shift.call(this, m, rank);
    const emitted = this.nodes.length;
    def.convert.call(this, m);
    const first = m.input.map((name) => (name ? this.values.get(name) : undefined)).find((v) => v?.t === 'tensor') as
      Tensor | undefined;
    // A module called on a tensor whose first axis holds the examples merged with more rows (GraphNode.mergedRows),
    // merged outside it (LeViT's bn(x.flatten(0, 1))): within its own forward, torchinfo sees it restored.
    const module = modulePath(n);
    const inside = first?.mergedIn !== undefined && `${first.mergedIn}.`.startsWith(module ? `${module}.` : '');
    const rows = first?.batchAt === 0 && !inside ? first.onnx[1]! : 1;
    if (rows > 1) for (const node of this.nodes.slice(emitted)) node.mergedRows = rows;
    const at = this.examplesAfter(n, first, shift);
    for (const o of n.output) {
      const v = this.values.get(o);
      if (v?.t !== 'tensor') continue;
      let t = v.lifted ? v : { ...v, lifted: true };
      if (t.batchAt === undefined && at !== undefined) t = { ...t, batchAt: at };
      // Where this node merged the examples with more rows, the module that did it.
      if (t.batchAt === 0 && t.onnx[1]! > 1 && (first?.batchAt !== 0 || first.onnx[1] === 1))
        t = { ...t, mergedIn: module };
      else if (first?.mergedIn !== undefined && t.batchAt === 0) t = { ...t, mergedIn: first.mergedIn };
      // Batch-first again where the examples are on the leading axis of 1 (in a file of a static batch, only
      // where that axis is known to hold them).
      const back =
        t.onnx[1] === 1 &&
        t.onnx.length >= 3 &&
        (this.fileBatch === 1 ? t.batchAt === undefined || t.batchAt === 0 : t.batchAt === 0);
      this.set(o, back ? this.unlift(n, t) : t);
    }
  }

  /**
   * Where a lifted node's output holds the examples (Tensor.batchAt), from where its lifted input holds
   * them: kept by an elementwise node and by one along another axis, moved by a Transpose, shifted by a
   * Squeeze or Unsqueeze; a Reshape or Flatten says itself; unknown otherwise.
   */
  examplesAfter(n: NodeProto, input: Tensor | undefined, shift: Lift): number | undefined {
    const at = input?.batchAt;
    if (at === undefined) return undefined;
    const rank = input!.onnx.length - 1;
    const norm = (a: number, r: number) => (a < 0 ? a + r : a);
    // Axes the node's own conversion has read already; computed ones leave the examples' place unknown.
    const axes = (i: number) => {
      const v = n.input[i] ? this.values.get(n.input[i]!) : undefined;
      if (!n.input[i]) return attrInts(n, 'axes');
      return v?.t === 'const' ? this.valuesOf(v) : undefined;
    };
    switch (n.opType) {
      case 'Transpose':
        return (attrInts(n, 'perm') ?? identity(rank).reverse()).indexOf(at);
      case 'Squeeze': {
        const gone = axes(1)?.map((a) => norm(a, rank));
        if (!gone || gone.includes(at)) return undefined;
        return at - gone.filter((a) => a < at).length;
      }
      case 'Unsqueeze': {
        const added = axes(1)?.map((a) => norm(a, rank + (axes(1)?.length ?? 0)));
        if (!added) return undefined;
        let k = at;
        for (const a of [...added].sort((x, y) => x - y)) if (a <= k) k++;
        return k;
      }
      case 'Concat':
        // Views joined along the examples' axis (torch.cat([a, b], 0)) still hold them there, more rows of
        // one example at the traced batch of 1; in a static batch the joined axis would mix files' examples.
        if (this.fileBatch === 1 && norm(attrInt(n, 'axis', 0), rank) === at) return at;
        return norm(attrInt(n, 'axis', 0), rank) === at ? undefined : at;
      case 'Split':
      case 'Softmax':
      case 'LogSoftmax':
      case 'LayerNormalization': {
        const a = attr(n, 'axis') ? norm(attrInt(n, 'axis', 0), rank) : undefined;
        return a === undefined || a === at ? undefined : at;
      }
      case 'Gather': {
        // One step of a sequence-first output (y[-1]): the indices' axes replace the gathered one.
        const a = norm(attrInt(n, 'axis', 0), rank);
        const idx = n.input[1] ? this.values.get(n.input[1]!) : undefined;
        if (a === at || idx?.t !== 'const') return undefined;
        return a < at ? at - 1 + idx.dims.length : at;
      }
      case 'ReduceMean':
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceMin': {
        // Reduced along other axes (a global pool over the joined views): kept, or moved past dropped axes.
        const over = (attrInts(n, 'axes') ?? axes(1))?.map((a) => norm(a, rank));
        if (!over || over.length === 0 || over.includes(at)) return undefined;
        return attrInt(n, 'keepdims', 1) ? at : at - over.filter((a) => a < at).length;
      }
      case 'Slice': {
        const along = axes(3) ?? identity(rank);
        return along.map((a) => norm(a, rank)).includes(at) ? undefined : at;
      }
      default:
        return shift === none ? at : undefined;
    }
  }

  /** A batch-first tensor lifted: its per-example shape gains the batch axis of 1 in front. */
  lift(n: NodeProto, v: Tensor): Tensor {
    if (v.lifted) return v;
    const x = this.layout(n, v, identity(v.perm.length), 'onnx_order');
    const { ref } = this.emit(n, { kind: 'reshape', target: x.onnx }, [x.ref], '__lift');
    return { t: 'tensor', ref, onnx: [1, ...x.onnx], perm: identity(x.onnx.length), lifted: true, batchAt: 0 };
  }

  /** A lifted tensor whose leading ONNX axis is 1 again: batch-first. */
  unlift(n: NodeProto, v: Tensor): Tensor {
    const x = this.layout(n, v, identity(v.perm.length), 'onnx_order');
    const real = x.onnx.slice(1);
    const { ref } = this.emit(n, { kind: 'reshape', target: real.slice(1) }, [x.ref], '__unlift');
    return { t: 'tensor', ref, onnx: real, perm: identity(real.length - 1) };
  }

  /** A constant input of a lifted node replaced by other values (a shape or axes one further on). */
  constInput(m: NodeProto, i: number, values: number[]): void {
    const name = `${m.output[0]}__lifted_input${i}`;
    const was = m.input[i] ? this.values.get(m.input[i]!) : undefined;
    const measured = was?.t === 'const' && was.measured ? { measured: true } : {};
    this.values.set(name, { t: 'const', dims: [values.length], values, float: false, ...measured });
    const input = [...m.input];
    while (input.length <= i) input.push('');
    input[i] = name;
    m.input = input;
  }

  /** A constant result: the node folds. */
  foldTo(n: NodeProto, dims: number[], values: number[], float = false): void {
    checkFold(this.where(n), dims);
    this.set(n.output[0]!, { t: 'const', dims, values, float });
  }
}

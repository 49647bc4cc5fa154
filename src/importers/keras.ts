/**
 * Keras and TensorFlow.js model configs -> architecture graph. Reads Keras 2 (tf.keras `to_json()`, and
 * tfjs' own `toJSON()`), Keras 3 (`module`, `registered_name`, `build_config`, DTypePolicy objects,
 * `batch_shape`, inbound nodes as `args`/`kwargs` with `keras_history`), and tfjs `model.json`
 * (`format: layers-model`, `modelTopology`). Nested models are expanded with scoped names
 * (`base/block_1_expand`); a layer or sub-model called several times is one node per call, its weights
 * counted at the first; `trainable: false` freezes a layer and everything inside it. Structure is
 * validated with zod, and every refusal names the layer and the field.
 */
import { z } from 'zod';
import { NetcensusError } from '../errors.js';
import type { GraphNode, LayerConfig, Pair } from '../graph.js';
import { ACTIVATIONS, readActivation, type ActivationFn } from '../kinds/activation.js';
import { kerasClasses, kindSpec } from '../kinds/index.js';
import type { ConfigReader } from '../kinds/spec.js';
import type { ImportOptions, Imported, ModelFormat } from './types.js';

export type { ImportOptions, Imported, ModelFormat } from './types.js';

const layerSchema = z.looseObject({
  class_name: z.string(),
  config: z.looseObject({}),
  name: z.string().optional(),
  inbound_nodes: z.array(z.unknown()).optional(),
  module: z.string().optional(),
  build_config: z.looseObject({ input_shape: z.unknown().optional() }).optional(),
});
type RawLayer = z.infer<typeof layerSchema>;

const modelSchema = z.looseObject({
  class_name: z.string(),
  config: z.looseObject({
    name: z.string().optional(),
    layers: z.array(z.unknown()),
    input_layers: z.unknown().optional(),
    output_layers: z.unknown().optional(),
    build_input_shape: z.unknown().optional(),
  }),
  keras_version: z.string().optional(),
  module: z.string().optional(),
});

const bad = (msg: string): never => {
  throw new NetcensusError(msg);
};

/** Finds the model config in any of the accepted wrappers. */
function unwrap(json: unknown, origin: string): { model: unknown; format: ModelFormat } {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    bad(`${origin}: not a model JSON (expected an object with class_name and config)`);
  const o = json as Record<string, unknown>;
  if ('modelTopology' in o || o.format === 'layers-model') {
    const topo = o.modelTopology as Record<string, unknown> | undefined;
    if (!topo || typeof topo !== 'object') bad(`${origin}: TensorFlow.js model.json without a modelTopology`);
    // Converted from Keras HDF5, the topology nests the model under model_config.
    return { model: topo!.model_config ?? topo, format: 'tfjs' };
  }
  if ('class_name' in o) return { model: o, format: 'module' in o || 'registered_name' in o ? 'keras3' : 'keras2' };
  if ('model_config' in o) return { model: o.model_config, format: 'keras2' };
  return bad(`${origin}: not a model JSON (no class_name/config, modelTopology or model_config)`);
}

function zodMessage(err: z.ZodError, where: string): string {
  const issue = err.issues[0]!;
  const path = issue.path.length ? issue.path.join('.') : '(top level)';
  return `${where}: field ${path}: ${issue.message}`;
}

// ---- config readers: each refuses with the layer and field named ----

class Reader implements ConfigReader {
  constructor(
    readonly layer: string,
    readonly cls: string,
    private readonly cfg: Record<string, unknown>,
    private readonly skipUnknown = false,
  ) {}
  fail(field: string, detail: string): never {
    throw new NetcensusError(`layer "${this.layer}" (${this.cls}): ${field} ${detail}`);
  }
  has(field: string): boolean {
    return this.cfg[field] !== undefined && this.cfg[field] !== null;
  }
  raw(field: string): unknown {
    return this.cfg[field];
  }
  int(field: string, fallback?: number, min = 1): number {
    const v = this.cfg[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      this.fail(field, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  }
  num(field: string, fallback?: number): number {
    const v = this.cfg[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail(field, `must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  }
  bool(field: string, fallback: boolean): boolean {
    const v = this.cfg[field] ?? fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  pair(field: string, fallback?: number | number[]): Pair {
    const v = this.cfg[field] ?? fallback;
    const arr = typeof v === 'number' ? [v, v] : v;
    if (
      !Array.isArray(arr) ||
      arr.length !== 2 ||
      arr.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)
    ) {
      this.fail(field, `must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
    }
    return [arr[0] as number, arr[1] as number];
  }
  padding(field?: string): 'valid' | 'same';
  padding<M extends string>(field: string, modes: readonly M[]): M;
  padding(field = 'padding', modes: readonly string[] = ['valid', 'same']): string {
    const v = String(this.cfg[field] ?? 'valid').toLowerCase();
    if (!modes.includes(v)) this.fail(field, `"${v}" is not supported (${modes.join(' or ')})`);
    return v;
  }
  activation(field = 'activation'): ActivationFn | undefined {
    const { fn, unknown } = readActivation(this.cfg[field]);
    if (unknown !== undefined)
      this.fail(field, `"${unknown}" is not a supported activation (${ACTIVATIONS.join(', ')})`);
    return fn;
  }
  tuple(field: string, rank: number, fallback?: number | number[], min = 1): number[] {
    const v = this.cfg[field] ?? fallback;
    const arr = typeof v === 'number' ? Array.from({ length: rank }, () => v) : v;
    if (
      !Array.isArray(arr) ||
      arr.length !== rank ||
      arr.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < min)
    ) {
      this.fail(field, `must be an integer >= ${min} or a list of ${rank} of them, got ${JSON.stringify(v)}`);
    }
    return arr as number[];
  }
  str<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const v = this.cfg[field] ?? fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(field, `${JSON.stringify(v)} is not supported (${allowed.join(', ')})`);
    }
    return v as T;
  }
  nested(field: string): LayerConfig {
    const inner = this.cfg[field];
    const parsed = layerSchema.safeParse(inner);
    if (!parsed.success) this.fail(field, 'must be a serialized layer (class_name and config)');
    const l = parsed.data;
    const name = typeof l.config.name === 'string' ? l.config.name : `${this.layer}.${field}`;
    return toConfig(new Reader(name, l.class_name, l.config, this.skipUnknown));
  }
  channelsLast(): void {
    const f = this.cfg.data_format;
    if (f !== undefined && f !== null && f !== 'channels_last')
      this.fail('data_format', `"${String(f)}" is not supported (channels_last only)`);
  }
  lastAxis(field = 'axis'): void {
    const v = this.cfg[field];
    const axis = Array.isArray(v) && v.length === 1 ? v[0] : v;
    if (axis !== undefined && axis !== null && axis !== -1 && axis !== 3)
      this.fail(field, `${JSON.stringify(v)} is not supported (the channel axis, -1, only)`);
  }
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Maps one Keras layer to a graph node's config through the kinds' registry. */
function toConfig(r: Reader): LayerConfig {
  const read = kerasClasses().get(r.cls);
  if (!read) {
    throw new NetcensusError(
      `unsupported layer class ${r.cls} (layer "${r.layer}"); --skip-unknown counts the rest and marks it "not counted"`,
    );
  }
  return read(r);
}

/** A Keras shape list ([null, 224, 224, 3]) -> per-example dims, filling None from --input. */
function inputShape(layer: string, raw: unknown, override: readonly number[] | undefined): number[] {
  if (!Array.isArray(raw) || raw.length < 2)
    bad(`layer "${layer}" (InputLayer): batch_shape must be a list like [null, H, W, C], got ${JSON.stringify(raw)}`);
  const dims = (raw as unknown[]).slice(1);
  return dims.map((d, i) => {
    if (d === null || d === undefined) {
      const fill = override?.[i];
      if (fill === undefined)
        bad(`layer "${layer}" (InputLayer): input dimension ${i + 1} is unknown (None); give --input HxW`);
      return fill!;
    }
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)
      bad(
        `layer "${layer}" (InputLayer): input dimension ${i + 1} must be a positive integer, got ${JSON.stringify(d)}`,
      );
    return d as number;
  });
}

/** One tensor a call reads: [layer, node index, tensor index], plus its shape where Keras 3 recorded it. */
interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
  shape?: unknown;
}

/** The tensors one inbound node (one call) reads: positional ones in order, and those passed by keyword. */
interface CallArgs {
  positional: TensorRef[];
  keyword: Map<string, TensorRef[]>;
}

/** Tensor references anywhere inside a value, in order, in any of the Keras 2 / Keras 3 layouts. */
function tensorsIn(root: unknown): TensorRef[] {
  const refs: TensorRef[] = [];
  // An explicit stack, in order: the nesting comes from the file.
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      // Keras 2: [name, nodeIndex, tensorIndex, kwargs]
      if (typeof v[0] === 'string' && typeof v[1] === 'number') {
        refs.push({ layer: v[0], node: v[1], tensor: typeof v[2] === 'number' ? v[2] : 0 });
        continue;
      }
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (v && typeof v === 'object') {
      // Keras 3: {"class_name": "__keras_tensor__", "config": {"shape": [...], "keras_history": [name, node, tensor]}}
      const config = (v as Record<string, unknown>).config as Record<string, unknown> | undefined;
      const history = config?.keras_history;
      if (Array.isArray(history) && typeof history[0] === 'string') {
        refs.push({
          layer: history[0],
          node: typeof history[1] === 'number' ? history[1] : 0,
          tensor: typeof history[2] === 'number' ? history[2] : 0,
          shape: config?.shape,
        });
      }
    }
  }
  // Anything else (a constant operand such as MobileNetV3's x + 3.0) is no tensor.
  return refs;
}

function callArgs(layer: string, call: unknown): CallArgs {
  const o = call as Record<string, unknown> | null;
  const keyword = new Map<string, TensorRef[]>();
  let positional: TensorRef[];
  if (o && typeof o === 'object' && !Array.isArray(o) && ('args' in o || 'kwargs' in o)) {
    positional = tensorsIn(o.args ?? []);
    for (const [k, v] of Object.entries((o.kwargs as Record<string, unknown> | undefined) ?? {})) {
      const refs = tensorsIn(v);
      if (refs.length) keyword.set(k, refs);
    }
  } else positional = tensorsIn(call);
  if (positional.length === 0 && keyword.size === 0) bad(`layer "${layer}": inbound_nodes name no input layer`);
  return { positional, keyword };
}

/** [[name, node, tensor], ...] or a single [name, node, tensor], as input_layers/output_layers write it. */
function layerRefs(raw: unknown): TensorRef[] {
  if (!Array.isArray(raw) || raw.length === 0) return [];
  const one = (x: unknown[]): TensorRef => ({
    layer: x[0] as string,
    node: typeof x[1] === 'number' ? x[1] : 0,
    tensor: typeof x[2] === 'number' ? x[2] : 0,
  });
  if (typeof raw[0] === 'string') return [one(raw)];
  return raw.filter((x): x is unknown[] => Array.isArray(x) && typeof x[0] === 'string').map(one);
}

/** Where one model's layers go: their name prefix, the containers around them, and what they inherit. */
/** Models inside models: Keras applications nest two or three; a file may nest thousands. */
export const MAX_NESTING = 64;

interface Scope {
  /** `''` at the top, `base/` inside model `base`, `tower@1/` inside a model's second call. */
  prefix: string;
  parents: string[];
  frozen: boolean;
  /** Inside a later call of a shared model: the first call's prefix, whose layers own the weights. */
  owner?: string;
  /** Inside a nested model: the tensors its call received, in the order of its inputs. */
  args?: string[];
}

type RawModel = z.infer<typeof modelSchema>;

/** Expands models into one flat graph of nodes; every refusal names the origin and the layer. */
class Expander {
  readonly nodes: GraphNode[] = [];
  /** Output shapes Keras 3 recorded on the tensors layers read, by `prefix+layer@node`, for layers netcensus cannot count. */
  private readonly recorded = new Map<string, unknown[]>();

  constructor(
    private readonly origin: string,
    private readonly options: ImportOptions,
    private readonly format: ModelFormat,
  ) {}

  model(m: RawModel, scope: Scope): string[] {
    if (scope.parents.length > MAX_NESTING)
      bad(
        `${this.origin}: models nested more than ${MAX_NESTING} deep (at "${scope.prefix.slice(0, -1)}"); netcensus stops there`,
      );
    const layers: RawLayer[] = m.config.layers.map((raw, i) => {
      const r = layerSchema.safeParse(raw);
      if (!r.success) bad(zodMessage(r.error, `${this.origin}: ${scope.prefix}layers[${i}]`));
      return r.data!;
    });
    if (layers.length === 0)
      bad(`${this.origin}: ${scope.prefix ? `model "${scope.prefix.slice(0, -1)}"` : 'the model'} has no layers`);
    const named = layers.map((l, i) => {
      const n = l.name ?? l.config.name;
      if (typeof n !== 'string' || n === '')
        bad(`${this.origin}: ${scope.prefix}layers[${i}] (${l.class_name}) has no name`);
      return [n as string, l] as const;
    });
    const seen = new Set<string>();
    for (const [name, l] of named) {
      if (seen.has(name)) bad(`duplicate layer name "${scope.prefix}${name}"`);
      seen.add(name);
      this.record(scope, l);
    }
    return m.class_name === 'Sequential' ? this.sequential(m, named, scope) : this.functional(m, named, scope);
  }

  /** Shapes of the tensors each call reads, as Keras 3 wrote them (for the outputs of layers it cannot count). */
  private record(scope: Scope, l: RawLayer): void {
    for (const call of l.inbound_nodes ?? []) {
      const args = callArgsQuiet(call);
      for (const ref of [...args.positional, ...[...args.keyword.values()].flat()]) {
        if (Array.isArray(ref.shape)) {
          const key = `${scope.prefix}${ref.layer}@${ref.node}`;
          const shapes = this.recorded.get(key) ?? [];
          shapes[ref.tensor] ??= ref.shape;
          this.recorded.set(key, shapes);
        }
      }
    }
  }

  private sequential(m: RawModel, named: ReadonlyArray<readonly [string, RawLayer]>, scope: Scope): string[] {
    let previous: string | undefined = scope.args?.[0];
    for (const [name, l] of named) {
      const cfg = l.config as Record<string, unknown>;
      if (l.class_name === 'InputLayer') {
        if (scope.args) continue;
        previous = this.input(scope, name, cfg);
        continue;
      }
      if (previous === undefined) {
        // A Sequential without an InputLayer carries its input shape on the first layer.
        const raw =
          cfg.batch_shape ?? cfg.batch_input_shape ?? l.build_config?.input_shape ?? m.config.build_input_shape;
        previous = this.input(scope, `${name}_input`, { batch_shape: raw });
      }
      previous = this.call(scope, name, l, 0, { positional: [previous], keyword: () => [] })[0]!;
    }
    if (previous === undefined) bad(`${this.origin}: the model has no layers`);
    return [previous!];
  }

  private functional(m: RawModel, named: ReadonlyArray<readonly [string, RawLayer]>, scope: Scope): string[] {
    const byName = new Map(named);
    const inputNames = layerRefs(m.config.input_layers).map((r) => r.layer);
    const done = new Map<string, string[]>();
    const visiting = new Set<string>();

    const resolve = (user: string, ref: TensorRef): string => {
      const l = byName.get(ref.layer);
      if (!l) bad(`layer "${scope.prefix}${user}" refers to unknown input layer "${scope.prefix}${ref.layer}"`);
      const outs = callOf(ref.layer, l!, ref.node);
      const out = outs[ref.tensor];
      if (out !== undefined) return out;
      // A plain layer's k-th output; the census checks that it has one.
      return ref.tensor === 0 ? outs[0]! : `${outs[0]!}:${ref.tensor}`;
    };

    const callOf = (name: string, l: RawLayer, n: number): string[] => {
      const key = `${name}@${n}`;
      const known = done.get(key);
      if (known) return known;
      if (visiting.has(key)) bad(`the graph has a cycle through layer "${scope.prefix}${name}"`);
      visiting.add(key);
      let outs: string[];
      if (l.class_name === 'InputLayer') {
        if (scope.args) {
          const i = inputNames.indexOf(name);
          if (i < 0 || scope.args[i] === undefined)
            bad(`model "${scope.prefix.slice(0, -1)}": its input "${name}" receives no tensor`);
          outs = [scope.args[i]!];
        } else outs = [this.input(scope, name, l.config)];
      } else {
        const calls = l.inbound_nodes ?? [];
        if (n >= calls.length) bad(`layer "${scope.prefix}${name}" has no call ${n} (it has ${calls.length})`);
        const args = callArgs(`${scope.prefix}${name}`, calls[n]);
        outs = this.call(scope, name, l, n, {
          positional: args.positional.map((ref) => resolve(name, ref)),
          keyword: (k) => (args.keyword.get(k) ?? []).map((ref) => resolve(name, ref)),
        });
      }
      visiting.delete(key);
      done.set(key, outs);
      return outs;
    };

    // Every call of every layer, in the file's order: layers outside the path to the outputs still hold weights.
    // Each call's inputs are reached first by an explicit stack, so callOf never recurses deeply: a file
    // may list a long chain in reverse.
    type Call = readonly [string, RawLayer, number];
    const inputsOf = ([name, l, n]: Call): Call[] => {
      const call = l.class_name === 'InputLayer' ? undefined : (l.inbound_nodes ?? [])[n];
      if (call === undefined) return [];
      const args = callArgs(`${scope.prefix}${name}`, call);
      return [...args.positional, ...[...args.keyword.values()].flat()].flatMap((ref) => {
        const dep = byName.get(ref.layer);
        return dep ? [[ref.layer, dep, ref.node] as const] : [];
      });
    };
    const calls: Call[] = named.flatMap(([name, l]) =>
      l.class_name === 'InputLayer'
        ? [[name, l, 0] as const]
        : (l.inbound_nodes ?? []).map((_, n) => [name, l, n] as const),
    );
    const state = new Map<string, 'open' | 'done'>();
    for (const root of calls) {
      const stack: Array<{ call: Call; deps?: Call[] }> = [{ call: root }];
      while (stack.length) {
        const top = stack.at(-1)!;
        const key = `${top.call[0]}@${top.call[2]}`;
        if (!top.deps) {
          if (state.get(key) === 'done') {
            stack.pop();
            continue;
          }
          if (state.get(key) === 'open') bad(`the graph has a cycle through layer "${scope.prefix}${top.call[0]}"`);
          state.set(key, 'open');
          top.deps = inputsOf(top.call);
        }
        const next = top.deps.pop();
        if (next) stack.push({ call: next });
        else {
          stack.pop();
          state.set(key, 'done');
          callOf(top.call[0], top.call[1], top.call[2]);
        }
      }
    }
    const outputs = layerRefs(m.config.output_layers).map((ref) => resolve('(outputs)', ref));
    if (outputs.length === 0)
      bad(
        `${this.origin}: ${scope.prefix ? `model "${scope.prefix.slice(0, -1)}"` : 'the model'} names no output layers`,
      );
    return outputs;
  }

  private input(scope: Scope, name: string, cfg: Record<string, unknown>): string {
    const shape = inputShape(
      scope.prefix + name,
      cfg.batch_shape ?? cfg.batch_input_shape ?? (cfg.shape ? [null, ...(cfg.shape as unknown[])] : undefined),
      this.options.input,
    );
    this.nodes.push({
      name: scope.prefix + name,
      scope: scope.prefix + name,
      config: { kind: 'input', shape },
      inputs: [],
      ...this.placement(scope, false),
    });
    return scope.prefix + name;
  }

  private placement(scope: Scope, frozen: boolean): Pick<GraphNode, 'trainable' | 'parents'> {
    return {
      ...(scope.frozen || frozen ? { trainable: false } : {}),
      ...(scope.parents.length ? { parents: scope.parents } : {}),
    };
  }

  /**
   * Call `n` of layer `name`: a nested model expands in place, any other layer becomes a node whose inputs
   * are the call's positional tensors, then the keyword tensors its kind takes as inputs (MultiHeadAttention's
   * query, value, key); other keywords (a mask, `training`) are not inputs.
   */
  private call(
    scope: Scope,
    name: string,
    l: RawLayer,
    n: number,
    call: { positional: string[]; keyword: (k: string) => string[] },
  ): string[] {
    const args = call.positional;
    const cfg = l.config as Record<string, unknown>;
    const frozen = cfg.trainable === false;
    const id = `${scope.prefix}${name}${n > 0 ? `@${n}` : ''}`;
    // The first call in the first expansion owns the weights; every other call reuses them.
    const owner = `${scope.owner ?? scope.prefix}${name}`;
    if (MODEL_CLASSES.has(l.class_name) || (Array.isArray(cfg.layers) && cfg.layers.length > 0)) {
      const parsed = modelSchema.safeParse(l);
      if (!parsed.success) bad(zodMessage(parsed.error, `${this.origin}: model "${id}"`));
      return this.model(parsed.data!, {
        prefix: `${id}/`,
        parents: [...scope.parents, id],
        frozen: scope.frozen || frozen,
        args,
        ...(id === owner ? {} : { owner: `${owner}/` }),
      });
    }
    // Keras 3 ops in a config (MobileNetV3's x + 3.0, a mask's NotEqual) say so by their module, or in the
    // legacy HDF5 form, which drops modules, by carrying neither dtype nor trainable as every layer does.
    const op =
      l.module?.startsWith('keras.src.ops') || (this.format === 'keras3' && !('dtype' in cfg) && !('trainable' in cfg));
    const cls = op ? `ops.${l.class_name}` : l.class_name;
    const reader = new Reader(id, cls, cfg, this.options.skipUnknown);
    const known = kerasClasses().has(cls);
    const config: LayerConfig = known || !this.options.skipUnknown ? toConfig(reader) : this.unknown(scope, name, n, l);
    const keywords = kindSpec(config).kerasCallInputs ?? [];
    this.nodes.push({
      name: id,
      scope: id,
      config,
      inputs: [...args, ...keywords.flatMap(call.keyword)],
      ...this.placement(scope, frozen),
      ...(id === owner ? {} : { sharedWith: owner }),
    });
    return [id];
  }

  /** A layer netcensus cannot count: its output shapes are those Keras 3 recorded where later layers read them. */
  private unknown(scope: Scope, name: string, n: number, l: RawLayer): LayerConfig {
    const id = `${scope.prefix}${name}`;
    const declared = (l.config as Record<string, unknown>).output_shape;
    const shapes =
      this.recorded.get(`${scope.prefix}${name}@${n}`) ?? (Array.isArray(declared) ? [[null, ...declared]] : []);
    if (shapes.length === 0 || shapes.some((s) => s === undefined)) {
      bad(
        `layer "${id}" (${l.class_name}) is not counted and its output shape is not in the file (no later layer records it); netcensus cannot go on past it`,
      );
    }
    const outputShapes = shapes.map((s, k) => {
      const dims = (s as unknown[]).slice(1);
      if (dims.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)) {
        bad(
          `layer "${id}" (${l.class_name}) is not counted and its output ${k} has unknown dimensions ${JSON.stringify(s)}`,
        );
      }
      return dims as number[];
    });
    return { kind: 'unknown', className: l.class_name, outputShapes };
  }
}

/** callArgs without refusing: for collecting recorded shapes, where a malformed call is reported later. */
function callArgsQuiet(call: unknown): CallArgs {
  try {
    return callArgs('', call);
  } catch {
    return { positional: [], keyword: new Map() };
  }
}

/** Keras 3 writes calls as {args, kwargs} and input shapes as batch_shape; Keras 2 as nested lists. */
function dialect(m: RawModel, wrapped: ModelFormat): ModelFormat {
  if (wrapped !== 'keras2') return wrapped;
  const layers = m.config.layers as Array<{ inbound_nodes?: unknown[]; config?: Record<string, unknown> }>;
  const keras3 = layers.some(
    (l) =>
      (Array.isArray(l?.inbound_nodes) &&
        l.inbound_nodes.some((c) => c !== null && typeof c === 'object' && !Array.isArray(c))) ||
      l?.config?.batch_shape !== undefined,
  );
  return keras3 ? 'keras3' : 'keras2';
}

export function importKerasJson(json: unknown, options: ImportOptions = {}): Imported {
  const origin = options.origin ?? 'model JSON';
  const { model, format: wrapped } = unwrap(json, origin);
  const parsed = modelSchema.safeParse(model);
  if (!parsed.success) bad(zodMessage(parsed.error, origin));
  const m = parsed.data!;
  if (!MODEL_CLASSES.has(m.class_name)) {
    bad(`${origin}: field class_name: "${m.class_name}" is not a model class (Sequential, Functional or Model)`);
  }
  const format = dialect(m, wrapped);
  const top: Scope = { prefix: '', parents: [], frozen: (m.config as Record<string, unknown>).trainable === false };
  const expander = new Expander(origin, options, format);
  const outputs = expander.model(m, top);
  const dialectName = format === 'keras3' ? 'Keras 3' : format === 'keras2' ? 'Keras 2' : 'TensorFlow.js';
  return {
    format,
    graph: {
      name: m.config.name ?? 'model',
      description: `${m.class_name} model imported from ${origin} (${dialectName} JSON)`,
      source: origin,
      framework: format === 'tfjs' ? 'tfjs' : 'keras',
      nodes: expander.nodes,
      outputs,
    },
  };
}

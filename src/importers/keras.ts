/**
 * Keras and TensorFlow.js model JSON -> architecture graph. Reads Keras 2 (tf.keras `to_json()`, and
 * tfjs' own `toJSON()`), Keras 3 (`module`, `registered_name`, `build_config`, DTypePolicy objects,
 * `batch_shape`, inbound nodes as `args`/`kwargs` with `keras_history`), and tfjs `model.json`
 * (`format: layers-model`, `modelTopology`; weight files are not needed). Structure is validated with zod,
 * and every refusal names the layer and the field.
 */
import { z } from 'zod';
import { NetcensusError } from '../errors.js';
import { ACTIVATIONS, type ActivationFn, type Graph, type GraphNode, type LayerConfig, type Pair } from '../graph.js';
import { kerasClasses } from '../kinds/index.js';
import type { ConfigReader } from '../kinds/spec.js';

const layerSchema = z.looseObject({
  class_name: z.string(),
  config: z.looseObject({}),
  name: z.string().optional(),
  inbound_nodes: z.array(z.unknown()).optional(),
  build_config: z.looseObject({ input_shape: z.unknown().optional() }).optional(),
});
type RawLayer = z.infer<typeof layerSchema>;

const modelSchema = z.looseObject({
  class_name: z.enum(['Sequential', 'Functional', 'Model']),
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

export interface ImportOptions {
  /** Fills unknown (None) input dimensions: [H, W] or [H, W, C]. */
  input?: readonly number[];
  /** Where the JSON came from, for messages and the graph's source. */
  origin?: string;
}

export type ModelFormat = 'keras2' | 'keras3' | 'tfjs';

export interface Imported {
  graph: Graph;
  format: ModelFormat;
}

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
    return v as number;
  }
  num(field: string, fallback?: number): number {
    const v = this.cfg[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail(field, `must be a finite number, got ${JSON.stringify(v)}`);
    return v as number;
  }
  bool(field: string, fallback: boolean): boolean {
    const v = this.cfg[field] ?? fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
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
  padding(field = 'padding'): 'valid' | 'same' {
    const v = String(this.cfg[field] ?? 'valid').toLowerCase();
    if (v !== 'valid' && v !== 'same') this.fail(field, `"${v}" is not supported (valid or same)`);
    return v as 'valid' | 'same';
  }
  activation(field = 'activation'): ActivationFn | undefined {
    let v = this.cfg[field];
    // Keras 3 may serialize an activation as an object; its name is what matters here.
    if (v && typeof v === 'object')
      v =
        (v as Record<string, unknown>).config && typeof (v as { config: unknown }).config === 'object'
          ? ((v as { config: { name?: unknown } }).config.name ?? (v as { class_name?: unknown }).class_name)
          : (v as { class_name?: unknown }).class_name;
    if (v === undefined || v === null) return undefined;
    const name = String(v)
      .toLowerCase()
      .replace(/^silu$/, 'swish')
      .replace(/^hardsigmoid$/, 'hard_sigmoid');
    if (!(ACTIVATIONS as readonly string[]).includes(name))
      this.fail(field, `"${String(v)}" is not a supported activation (${ACTIVATIONS.join(', ')})`);
    return name === 'linear' ? undefined : (name as ActivationFn);
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

/** Maps one Keras layer to a graph node's config through the kinds' registry. */
function toConfig(r: Reader): LayerConfig {
  const read = kerasClasses().get(r.cls);
  if (!read) throw new NetcensusError(`unsupported layer class ${r.cls} (layer "${r.layer}")`);
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

/** Names of the layers feeding one inbound node, in any of the Keras 2 / Keras 3 layouts. */
function inboundNames(layer: string, nodes: unknown[]): string[] {
  if (nodes.length === 0) return [];
  if (nodes.length > 1) bad(`layer "${layer}" is called ${nodes.length} times; shared layers are not supported`);
  const node = nodes[0];
  const names: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      // Keras 2: [name, nodeIndex, tensorIndex, kwargs]
      if (typeof v[0] === 'string' && typeof v[1] === 'number') {
        names.push(v[0]);
        return;
      }
      v.forEach(visit);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // Keras 3: {"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor]}}
      const history = (o.config as Record<string, unknown> | undefined)?.keras_history;
      if (Array.isArray(history) && typeof history[0] === 'string') {
        names.push(history[0]);
        return;
      }
      if ('args' in o) visit(o.args);
      // kwargs never hold layer inputs in the layers we map (they carry e.g. `training`, `mask`).
    }
  };
  visit(node);
  if (names.length === 0) bad(`layer "${layer}": inbound_nodes name no input layer`);
  return names;
}

function outputNames(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  if (typeof raw[0] === 'string') return [raw[0]];
  return raw.filter((x): x is unknown[] => Array.isArray(x) && typeof x[0] === 'string').map((x) => x[0] as string);
}

export function importKerasJson(json: unknown, options: ImportOptions = {}): Imported {
  const origin = options.origin ?? 'model JSON';
  const { model, format } = unwrap(json, origin);
  const parsed = modelSchema.safeParse(model);
  if (!parsed.success) bad(zodMessage(parsed.error, origin));
  const m = parsed.data!;
  const sequential = m.class_name === 'Sequential';
  const layers: RawLayer[] = m.config.layers.map((raw, i) => {
    const r = layerSchema.safeParse(raw);
    if (!r.success) bad(zodMessage(r.error, `${origin}: layers[${i}]`));
    return r.data!;
  });
  if (layers.length === 0) bad(`${origin}: the model has no layers`);

  const nodes: GraphNode[] = [];
  const nameOf = (l: RawLayer, i: number): string => {
    const n = l.name ?? l.config.name;
    if (typeof n !== 'string' || n === '') bad(`${origin}: layers[${i}] (${l.class_name}) has no name`);
    return n as string;
  };
  let previous: string | undefined;
  layers.forEach((l, i) => {
    const name = nameOf(l, i);
    const cfg = l.config as Record<string, unknown>;
    if (l.class_name === 'InputLayer') {
      const shape = inputShape(
        name,
        cfg.batch_shape ?? cfg.batch_input_shape ?? (cfg.shape ? [null, ...(cfg.shape as unknown[])] : undefined),
        options.input,
      );
      nodes.push({ name, scope: name, config: { kind: 'input', shape }, inputs: [] });
      previous = name;
      return;
    }
    if (sequential && previous === undefined) {
      // A Sequential without an InputLayer carries its input shape on the first layer.
      const raw = cfg.batch_shape ?? cfg.batch_input_shape ?? l.build_config?.input_shape ?? m.config.build_input_shape;
      const inputName = `${name}_input`;
      nodes.push({
        name: inputName,
        scope: inputName,
        config: { kind: 'input', shape: inputShape(inputName, raw, options.input) },
        inputs: [],
      });
      previous = inputName;
    }
    const config = toConfig(new Reader(name, l.class_name, cfg));
    const inputs = sequential ? [previous!] : inboundNames(name, l.inbound_nodes ?? []);
    nodes.push({ name, scope: name, config, inputs });
    previous = name;
  });

  const outputs = sequential ? [previous!] : outputNames(m.config.output_layers);
  return {
    format,
    graph: {
      name: m.config.name ?? 'model',
      description: `${m.class_name} model imported from ${origin} (${format === 'keras3' ? 'Keras 3' : format === 'keras2' ? 'Keras 2' : 'TensorFlow.js'} JSON)`,
      source: origin,
      framework: format === 'tfjs' ? 'tfjs' : 'keras',
      nodes,
      outputs: outputs.length ? outputs : [previous!],
    },
  };
}

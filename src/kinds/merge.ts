/** Merges: elementwise Add and Multiply, and Concatenate. No weights, no MACs. */
import { fail, unweighted, type Kinds, type Shape } from './spec.js';

export interface MergeConfig {
  kind: 'add' | 'multiply';
}
/** `axis` counts per-example dimensions (0 = height); negative counts from the end, -1 = channels. */
export interface ConcatConfig {
  kind: 'concat';
  axis: number;
}
/** Every config this family defines. */
export type MergeFamily = MergeConfig | ConcatConfig;

export const add: MergeConfig = { kind: 'add' };

function sameShapes(name: string, kind: string, inputs: Shape[]): Shape {
  if (inputs.length < 2) fail(name, kind, `expects at least 2 inputs, got ${inputs.length}`);
  const first = inputs[0]!;
  for (const s of inputs) {
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) {
      fail(name, kind, `input shapes differ: [${inputs.map((x) => x.join('x')).join('], [')}]`);
    }
  }
  return first;
}

const elementwise = (title: string): Kinds<MergeConfig>['add'] => ({
  title,
  outputShape: (c, inputs, name) => sameShapes(name, c.kind, inputs),
  ...unweighted,
  describe: () => '',
  keras: {},
  tfjs: (c, ctx) =>
    ctx.use(
      c.kind === 'add' ? ctx.tf.layers.add({ name: ctx.name }) : ctx.tf.layers.multiply({ name: ctx.name }),
      ctx.inputs,
    ),
  window: null,
});

export const mergeKinds: Kinds<MergeFamily> = {
  add: { ...elementwise('Add'), keras: { Add: () => ({ kind: 'add' }) } },
  multiply: { ...elementwise('Multiply'), keras: { Multiply: () => ({ kind: 'multiply' }) } },

  concat: {
    title: 'Concatenate',
    outputShape: (c, inputs, name) => {
      if (inputs.length < 2) fail(name, c.kind, `expects at least 2 inputs, got ${inputs.length}`);
      const rank = inputs[0]!.length;
      const axis = c.axis < 0 ? rank + c.axis : c.axis;
      if (axis < 0 || axis >= rank) fail(name, c.kind, `axis ${c.axis} is out of range for rank ${rank}`);
      const out = [...inputs[0]!];
      for (const s of inputs.slice(1)) {
        if (s.length !== rank || s.some((d, i) => i !== axis && d !== out[i])) {
          fail(
            name,
            c.kind,
            `input shapes [${inputs.map((x) => x.join('x')).join('], [')}] differ outside axis ${c.axis}`,
          );
        }
        out[axis] = out[axis]! + s[axis]!;
      }
      return out;
    },
    ...unweighted,
    describe: (c) => (c.axis === -1 ? '' : `axis ${c.axis}`),
    keras: {
      Concatenate: (r) => {
        // Keras counts the batch as axis 0; the graph's axes are per example.
        const axis = r.int('axis', -1, -8);
        if (axis === 0) r.fail('axis', '0 (the batch axis) is not supported');
        return { kind: 'concat', axis: axis > 0 ? axis - 1 : axis };
      },
    },
    // tfjs counts the batch as axis 0.
    tfjs: (c, ctx) =>
      ctx.use(ctx.tf.layers.concatenate({ name: ctx.name, axis: c.axis < 0 ? c.axis : c.axis + 1 }), ctx.inputs),
    window: null,
  },
};

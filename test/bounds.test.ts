/**
 * Sizes and depths that come from the file are bounded or handled without recursion: a long ONNX chain
 * is counted in every format, a Keras functional model listed in reverse order is walked without deep
 * recursion, nesting past MAX_NESTING and folding past the fold bounds are refused in one line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onnx } from '../scripts/fixtures/make_hostile.js';
import { EXIT } from '../src/errors.js';
import { MAX_FOLD_ELEMENTS, MAX_FOLDED_TOTAL } from '../src/importers/onnx/convert.js';
import { MAX_NESTING } from '../src/importers/keras.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'netcensus-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refused = async (args: string[], why: RegExp): Promise<void> => {
  const { code, out, err } = await cli(...args);
  expect(code, err).toBe(EXIT.badInput);
  expect(out).toBe('');
  expect(err.trimEnd().split('\n')).toHaveLength(1);
  expect(err).toMatch(why);
};

describe('long graphs', () => {
  it('a chain of 200,000 ONNX nodes: every format, every layer, in seconds', async () => {
    const n = 200_000;
    const file = join(dir, 'chain.onnx');
    writeFileSync(
      file,
      onnx({
        nodes: Array.from({ length: n }, (_, i) => ({
          op: 'Relu',
          inputs: [i ? `t${i - 1}` : 'x'],
          outputs: [`t${i}`],
        })),
        outputs: [`t${n - 1}`],
      }),
    );
    const started = performance.now();
    const json = await cli('summary', file, '--json');
    expect(json.code, json.err).toBe(EXIT.ok);
    expect((JSON.parse(json.out) as { layers: unknown[] }).layers).toHaveLength(n + 1);
    const csv = await cli('summary', file, '--csv');
    expect(csv.out.trimEnd().split('\n')).toHaveLength(1 + (n + 1) + 1);
    const table = await cli('summary', file);
    expect(table.code).toBe(EXIT.ok);
    expect(table.out.split('\n').filter((l) => l.startsWith('│ ') && l.includes('Activation'))).toHaveLength(n);
    expect((performance.now() - started) / 1000).toBeLessThan(60);
  }, 120_000);

  it('a Keras functional chain listed output first is walked by an explicit stack', async () => {
    const n = 50_000;
    const layers: unknown[] = [
      { class_name: 'InputLayer', name: 'in', config: { batch_input_shape: [null, 8], name: 'in' }, inbound_nodes: [] },
    ];
    for (let i = 0; i < n; i++)
      layers.push({
        class_name: 'Dense',
        name: `d${i}`,
        config: { name: `d${i}`, units: 8 },
        inbound_nodes: [[[i ? `d${i - 1}` : 'in', 0, 0, {}]]],
      });
    layers.reverse();
    const file = join(dir, 'reversed.json');
    const config = { name: 'f', layers, input_layers: [['in', 0, 0]], output_layers: [[`d${n - 1}`, 0, 0]] };
    writeFileSync(file, JSON.stringify({ class_name: 'Functional', config, keras_version: '2.15.0' }));
    const { code, out, err } = await cli('summary', file, '--json');
    expect(code, err).toBe(EXIT.ok);
    // Dense(8) on 8 features: 8 x 8 weights and 8 biases each.
    expect((JSON.parse(out) as { totals: { params: number } }).totals.params).toBe(n * (8 * 8 + 8));
  }, 120_000);
});

describe('refused at a stated bound, in one line', () => {
  it(`Keras models nested deeper than ${MAX_NESTING}`, async () => {
    const input = (i: number) => `{"class_name":"InputLayer","config":{"batch_input_shape":[null,8],"name":"in${i}"}}`;
    let model = `{"class_name":"Sequential","config":{"name":"s0","layers":[${input(0)},{"class_name":"Dense","config":{"name":"d","units":4}}]}}`;
    for (let i = 1; i < 2000; i++)
      model = `{"class_name":"Sequential","config":{"name":"s${i}","layers":[${input(i)},${model}]}}`;
    const file = join(dir, 'nested.json');
    writeFileSync(file, model);
    await refused(['summary', file], new RegExp(`models nested more than ${MAX_NESTING} deep`));
  });

  it('a constant folded past MAX_FOLD_ELEMENTS, before it is allocated', async () => {
    const file = join(dir, 'fill.onnx');
    const shape = { name: 'n', dataType: 7, dims: [2], int64Data: [MAX_FOLD_ELEMENTS, 2] };
    writeFileSync(
      file,
      onnx({
        nodes: [
          { op: 'ConstantOfShape', inputs: ['n'], outputs: ['c'] },
          { op: 'Reshape', inputs: ['x', 'c'], outputs: ['y'] },
        ],
        inits: [shape],
        outputs: ['y'],
      }),
    );
    await refused(['summary', file], /\(ConstantOfShape\): folding it would materialise 33,554,432 values/);
  });

  it('a chain of folds that each copy a little more, past MAX_FOLDED_TOTAL in all', async () => {
    const n = Math.ceil(Math.sqrt(2 * MAX_FOLDED_TOTAL)) + 10;
    const file = join(dir, 'concats.onnx');
    writeFileSync(
      file,
      onnx({
        nodes: Array.from({ length: n }, (_, i) => ({
          op: 'Concat',
          inputs: [i ? `k${i - 1}` : 'c', 'c'],
          outputs: [`k${i}`],
          attrs: [{ name: 'axis', type: 2, i: 0 }],
        })),
        inits: [{ name: 'c', dataType: 7, dims: [1], int64Data: [1] }],
        outputs: [`k${n - 1}`],
      }),
    );
    await refused(['summary', file], /folded constants exceed 67,108,864 values in all/);
  }, 60_000);
});

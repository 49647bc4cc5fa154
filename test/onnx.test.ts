/**
 * ONNX files written by torch.onnx.export (test/fixtures/onnx, with the figures PyTorch, onnx and ONNX
 * Runtime report for them): counted per consuming layer, weight MACs as PyTorch's forward hooks count
 * them, and verified three ways (the tfjs rebuild, ONNX Runtime executing the file, the rebuild with the
 * file's weights against ONNX Runtime's output).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend.js';
import { census, type Census } from '../src/census.js';
import { diffGraphs } from '../src/diff.js';
import { EXIT } from '../src/errors.js';
import { onnxFiles } from '../src/importers/onnx/index.js';
import { decodeModel } from '../src/importers/onnx/proto.js';
import { externalOf } from '../src/importers/onnx/tensors.js';
import { loadModelFile, zooModel } from '../src/resolve.js';
import { verifyGraph } from '../src/verify.js';
import { cli } from './helpers.js';
import { seeded } from './kinds/layer-exec.js';

const dir = new URL('./fixtures/onnx/', import.meta.url).pathname;
const badDir = new URL('./bad-inputs/', import.meta.url).pathname;

interface OnnxFigures {
  fixtures: Record<
    string,
    {
      torch: {
        params: number;
        weight_macs_total: number;
        weight_macs_by_module: Record<string, number>;
        product_macs_total: number;
        product_macs_by_module: Record<string, number>;
        input_shape: number[];
      };
      onnx: {
        exporter: string;
        params_file_per_consumer: number;
        params_file_by_module: Record<string, number>;
        bn_folded: number;
        data_file?: string | null;
        graph_inputs: Array<{ name: string; shape: Array<number | string> }>;
      };
    }
  >;
}
const figures = JSON.parse(readFileSync(join(dir, 'figures.json'), 'utf8')) as OnnxFigures;

/**
 * The fixture's path, or, where its weights live in a .data file the repository leaves out (the
 * torchvision models'), a copy beside seeded weights at the offsets the file declares: kernels uniform
 * with variance 1/fan-in, vectors in [0.5, 1.5) (positive, for BatchNorm variances). The witnesses compare
 * the rebuild with ONNX Runtime on the same weights; the figures do not depend on their values.
 */
function fixturePath(name: string): string {
  const path = join(dir, `${name}.onnx`);
  if (!figures.fixtures[name]!.onnx.data_file) return path;
  const copy = join(tempDir(), `${name}.onnx`);
  copyFileSync(path, copy);
  const next = seeded(7);
  const files = new Map<string, Buffer>();
  for (const t of decodeModel(readFileSync(path)).graph!.initializer) {
    const ext = externalOf(t);
    if (!ext) continue;
    const dims = t.dims.map(Number);
    const n = dims.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: n }, () =>
      dims.length > 1 ? next() * Math.sqrt(3 / (n / dims[0]!)) : 1 + next() / 2,
    );
    const old = files.get(ext.location) ?? Buffer.alloc(0);
    const buf = Buffer.alloc(Math.max(old.length, ext.offset + n * 4));
    old.copy(buf);
    Buffer.from(values.buffer).copy(buf, ext.offset);
    files.set(ext.location, buf);
  }
  for (const [location, buf] of files) writeFileSync(join(dirname(copy), location), buf);
  return copy;
}
const load = async (name: string, input?: number[]) =>
  (await loadModelFile(join(dir, `${name}.onnx`), { input })).graph;
const inputOf = (name: string): number[] | undefined =>
  name === 'dynamic_spatial' ? figures.fixtures[name]!.torch.input_shape.slice(2) : undefined;

/**
 * A census figure summed over the layers of one PyTorch module; '' is the root module's own (a Parameter
 * used in forward): the layers of no other module listed.
 */
const byModule = (c: Census, key: 'params' | 'macs', module: string, modules: string[]): number =>
  c.layers
    .filter((l) => (module === '' ? !modules.includes(l.scope) : l.scope === module))
    .reduce((s, l) => s + l[key], 0);

const temporary: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'netcensus-onnx-test-'));
  temporary.push(d);
  return d;
};

beforeAll(async () => {
  await useBackend('auto');
});
afterAll(() => {
  for (const d of temporary) rmSync(d, { recursive: true, force: true });
});

const supported = Object.keys(figures.fixtures);

describe('ONNX exports: counted per consuming layer, MACs as PyTorch hooks count them plus the products of two tensors', () => {
  for (const name of supported) {
    const ref = figures.fixtures[name]!;
    const { weight_macs_by_module: weights, product_macs_by_module: products } = ref.torch;
    const macs = ref.torch.weight_macs_total + ref.torch.product_macs_total;
    it(`${name}: ${ref.onnx.params_file_per_consumer.toLocaleString('en-US')} params in the file, ${macs.toLocaleString('en-US')} MACs`, async () => {
      const c = census(await load(name, inputOf(name)), { params: 'keras' });
      expect(c.totals.params).toBe(ref.onnx.params_file_per_consumer);
      expect(c.totals.macs).toBe(macs);
      // Per module, where the exporter names modules by path (the dynamo exporter attributes folded convs to the BN).
      if (ref.onnx.exporter !== 'dynamo') {
        const modules = Object.keys(ref.onnx.params_file_by_module);
        for (const [module, params] of Object.entries(ref.onnx.params_file_by_module)) {
          expect(byModule(c, 'params', module, modules), `${module || 'the root module'} params`).toBe(params);
        }
        for (const module of new Set([...Object.keys(weights), ...Object.keys(products)])) {
          expect(byModule(c, 'macs', module, modules), `${module || 'the root module'} MACs`).toBe(
            (weights[module] ?? 0) + (products[module] ?? 0),
          );
        }
      }
    });
  }

  it("BatchNorm kept as nodes: the pytorch convention gives PyTorch's own sum(p.numel())", async () => {
    const c = census(await load('resnet18_unfolded'), { params: 'pytorch' });
    expect(c.totals.params).toBe(figures.fixtures['resnet18_unfolded']!.torch.params);
    // A PyTorch export is counted as PyTorch counts it unless another convention is asked for.
    expect(census(await load('resnet18_unfolded')).totals).toEqual(c.totals);
    expect(census(await load('resnet18_unfolded'), { params: 'keras' }).totals.params).toBe(
      figures.fixtures['resnet18_unfolded']!.onnx.params_file_per_consumer,
    );
  });

  it('says how the file relates to PyTorch: exporter, BatchNorm folding, shared tensors', async () => {
    const c = census(await load('resnet18'));
    expect(c.notes.join('\n')).toMatch(/TorchScript/);
    expect(c.notes.join('\n')).toMatch(/BatchNorm folded: 20 convolution/);
    expect(c.notes.join('\n')).toMatch(/16 Identity node\(s\) alias/);
    expect(c.layers.find((l) => l.name === 'layer1.0.conv1')?.params).toBe(64 * 64 * 9 + 64);
  });
});

describe('torchvision ResNet-50 through ONNX', () => {
  it("has the zoo resnet50's weight MACs, and the parameter difference is BatchNorm folding", async () => {
    const file = census(await load('resnet50'), { params: 'pytorch' });
    const zoo = census(zooModel('resnet50'), { params: 'pytorch' });
    expect(file.totals.macs).toBe(zoo.totals.macs);
    expect(zoo.totals.params - file.totals.params).toBe(
      figures.fixtures['resnet50']!.torch.params - figures.fixtures['resnet50']!.onnx.params_file_per_consumer,
    );
    const d = diffGraphs(zooModel('resnet50'), await load('resnet50'));
    expect(d.balanced).toBe(true);
    expect(Object.keys(d.byCause.params)).toEqual(['bn-folding']);
    expect(d.byCause.params['bn-folding']).toBe(file.totals.params - zoo.totals.params);
  });
});

describe('diff across ONNX fixtures', () => {
  it('every fixture against the next: the causes add up, stored tensors in arithmetic and products of activations included', async () => {
    for (let i = 0; i + 1 < supported.length; i++) {
      const [a, b] = [supported[i]!, supported[i + 1]!];
      const d = diffGraphs(await load(a, inputOf(a)), await load(b, inputOf(b)));
      expect(d.balanced, `${a} -> ${b}`).toBe(true);
    }
  });
});

describe('verify: the rebuild, ONNX Runtime executing the file, and the file weights against ONNX Runtime', () => {
  for (const name of supported) {
    const seededData = figures.fixtures[name]!.onnx.data_file ? ' (seeded weights in place of its .data file)' : '';
    it(`${name}${seededData}`, async () => {
      const r = await verifyGraph((await loadModelFile(fixturePath(name), { input: inputOf(name) })).graph);
      expect(r.mismatches).toEqual([]);
      expect(r.witnesses.onnxruntime?.ok).toBe(true);
      expect(r.witnesses.onnxruntime?.name).toMatch(/ONNX Runtime 1\.\d+\.\d+/);
      expect(r.witnesses.fileWeights?.ok).toBe(true);
      expect(r.ok).toBe(true);
    });
  }
  it('a rebuild that parts from ONNX Runtime is located: the first node whose output differs', async () => {
    const graph = await load('cnn_small_opset13');
    // The Dense after the flattened map loses its row reordering: the rebuild computes another function.
    const source = onnxFiles.get(join(dir, 'cnn_small_opset13.onnx'))!.imported.weights.get('fc')!;
    expect(source.flat).toBeDefined();
    delete source.flat;
    const r = await verifyGraph(graph);
    expect(r.witnesses.onnxruntime?.ok).toBe(true);
    expect(r.witnesses.fileWeights?.ok).toBe(false);
    expect(r.witnesses.fileWeights?.note).toMatch(/first at "[^"]+", the output of node "\/fc\/Gemm" \(Gemm\)/);
  });
  it('a file whose external data is missing is counted, and verify says what it could not ask', async () => {
    const alone = join(tempDir(), 'resnet18.onnx');
    copyFileSync(join(dir, 'resnet18.onnx'), alone);
    const r = await verifyGraph((await loadModelFile(alone)).graph);
    expect(r.params.census).toBe(figures.fixtures['resnet18']!.onnx.params_file_per_consumer);
    expect(r.witnesses.onnxruntime?.ok).toBeNull();
    expect(r.witnesses.onnxruntime?.note).toMatch(/resnet18\.onnx\.data/);
  });
});

describe('bad ONNX files: one line, exit 2', () => {
  it.each([
    ['truncated.onnx', /not a valid ONNX model: the protobuf does not decode/],
    ['unknown-op.onnx', /node "[^"]*" \(Einsum\): operator Einsum is not supported; --skip-unknown/],
    [
      'seq-first.onnx',
      /takes the first axis of input "[^"]+", 10, as the batch; a sequence-first model needs exporting/,
    ],
  ])('%s', async (file, message) => {
    const r = await cli('summary', join(badDir, file));
    expect(r.code).toBe(EXIT.badInput);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
  });
  it('a symbolic spatial input without --input names the dimension; with --input it counts', async () => {
    const r = await cli('summary', join(dir, 'dynamic_spatial.onnx'));
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toMatch(/input "input" dimension 2 is symbolic \("height"\); give its size with --input HxW/);
    const ok = await cli('summary', join(dir, 'dynamic_spatial.onnx'), '--input', '32x32', '--json');
    expect(ok.code).toBe(EXIT.ok);
    expect(JSON.parse(ok.out).totals.params).toBe(figures.fixtures['dynamic_spatial']!.onnx.params_file_per_consumer);
  });
  it('a symbolic batch is the census batch', async () => {
    expect(census(await load('dynamic_batch')).input[0]).toBe(1);
  });
});

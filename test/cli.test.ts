/** The command line, run in-process: output contracts, exit codes, one-line errors. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from './helpers.js';
import { EXIT } from '../src/errors.js';

afterEach(() => vi.restoreAllMocks());

describe('summary', () => {
  it('--json follows the documented contract', async () => {
    const { code, out } = await cli('summary', 'alexnet', '--json');
    expect(code).toBe(EXIT.ok);
    const j = JSON.parse(out);
    expect(j.model).toBe('alexnet');
    expect(j.input).toEqual([1, 227, 227, 3]);
    expect(j.conventions.params).toBe('keras');
    expect(Object.keys(j.layers[1])).toEqual(
      expect.arrayContaining([
        'name',
        'type',
        'outputShape',
        'params',
        'trainableParams',
        'nonTrainableParams',
        'macs',
        'neurons',
      ]),
    );
    expect(Object.keys(j.totals)).toEqual([
      'params',
      'trainableParams',
      'nonTrainableParams',
      'weights',
      'biases',
      'macs',
      'flops',
      'neurons',
      'paramBytes',
      'activationBytes',
    ]);
    expect(j.totals.params).toBe(60_965_224);
  });
  it('the done-when figures', async () => {
    const seed = JSON.parse((await cli('summary', 'alexnet-keras-seed', '--json')).out);
    expect(seed.totals.params).toBe(25_678_184);
    const vgg = JSON.parse((await cli('summary', 'vgg16', '--json')).out);
    expect([vgg.totals.params, vgg.totals.macs]).toEqual([138_357_544, 15_470_264_320]);
    const rn = JSON.parse((await cli('summary', 'resnet152', '--params', 'pytorch', '--json')).out);
    expect([rn.totals.params, rn.totals.macs]).toEqual([60_192_808, 11_513_626_624]);
  });
  it.each([
    ['alexnet-torchvision', '775,278,976 = 775.28M'],
    ['vgg19', '19,775,715,008 = 19.78G'],
    ['resnet152', '11,632,592,320 = 11.63G'],
  ])('%s: the table shows the legacy torch-summary figure %s beside the others', async (model, legacy) => {
    const { out } = await cli('summary', model);
    expect(out).toMatch(/MACs \(torch-summary-1\.3\)/);
    expect(out).toContain(legacy);
    expect(out).toMatch(/MACs \(weights\)/);
    expect(out).toMatch(/MACs \(torchinfo-1\.8\)/);
  });
  it('the table explains the seed 002 slip', async () => {
    const { out } = await cli('summary', 'alexnet');
    expect(out).toContain('60,955,224');
    expect(out).toContain('4,097,000');
    expect(out).toMatch(/differs by 10,000/);
  });
  it('--csv and --markdown', async () => {
    const csv = (await cli('summary', 'resnet18', '--csv')).out.trim().split('\n');
    expect(csv[0]).toMatch(/^name,scope,type,outputShape,params/);
    expect(csv.at(-1)).toMatch(/^TOTAL,/);
    expect((await cli('summary', 'vgg11', '--markdown')).out).toContain('| **Total** |');
  });
  it('--input and --batch', async () => {
    const j = JSON.parse((await cli('summary', 'vgg16', '--input', '320x256', '--batch', '4', '--json')).out);
    expect(j.input).toEqual([4, 320, 256, 3]);
  });
});

describe('errors: one line, exit code 2, no stack trace', () => {
  it.each([
    [['summary', 'alexnt'], /unknown model "alexnt"; did you mean "alexnet"/],
    [['summary', 'vgg16', '--input', 'abc'], /--input/],
    [['summary', 'vgg16', '--input', '0'], /--input/],
    [['summary', 'alexnet', '--input', '5'], /layer "conv1" \(conv2d\): kernel 11 is larger than its input height 5/],
    [['summary', 'vgg16', '--batch', '-3'], /--batch/],
    [['summary', 'vgg16', '--params', 'caffe'], /--params/],
    [['summary', 'vgg16', '--json', '--csv'], /choose one of/],
    [['nonsense'], /unknown command/],
  ])('%j', async (argv, message) => {
    const { code, out, err } = await cli(...(argv as string[]));
    expect(code).toBe(EXIT.badInput);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(
      err
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('(Did you mean')).length,
    ).toBe(1);
    expect(err).not.toMatch(/\n\s+at /);
  });
});

describe('list', () => {
  it('names every zoo model', async () => {
    const rows = JSON.parse((await cli('list', '--json')).out) as Array<{ name: string }>;
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'alexnet',
        'alexnet-onetower',
        'alexnet-torchvision',
        'alexnet-keras-seed',
        'vgg11',
        'vgg19-bn',
        'resnet18',
        'resnet152',
        'resnet50-v1',
      ]),
    );
  });
});

describe('the launcher in a pipe', () => {
  it('a reader that closes early (| head -1) ends it quietly with exit 0', async () => {
    const { spawnSync } = await import('node:child_process');
    // head exits after one line, long before the 67 kB of the table are written.
    const r = spawnSync(
      'bash',
      ['-c', '"$NODE" bin/netcensus.js summary resnet152 | head -1 >/dev/null; echo "${PIPESTATUS[0]}"'],
      { encoding: 'utf8', env: { ...process.env, NODE: process.execPath } },
    );
    expect([r.stdout.trim(), r.stderr]).toEqual(['0', '']);
  }, 60_000);
});

describe('names and version', () => {
  it("zoo names ignore case, and --version is package.json's", async () => {
    const { readFileSync } = await import('node:fs');
    const { code, out } = await cli('summary', 'ResNet18', '--json');
    expect([code, JSON.parse(out).model]).toEqual([EXIT.ok, 'resnet18']);
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    expect((await cli('--version')).out.trim()).toBe(version);
  });
});

describe('usage errors', () => {
  it("commander's own errors have netcensus' prefix and exit 2", async () => {
    for (const args of [['summary', 'alexnet', '--no-such-option'], ['no-such-command'], ['summary']]) {
      const { code, err } = await cli(...args);
      expect([code, err.split('\n')[0]], args.join(' ')).toEqual([
        EXIT.badInput,
        expect.stringMatching(/^netcensus: /),
      ]);
    }
  });
});

describe('the files people try first say what they are', () => {
  const pytorch = new URL('./fixtures/pytorch/', import.meta.url).pathname;
  it.each([
    // Written by torch.save (scripts/fixtures/make_pytorch_patterns.py); test/weights.test.ts checks what is read.
    [`${pytorch}loop_state_dict.pt`, /a PyTorch checkpoint \(torch\.save\): .*torch\.onnx\.export/],
    [
      `${pytorch}loop_state_dict_legacy.pth`,
      /a PyTorch checkpoint in torch\.save's legacy format: .*torch\.onnx\.export/,
    ],
  ])('%s: summary reads its tensors; verify says it holds no architecture', async (file, message) => {
    const summary = await cli('summary', file);
    expect(summary.code).toBe(EXIT.ok);
    expect(summary.out).toMatch(/^File: .* - a torch\.save file/);
    const { code, err } = await cli('verify', file);
    expect([code, err.trim().split('\n').length]).toEqual([EXIT.badInput, 1]);
    expect(err).toMatch(message);
  });
  it('a SavedModel protobuf and a TensorFlow.js graph model: what they are, and what netcensus reads', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'netcensus-first-files-'));
    // SavedModel's first fields: saved_model_schema_version = 1, then a meta_graphs message.
    writeFileSync(join(dir, 'saved_model.pb'), Buffer.from([0x08, 0x01, 0x12, 0x02, 0x0a, 0x00]));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: { node: [] } }));
    expect((await cli('summary', join(dir, 'saved_model.pb'))).err).toMatch(/a TensorFlow SavedModel .*tf2onnx/);
    expect((await cli('summary', join(dir, 'model.json'))).err).toMatch(/a TensorFlow\.js graph model .*layers-model/);
  });
});

describe('an 80-column terminal', () => {
  const displayWidth = (s: string) => Math.max(...s.split('\n').map((l) => [...l].length));
  afterEach(() => {
    delete process.env.COLUMNS;
  });
  it('summary, list, verify and diff fit it; --wide and a pipe get the whole table', async () => {
    const t5 = ['summary', 'test/fixtures/onnx/patterns/t5_encoder_ts.onnx', '--style', 'keras'];
    const wide = (await cli(...t5)).out;
    expect(displayWidth(wide)).toBeGreaterThan(80);
    process.env.COLUMNS = '80';
    for (const args of [['summary', 'resnet18'], ['list'], ['verify', 'alexnet'], ['diff', 'alexnet', 'vgg16']]) {
      const { code, out } = await cli(...args);
      expect(code, args.join(' ')).toBe(EXIT.ok);
      // Every line: the tables, and the text around them, which wraps at spaces.
      for (const line of out.split('\n'))
        expect(displayWidth(line), `${args.join(' ')}: ${line}`).toBeLessThanOrEqual(80);
    }
    const narrow = (await cli(...t5)).out;
    // A long module path keeps its tail; every figure is whole.
    expect(narrow).toMatch(/│ …[\w.]*SelfAttention\.q +│/);
    expect(narrow).toMatch(/│ +8,192 │/);
    expect((await cli(...t5, '--wide')).out).toBe(wide);
  }, 120_000);
});

describe('--depth, as torchinfo counts it', () => {
  it('1 shows the top-level modules, 2 their children, each summing what lies below', async () => {
    const file = 'test/fixtures/onnx/resnet18.onnx';
    // torchinfo's view, the default for a PyTorch export: depth 1 the top-level modules, each its sum.
    const top = (await cli('summary', file, '--depth', '1')).out;
    expect(top).toMatch(/^├─\(layer1\): 1-4 +\[1, 64, 56, 56\] +147,712$/m);
    expect(top).not.toMatch(/└─\(0\)/);
    const below = (await cli('summary', file, '--depth', '2')).out;
    expect(below).toMatch(/^├─\(layer1\): 1-4 +\[1, 64, 56, 56\] +--$/m);
    expect(below).toMatch(/^│ {4}└─\(0\): 2-1 +\[1, 64, 56, 56\] +73,856$/m);
    // Keras' view counts the same levels.
    const one = (await cli('summary', file, '--style', 'keras', '--params', 'pytorch', '--depth', '1')).out;
    expect(one).toMatch(/│ layer1 +│ \(module: 10 layers, collapsed\) │ +│ +147,712 │/);
    expect(one).not.toMatch(/└ 0/);
    const two = (await cli('summary', file, '--style', 'keras', '--params', 'pytorch', '--depth', '2')).out;
    expect(two).toMatch(/│ layer1 +│ \(module: 10 layers\) +│/);
    expect(two).toMatch(/│ +└ 0 +│ \(module: 5 layers, collapsed\) │ +│ +73,856 │/);
    expect((await cli('summary', file, '--depth', '0')).code).toBe(EXIT.badInput);
  });
});

/**
 * verify on WebGPU (Dawn over Vulkan): the adapter a GPU machine has, else the software adapter that
 * `netcensus setup --webgpu --software-adapter` unpacked. Every Keras and PyTorch pattern fixture and two zoo
 * models verify with the GPU's output compared with a CPU backend's; a tensor larger than the adapter can bind
 * is refused before it runs. Where no adapter could be had, the suite says so in one line and does not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend, type BackendInfo } from '../../src/backend.js';
import { census } from '../../src/census.js';
import { EXIT, NetcensusError } from '../../src/errors.js';
import { GraphBuilder, input } from '../../src/graph.js';
import { loadModelFile, zooModel } from '../../src/resolve.js';
import { tf } from '../../src/tfjs/tf.js';
import { verifyCensus, verifyGraph } from '../../src/verify.js';
import { GPU_RTOL } from '../../src/verify-gpu.js';
import {
  KERAS_DIR,
  PATTERNS_DIR,
  kerasModels as kerasFixtures,
  patternNames as patternFixtures,
} from '../fixture-lists.js';
import { cli } from '../helpers.js';

const keras = KERAS_DIR;
const patterns = PATTERNS_DIR;

let backend: BackendInfo | undefined;
let why = '';
try {
  backend = await useBackend('webgpu');
} catch (e) {
  why = (e as Error).message;
  process.stderr.write(`webgpu: not run: ${why}\n`);
}
const gpu = describe.skipIf(backend === undefined);

const kerasModels = kerasFixtures();
const patternNames = patternFixtures();

const refused: string[] = [];

/**
 * A model verifies on the GPU, or the WebGPU backend cannot run one of its ops (a shader it fails to
 * compile, a tensor past the adapter's binding) and verify says so in one line: never a wrong "ok".
 */
async function verifiesOrIsRefused(name: string, run: () => Promise<Awaited<ReturnType<typeof verifyGraph>>>) {
  const before = tf.memory().numTensors;
  let r: Awaited<ReturnType<typeof verifyGraph>>;
  try {
    r = await run();
  } catch (e) {
    expect(e, name).toBeInstanceOf(NetcensusError);
    expect((e as NetcensusError).exitCode, name).toBe(EXIT.backendUnavailable);
    expect((e as Error).message.split('\n'), name).toHaveLength(1);
    expect((e as Error).message).toMatch(/WebGPU backend|the GPU reported|storage-buffer binding/);
    refused.push(`${name}: ${(e as Error).message.slice(0, 160)}`);
    return;
  }
  expectVerified(r, name);
  expect(tf.memory().numTensors, name).toBe(before);
}

afterAll(() => {
  if (refused.length)
    process.stderr.write(`webgpu: ${refused.length} model(s) refused in one line:\n  ${refused.join('\n  ')}\n`);
});

/** A verification on the GPU: shapes, countParams() and the CPU comparison, no tensor left behind. */
function expectVerified(r: Awaited<ReturnType<typeof verifyGraph>>, name: string): void {
  expect(r.backend, name).toBe('webgpu');
  expect(r.mismatches, name).toEqual([]);
  expect(r.witnesses.reference?.ok, `${name}: ${r.witnesses.reference?.note}`).toBe(true);
  expect(r.witnesses.reference?.relative as number).toBeLessThanOrEqual(GPU_RTOL);
  expect(r.leakedTensors, name).toBe(0);
  expect(r.ok, name).toBe(true);
}

gpu('the adapter', () => {
  it('is named with vendor, architecture and limits, and a software one says so', () => {
    const a = backend!.adapter!;
    expect(a.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(backend!.device).toContain('largest storage binding');
    if (a.software) expect(backend!.device).toMatch(/software adapter/);
    process.stderr.write(`webgpu: ${backend!.device}\n`);
  });
});

gpu('zoo models on the GPU', () => {
  beforeAll(async () => {
    await useBackend('webgpu');
  });
  it('resnet18 at 64 px: every layer, countParams() and every output against a CPU backend', async () => {
    expectVerified(await verifyGraph(zooModel('resnet18'), { input: [64, 64, 3] }), 'resnet18');
  });
  it('resnet50 at 64 px', async () => {
    expectVerified(await verifyCensus(census(zooModel('resnet50'), { input: [64, 64, 3] })), 'resnet50');
  });
  it('the CLI prints the adapter and the comparison', async () => {
    const { code, out, err } = await cli('verify', 'resnet18', '--input', '64', '--backend', 'webgpu');
    expect(code, err).toBe(EXIT.ok);
    expect(err).toContain('WebGPU (Dawn, Vulkan)');
    expect(out).toMatch(/random weights on (tensorflow|cpu).*agrees/);
  });
});

gpu('the pack for a GPU machine without registries', () => {
  it('fits 60 MiB and verifies on its own: its Node, its dependencies, no cache but its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netcensus-gpu-pack-'));
    try {
      const archive = join(dir, 'netcensus-gpu.tar.gz');
      const pack = spawnSync(process.execPath, ['scripts/pack-gpu.mjs', '--out', archive], { encoding: 'utf8' });
      expect(pack.status, pack.stderr).toBe(0);
      expect(statSync(archive).size).toBeLessThanOrEqual(60 * 2 ** 20);
      expect(spawnSync('tar', ['-xzf', archive, '-C', dir]).status).toBe(0);
      // A bare environment: no PATH to this Node, no home cache; the adapter is the one this machine has.
      const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: join(dir, 'home') };
      if (process.env.VK_ICD_FILENAMES) env.VK_ICD_FILENAMES = process.env.VK_ICD_FILENAMES;
      const run = spawnSync(
        join(dir, 'netcensus-gpu', 'netcensus'),
        ['verify', 'resnet18', '--input', '64', '--backend', 'webgpu'],
        { encoding: 'utf8', env, cwd: dir, timeout: 600_000 },
      );
      expect(run.status, run.stderr.slice(-400)).toBe(0);
      expect(run.stdout).toMatch(/random weights on cpu .*agrees/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

gpu('an ONNX file on the GPU', () => {
  it("ONNX Runtime's WebGPU provider is a second GPU witness, beside its CPU run", async () => {
    await useBackend('webgpu');
    const r = await verifyGraph((await loadModelFile(join(patterns, 'lstm_state_dynamo.onnx'))).graph);
    expectVerified(r, 'lstm_state_dynamo');
    const w = r.witnesses.onnxruntimeWebgpu;
    if (w?.ok === null) process.stderr.write(`webgpu: ${w.note}\n`);
    else expect(w?.ok, w?.note).toBe(true);
  });
});

gpu('a tensor larger than the adapter can bind', () => {
  it('is refused before it runs, in one line, naming the layer', async () => {
    await useBackend('webgpu');
    const limit = backend!.adapter!.maxStorageBufferBindingSize;
    // A Dense kernel one column past the binding: Dawn would leave its output zeros.
    const inputs = 8192;
    const units = Math.floor(limit / 4 / inputs) + 1;
    const g = new GraphBuilder({ name: 'over', description: 'over', source: 'test', framework: 'keras' });
    g.add('in', input([inputs]));
    g.add('wide', { kind: 'dense', units, bias: false });
    const before = tf.memory().numTensors;
    const e = await verifyGraph(g.build()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NetcensusError);
    expect((e as NetcensusError).exitCode).toBe(EXIT.backendUnavailable);
    expect((e as Error).message).toMatch(
      /layer "wide": its kernel \[8192, \d+\] is [\d,]+ bytes .* refused before running/,
    );
    expect((e as Error).message.split('\n')).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
    if (limit < 9216 * 4096 * 4) {
      const r = await cli('verify', 'alexnet', '--backend', 'webgpu');
      expect(r.code).toBe(EXIT.backendUnavailable);
      expect(r.err).toMatch(/layer "fc6": its kernel \[9216, 4096\]/);
    }
  });
});

gpu('every kind on the GPU: the Keras fixtures', () => {
  for (const [name, m] of kerasModels.filter(([, m]) => m.count_params <= 8_000_000)) {
    it(name, async () => {
      await useBackend('webgpu');
      const ext = m.format_files.includes('keras') ? 'keras' : m.format_files[0]!;
      const input = m.input.some((d) => d === null) ? m.input.slice(0, -1).map((d) => d ?? 64) : undefined;
      await verifiesOrIsRefused(name, async () =>
        verifyGraph((await loadModelFile(join(keras, `${name}.${ext}`), { input })).graph),
      );
    });
  }
});

gpu('every kind on the GPU: the PyTorch pattern exports', () => {
  for (const name of patternNames) {
    it(name, async () => {
      await useBackend('webgpu');
      await verifiesOrIsRefused(name, async () =>
        verifyGraph((await loadModelFile(join(patterns, `${name}.onnx`))).graph),
      );
    });
  }
});

/**
 * The GPU backend without CUDA: TensorFlow.js' WebGPU backend over Dawn's bindings for Node (npm `webgpu`),
 * both kept in netcensus' cache (`netcensus setup --webgpu`). Dawn drives whatever Vulkan driver the system
 * has (NVIDIA's on a GPU machine); where it has none, the software adapter `setup --software-adapter` unpacked
 * (Mesa's lavapipe, a GPU on the CPU), labelled as software wherever a figure is shown.
 *
 * A GPU result that nobody compared is not verified: a binding larger than the adapter allows comes back as
 * zeros with only a log line from Dawn. So every device error is kept (deviceErrors), and tensors larger
 * than the adapter's largest storage binding are found from the census before anything runs (overLimit).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Census } from './census.js';
import { native } from './native.js';
import { tf } from './tfjs/tf.js';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU standing in for a GPU (lavapipe, SwiftShader, Dawn's fallback adapter): its figures are no GPU's. */
  software: boolean;
  /** Where the driver came from: the system's Vulkan drivers, or the software adapter netcensus set up. */
  driver: 'system' | 'netcensus software adapter';
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** Vulkan's driver manifests, where the loader looks for them on Linux. */
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|fallback/i;

const systemDrivers = (): string[] =>
  ICD_DIRS.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')) : []));

/** The software adapter's driver manifest, where `setup --software-adapter` put one. */
export function softwareAdapterIcd(): string | undefined {
  const root = join(native().cacheRoot(), 'webgpu-adapter');
  if (!existsSync(root)) return undefined;
  for (const d of readdirSync(root)) {
    const icd = join(root, d, 'lvp_icd.json');
    if (existsSync(icd)) return icd;
  }
  return undefined;
}

/** Whether a hardware adapter may exist: the system has a Vulkan driver that is not a CPU one. */
export function hardwareDriverPresent(): boolean {
  return systemDrivers().some((f) => !/lvp|swiftshader/i.test(f));
}

interface Gpu {
  requestAdapter(o?: { powerPreference?: string }): Promise<GpuAdapter | null>;
}
interface GpuAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  isFallbackAdapter?: boolean;
}
interface GpuDevice {
  addEventListener(type: 'uncapturederror', f: (e: { error: { message: string } }) => void): void;
  queue: { onSubmittedWorkDone(): Promise<void> };
}

let state: { adapter: AdapterInfo; device: GpuDevice; errors: string[] } | undefined;

/** Loads Dawn and the WebGPU backend once and activates it; throws one line where either is missing. */
export async function setWebgpu(): Promise<AdapterInfo> {
  if (state) {
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
    return state.adapter;
  }
  const dir = native().packageDir('webgpu');
  if (dir === undefined) throw new Error('WebGPU is not set up (npx netcensus setup --webgpu)');
  // The user's choice of driver stands; without one and without a system driver, the software adapter.
  let driver: AdapterInfo['driver'] = 'system';
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && !systemDrivers().length) {
    const icd = softwareAdapterIcd();
    if (icd) {
      process.env.VK_ICD_FILENAMES = icd;
      driver = 'netcensus software adapter';
    }
  }
  const dawn = (await import(pathToFileURL(join(dir, 'index.js')).href)) as {
    create(flags: string[]): Gpu;
    globals: Record<string, unknown>;
  };
  // The backend reads GPUBufferUsage and its kin as globals, and the GPU from navigator.gpu, as in a browser.
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const nav = ((globalThis as { navigator?: object }).navigator ??= {});
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new Error(
      driver === 'system' && !systemDrivers().length
        ? 'no WebGPU adapter: the system has no Vulkan driver (npx netcensus setup --webgpu --software-adapter brings a software one)'
        : 'no WebGPU adapter: Dawn found none on the Vulkan drivers present',
    );
  const i = adapter.info;
  const info: AdapterInfo = {
    vendor: i.vendor || 'unknown vendor',
    architecture: i.architecture || 'unknown architecture',
    device: i.device || 'unknown device',
    description: i.description || '',
    software:
      Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter) ||
      SOFTWARE.test(`${i.architecture} ${i.device} ${i.description}`),
    driver,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
  // Registers 'webgpu' on netcensus' TensorFlow.js (the loader resolves tfjs-core to netcensus' copy).
  native().requireNative('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") returned false');
  await tf.ready();
  const device = (tf.backend() as unknown as { device: GpuDevice }).device;
  const errors: string[] = [];
  device.addEventListener('uncapturederror', (e) => errors.push(e.error.message.split('\n')[0]!.slice(0, 300)));
  state = { adapter: info, device, errors };
  return info;
}

/** The adapter the backend runs on, once loaded. */
export const activeAdapter = (): AdapterInfo | undefined => state?.adapter;

/** Device errors since the last call, after the work submitted so far has finished. */
export async function deviceErrors(): Promise<string[]> {
  if (!state) return [];
  await state.device.queue.onSubmittedWorkDone();
  return state.errors.splice(0);
}

const MiB = 2 ** 20;

/** One line for results: vendor, device, driver version, software or not, the binding limit. */
export function adapterLine(a: AdapterInfo): string {
  const what = [a.vendor, a.architecture, a.description || a.device].filter((s) => s && !/^unknown/.test(s));
  return (
    `WebGPU (Dawn, Vulkan): ${what.join(', ')}` +
    (a.software ? ` - a software adapter (the CPU standing in for a GPU)` : '') +
    `; largest storage binding ${(a.maxStorageBufferBindingSize / MiB).toFixed(0)} MiB`
  );
}

/** A tensor of the census larger than one storage binding on this adapter: the first found, or undefined. */
export interface OverLimit {
  layer: string;
  tensor: string;
  shape: number[];
  bytes: number;
  limit: number;
}

/**
 * The first weight or layer output (float32, at the census' batch) larger than the adapter's largest storage
 * binding. Dawn refuses such a binding and the op's output stays zeros, so it is refused before it runs.
 */
export function overLimit(c: Census, a: AdapterInfo): OverLimit | undefined {
  const limit = a.maxStorageBufferBindingSize;
  for (const info of c.infos) {
    for (const w of info.weights) {
      const bytes = 4 * w.shape.reduce((x, y) => x * y, 1);
      if (bytes > limit) return { layer: info.node.name, tensor: w.name, shape: [...w.shape], bytes, limit };
    }
    for (const s of info.outputShapes) {
      const shape = [c.batch, ...s];
      const bytes = 4 * shape.reduce((x, y) => x * y, 1);
      if (bytes > limit) return { layer: info.node.name, tensor: 'output', shape, bytes, limit };
    }
  }
  return undefined;
}

/**
 * Backend selection. tfjs-node (native TensorFlow) and tfjs-node-gpu are optional packages, loaded
 * lazily: a machine without them still counts and verifies, on WASM or pure-JS cpu, and says so.
 */
import { tf } from './tfjs/tf.js';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { EXIT, NetcensusError } from './errors.js';
import { native } from './native.js';
import { adapterLine, hardwareDriverPresent, setWebgpu, type AdapterInfo } from './webgpu.js';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export interface BackendInfo {
  backend: BackendName;
  device: string;
  native: boolean;
  note?: string;
  /** The GPU adapter, on webgpu: vendor, architecture, limits, and whether it is a software one. */
  adapter?: AdapterInfo;
}

export class BackendUnavailableError extends NetcensusError {
  constructor(message: string) {
    super(message, EXIT.backendUnavailable);
    this.name = 'BackendUnavailableError';
  }
}

const require = createRequire(import.meta.url);
// tfjs prints a "use tfjs-node" banner when it falls back to cpu; our own note says the same, once.
tf.env().set('IS_TEST', true);

/** The first line of an error, for one-line notes. */
const firstLine = (e: unknown): string =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .slice(0, 240);

function cpuName(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

let nativeState: { gpu: boolean; error?: string } | undefined;

/** TensorFlow's thread pools as the benchmark set them (read once, when tfjs-node loads). */
export interface NativeThreads {
  /** TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS in effect; null where unset (TensorFlow then uses every core). */
  intraOp: number | null;
  interOp: number | null;
  /** Whether the requested count is the one TensorFlow runs with. */
  pinned: boolean;
  note?: string;
}

const envThreads = (name: string): number | null => {
  const v = Number(process.env[name]);
  return Number.isSafeInteger(v) && v > 0 ? v : null;
};

/**
 * Sets TensorFlow's intra-op and inter-op thread pools to `threads` before tfjs-node loads (TensorFlow reads
 * TF_NUM_INTRAOP_THREADS and TF_NUM_INTEROP_THREADS once, when it starts). Once it is loaded they cannot
 * change: then this says what it runs with.
 */
export function pinNativeThreads(threads: number): NativeThreads {
  // tfjs-node registers the 'tensorflow' backend when it loads, whoever loaded it.
  if (nativeState === undefined && !tf.findBackendFactory('tensorflow')) {
    process.env.TF_NUM_INTRAOP_THREADS = String(threads);
    process.env.TF_NUM_INTEROP_THREADS = String(threads);
  }
  const intraOp = envThreads('TF_NUM_INTRAOP_THREADS');
  const interOp = envThreads('TF_NUM_INTEROP_THREADS');
  const pinned = intraOp === threads && interOp === threads;
  return {
    intraOp,
    interOp,
    pinned,
    ...(pinned
      ? {}
      : {
          note: `TensorFlow was loaded before its threads could be set: it runs with ${intraOp ?? `all ${os.cpus().length}`} intra-op threads, not ${threads}`,
        }),
  };
}

/** Loads tfjs-node-gpu or tfjs-node once; both register the 'tensorflow' backend on our tfjs instance. */
async function loadNative(): Promise<{ gpu: boolean; error?: string }> {
  if (nativeState) return nativeState;
  const errors: string[] = [];
  for (const [pkg, gpu] of [
    ['@tensorflow/tfjs-node-gpu', true],
    ['@tensorflow/tfjs-node', false],
  ] as const) {
    if (native().packageDir(pkg) === undefined) {
      if (!gpu) errors.push(`${pkg} is not set up`);
      continue;
    }
    try {
      // TensorFlow's C++ start-up chatter (oneDNN, CPU feature notices) would drown the one line that matters.
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
      // require, not import: an ESM import of the CommonJS package makes Node lex every bundle it
      // re-exports (TensorFlow.js included) for named exports, a tenth of a second at each start.
      native().requireNative(pkg);
      nativeState = { gpu };
      return nativeState;
    } catch (e) {
      errors.push(`${pkg} failed to load: ${firstLine(e)}`);
    }
  }
  nativeState = { gpu: false, error: errors.join('; ') };
  return nativeState;
}

async function gpuName(): Promise<string | undefined> {
  try {
    const { execFileSync } = await import('node:child_process');
    return (
      execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8', timeout: 5000 })
        .split('\n')[0]!
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}

let wasmReady = false;

async function setWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmReady) {
    // Resolve the .wasm files from the package itself, whatever the working directory.
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
    wasmReady = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `WebAssembly (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'}) on ${cpuName()}`;
}

async function setCpu(): Promise<string> {
  await tf.setBackend('cpu');
  await tf.ready();
  return `pure JavaScript on ${cpuName()}`;
}

async function setTensorflow(): Promise<{ device: string; gpu: boolean }> {
  const state = await loadNative();
  if (state.error !== undefined) throw new Error(state.error);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
  await tf.ready();
  if (state.gpu) {
    const gpu = await gpuName();
    return { device: `CUDA GPU: ${gpu ?? 'name unknown (nvidia-smi unavailable)'}`, gpu: true };
  }
  return { device: `native TensorFlow CPU: ${cpuName()} x${os.cpus().length} threads`, gpu: false };
}

let active: BackendInfo | undefined;

/** Activates a backend; 'auto' takes the best one that works and notes why it fell back. */
export async function useBackend(choice: BackendChoice): Promise<BackendInfo> {
  active = await activate(choice);
  return active;
}

/**
 * The backend a library call runs on: the one chosen (useBackend, or tf.setBackend by the caller), else the
 * best available, as `auto` picks it. A program that never chose one gets native TensorFlow where it is set
 * up, not tfjs' pure-JS default.
 */
export async function ensureBackend(): Promise<BackendInfo> {
  const name = (tf.engine() as unknown as { backendName: string | null }).backendName;
  if (active && active.backend === name) return active;
  if (name === 'webgpu') return useBackend('webgpu');
  if (name === 'tensorflow' || name === 'wasm' || name === 'cpu')
    return (active = {
      backend: name,
      device: name === 'cpu' ? `pure JavaScript on ${cpuName()}` : name,
      native: name === 'tensorflow',
    });
  return useBackend('auto');
}

async function webgpu(): Promise<BackendInfo> {
  const adapter = await setWebgpu();
  return { backend: 'webgpu', device: adapterLine(adapter), native: true, adapter };
}

async function activate(choice: BackendChoice): Promise<BackendInfo> {
  if (choice === 'webgpu') {
    try {
      return await webgpu();
    } catch (e) {
      throw new BackendUnavailableError(`backend webgpu is unavailable: ${firstLine(e)}`);
    }
  }
  // A GPU only where one is there: WebGPU set up and a Vulkan driver for hardware (a software adapter is asked for by name).
  if (choice === 'auto' && native().packageDir('webgpu') !== undefined && hardwareDriverPresent()) {
    try {
      const gpu = await webgpu();
      if (!gpu.adapter!.software) return gpu;
    } catch {
      // no usable adapter: the CPU backends below
    }
  }
  if (choice === 'tensorflow' || choice === 'auto') {
    try {
      const { device } = await setTensorflow();
      return { backend: 'tensorflow', device, native: true };
    } catch (e) {
      if (choice === 'tensorflow')
        throw new BackendUnavailableError(
          `backend tensorflow is unavailable: ${firstLine(e)} (npx netcensus setup builds it; see README)`,
        );
      const why = firstLine(e);
      try {
        return {
          backend: 'wasm',
          device: await setWasm(),
          native: false,
          note: `native TensorFlow unavailable (${why}); using wasm`,
        };
      } catch (w) {
        return {
          backend: 'cpu',
          device: await setCpu(),
          native: false,
          note: `native TensorFlow unavailable (${why}); wasm failed too (${firstLine(w)}); using pure-JS cpu`,
        };
      }
    }
  }
  try {
    return { backend: choice, device: choice === 'wasm' ? await setWasm() : await setCpu(), native: false };
  } catch (e) {
    throw new BackendUnavailableError(`backend ${choice} is unavailable: ${firstLine(e)}`);
  }
}

/**
 * Runs `fn` on the best CPU backend (native TensorFlow, else pure-JS cpu: wasm computes like cpu), then
 * returns to the backend that was active: the reference a GPU's output is compared with.
 */
export async function onReferenceBackend<T>(fn: (backend: BackendName, device: string) => Promise<T>): Promise<T> {
  const before = tf.getBackend();
  let name: BackendName = 'tensorflow';
  let device: string;
  try {
    device = (await setTensorflow()).device;
  } catch {
    name = 'cpu';
    device = await setCpu();
  }
  try {
    return await fn(name, device);
  } finally {
    await tf.setBackend(before);
  }
}

/**
 * CPU backends that can be activated here, best first. Leaves the active backend as it found it. WebGPU is
 * not among them: it is asked for by name (`--backend webgpu`), tested by its own suite.
 */
export async function availableBackends(): Promise<BackendName[]> {
  const before = tf.getBackend();
  const out: BackendName[] = [];
  for (const b of ['tensorflow', 'wasm', 'cpu'] as const) {
    try {
      await useBackend(b);
      out.push(b);
    } catch {
      // not available
    }
  }
  if (before) await tf.setBackend(before);
  return out;
}
